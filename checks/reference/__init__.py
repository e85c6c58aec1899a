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

import sys

# Defence in depth until every lesson process runs in a box without checks/ (design L): a
# lesson's process is the sandbox's worker, and it may not import the answers. Code that
# deliberately removes the worker from ``sys.modules`` first gets past this; the box does not
# let it read the files at all.
if "checks.grader.sandbox.worker" in sys.modules:
    raise ImportError("checks.reference holds the grader's answers: not for a lesson's process")
