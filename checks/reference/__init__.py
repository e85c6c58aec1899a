"""The course's own answers to the homework, which the claims compare student code with.

They live here, on the grader's side, and nowhere in ``lessons/``: a lesson may import the engine
(``lessons/_*.py``) but never ``checks/``, which the grading box leaves out altogether (issue 16).
So no homework answer is in a student's reach, while every claim still has its own copy: a mistake
in one lesson's homework costs points in that lesson only (no cascade).

- ``data``: the lecture's piecewise data (``piecewise_linear.make_data``) and cubic features
  (``polynomial_regression.features``);
- ``nets``: the lecture's nets (``relu_nodes.build_model``, ``custom_activation.build_model``)
  and its ``MOOYAHO`` layer;
- ``oracles``: closed-form answers (least squares, Hessian, two-slope floor, ...);
- ``sweeps``: the multi-seed sweeps the claims measure, trained by the engine's batched programs
  from the reference nets' weights.
"""
