"""Lessons of the lecture "the expressive power of neural networks" (week 4), in lecture order."""

from lessons._train import FitResult, fit

LESSONS = (
    "linear_model",  # Example 1: y = w0 + w1 x + e, three equivalent views
    "polynomial_regression",  # Example 2: cubic features, Linear(3, 1), lr 0.01
    "piecewise_linear",  # Example 3: a straight line underfits kinked data
    "relu_nodes",  # one ReLU node cannot fit, two can (seed 1), seed 40352 gets stuck
    "custom_activation",  # 500 sigmoid(200x) nodes fit below the noise variance
    "memorise_noise",  # the same net fits pure noise below the zero predictor
    "overfitting",  # (5/5) wider nets: train loss keeps falling, held-out loss turns back up
    "learning_rate",  # homework: lr 0.1 diverges, and why (2 / largest Hessian eigenvalue)
)

__all__ = ["LESSONS", "FitResult", "fit"]
