"""The claims of each lesson, and the pytest plugin that grades them."""
