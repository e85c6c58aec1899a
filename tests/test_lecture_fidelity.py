"""The lessons reproduce the lecture's own code bit for bit (design G).

The lecture's code has one home, tests/lecture_reference.py: its cells verbatim, one function
each (the same functions are the speed baseline). Each cell runs here under
``torch.random.fork_rng``, since the lecture seeds the global stream, so that stream is left as it
was; the lesson's functions must give ``torch.equal`` data, losses and weights (both sides run with
the session's torch threads). The 10000- and 5000-epoch fits are left to the lessons' claims; the
initial weights of their networks are compared here.
"""

import numpy as np
import pytest
import torch

from lessons import (
    custom_activation,
    learning_rate,
    memorise_noise,
    piecewise_linear,
    polynomial_regression,
    relu_nodes,
)
from tests import lecture_reference


def run_lecture(cell, *args, **kwargs):
    """Run one lecture cell like a notebook would; the global random stream is restored after."""
    with torch.random.fork_rng(devices=[]):
        return cell(*args, **kwargs)


def assert_same_weights(lecture_net: torch.nn.Module, lesson_net: torch.nn.Module) -> None:
    lecture, lesson = lecture_net.state_dict(), lesson_net.state_dict()
    assert lecture.keys() == lesson.keys()
    for name in lecture:
        assert torch.equal(lecture[name], lesson[name]), name


@pytest.fixture(scope="module")
def piecewise_data():
    """The lecture draws this data with an unseeded NumPy: both sides use the lesson's draw."""
    return piecewise_linear.make_data()


def test_polynomial_data_is_the_lectures():
    lecture_X, lecture_y = run_lecture(lecture_reference.polynomial_data)

    X, y = polynomial_regression.make_data()

    assert torch.equal(X, lecture_X) and torch.equal(y, lecture_y)


def test_polynomial_fit_is_the_lectures():
    cell = run_lecture(lecture_reference.polynomial_regression)

    X, y = polynomial_regression.make_data()
    result = polynomial_regression.fit(
        polynomial_regression.build_model(), X, y, lr=0.01, epochs=1000
    )

    assert torch.equal(result.losses[-1], cell["loss"])
    assert torch.equal(result.yhat, cell["yhat"])
    assert_same_weights(cell["net"], result.model)


def test_homework_learning_rate_diverges_as_the_lectures_code_does():
    """lr 0.1 overflows to inf and NaN, where equality says little: the lecture's loop is run up
    to the lesson's last finite epoch instead (its only change), and must match there exactly."""
    X, y = learning_rate.make_data()
    result = learning_rate.fit(
        learning_rate.build_model(), X, y, lr=learning_rate.DIVERGING_LR, epochs=1000
    )
    epochs = learning_rate.divergence_epoch(result)
    assert epochs is not None

    cell = run_lecture(
        lecture_reference.polynomial_regression, lr=lecture_reference.HOMEWORK_LR, epochs=epochs
    )

    assert torch.isfinite(cell["loss"])
    assert torch.equal(result.losses[epochs - 1], cell["loss"])


def test_one_relu_node_fit_is_the_lectures(piecewise_data):
    X, y = piecewise_data
    cell = run_lecture(lecture_reference.relu_net, X, y, width=1, seed=1, epochs=1000)

    result = relu_nodes.fit(relu_nodes.build_model(1, seed=1), X, y, lr=0.1, epochs=1000)

    assert torch.equal(result.losses[-1], cell["loss"])
    assert torch.equal(result.yhat, cell["yhat"])
    assert_same_weights(cell["net"], result.model)


def test_two_relu_nodes_fit_and_decomposition_are_the_lectures(piecewise_data):
    X, y = piecewise_data
    cell = run_lecture(lecture_reference.relu_net, X, y, width=2, seed=1, epochs=1000)
    parts = run_lecture(lecture_reference.decomposition, cell["net"], X)

    result = relu_nodes.fit(relu_nodes.build_model(2, seed=1), X, y, lr=0.1, epochs=1000)
    u1, v1, yhat = relu_nodes.decompose(result.model, X)

    assert torch.equal(result.losses[-1], cell["loss"])
    assert_same_weights(cell["net"], result.model)
    assert torch.equal(u1, parts["u1"])
    assert torch.equal(v1, parts["v1"])
    assert torch.equal(yhat, parts["_yhat"])


def test_stuck_seed_builds_the_lectures_initial_net():
    net3, _ = run_lecture(lecture_reference.relu_architecture, width=2, seed=40352)

    assert_same_weights(net3, relu_nodes.build_model(2, seed=relu_nodes.STUCK_SEED))


def test_custom_activation_and_500_node_net_are_the_lectures():
    _x, curve = run_lecture(lecture_reference.mooyaho_curve)
    net4, _ = run_lecture(lecture_reference.wide_architecture)

    assert torch.equal(custom_activation.mooyaho(_x), curve)
    assert_same_weights(net4, custom_activation.build_model())


def test_noise_data_is_the_lectures():
    lecture_X, lecture_y = run_lecture(lecture_reference.noise_data)

    X, y = memorise_noise.make_data()

    assert torch.equal(X, lecture_X) and torch.equal(y, lecture_y)


def test_lessons_leave_the_global_random_streams_alone():
    torch_state, numpy_state = torch.random.get_rng_state(), np.random.get_state()

    polynomial_regression.make_data()
    polynomial_regression.build_model()
    piecewise_linear.make_data()
    piecewise_linear.build_model()
    relu_nodes.build_model(2, seed=1)
    custom_activation.build_model()
    memorise_noise.make_data()

    assert torch.equal(torch.random.get_rng_state(), torch_state)
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]
