"""The lessons reproduce the lecture's own code bit for bit (design G).

Each ``LECTURE_*`` string is the lecture's code as printed in the week 4 notes, verbatim: only the
indentation, which the notes' text lost, is restored, and the ``plt.*`` lines are left out (they
draw no random numbers). It runs under ``torch.random.fork_rng``, so the global stream is left as
it was, and the lesson's functions must give ``torch.equal`` data, losses and weights (both sides
run with the session's torch threads). The 10000- and 5000-epoch fits are left to the lessons'
claims; the initial weights of their networks are compared here.
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

# 예제2: polynomial regression ("모형", "아키텍처", "손실함수", "옵티마이저", "step1~4").
LECTURE_POLYNOMIAL_DATA = """
torch.manual_seed(43052)
x,_ = torch.randn(100).sort()
X=torch.vstack([x,x**2,x**3]).T
W=torch.tensor([[4.0],[3.0],[-2.0]])
bias=1.0
ϵ=torch.randn(100,1)
y=X@W+bias + ϵ
"""
LECTURE_POLYNOMIAL_LR = "optimizer= torch.optim.SGD(net.parameters(),lr=0.01)"
LECTURE_POLYNOMIAL_FIT = f"""
net = torch.nn.Linear(in_features=3,out_features=1,bias=True)
loss_fn=torch.nn.MSELoss()
{LECTURE_POLYNOMIAL_LR}
for epoc in range(1000):
    ## 1
    yhat=net(X)
    ## 2
    loss=loss_fn(y,yhat)
    ## 3
    loss.backward()
    ## 4
    optimizer.step()
    net.zero_grad()
"""
# 숙제 (homework): "optimizer= torch.optim.SGD(net.parameters(),lr=0.01) 대신에 ... lr=0.1".
HOMEWORK_LR = "optimizer= torch.optim.SGD(net.parameters(),lr=0.1)"

# 예제3: "비선형활성화함수를 도입하자", one ReLU node (net2) on the piecewise data.
LECTURE_ONE_NODE = """
torch.manual_seed(1)
layer1 = torch.nn.Linear(in_features=1,out_features=1,bias=False)
activation1 = torch.nn.ReLU()
layer2 = torch.nn.Linear(in_features=1,out_features=1,bias=False)
net2 = torch.nn.Sequential(layer1,activation1,layer2)
optimizer2 = torch.optim.SGD(net2.parameters(),lr=0.1)
for epoc in range(1000):
    ## 1
    yhat=net2(X)
    ## 2
    loss=loss_fn(y,yhat)
    ## 3
    loss.backward()
    ## 4
    optimizer2.step()
    net2.zero_grad()
"""

# Two ReLU nodes (net3): the architecture, with the seed of the good fit (1) or the stuck one.
LECTURE_TWO_NODES = """
torch.manual_seed({seed}) ## 초기가중치를 동일하게
layer1 = torch.nn.Linear(in_features=1,out_features=2,bias=False)
activation1 = torch.nn.ReLU()
layer2 = torch.nn.Linear(in_features=2,out_features=1,bias=False)
net3 = torch.nn.Sequential(layer1,activation1,layer2)
optimizer3= torch.optim.SGD(net3.parameters(),lr=0.1)
"""
LECTURE_TWO_NODES_FIT = """
for epoc in range(1000):
    ## 1
    yhat=net3(X)
    ## 2
    loss=loss_fn(y,yhat)
    ## 3
    loss.backward()
    ## 4
    optimizer3.step()
    net3.zero_grad()
W1=(layer1.weight.data).T
W2=(layer2.weight.data).T
u1=X@W1
v1=activation1(u1)
_yhat=v1@W2
"""

# "Custom Activation Function" and the 500-node net4 (its 5000-epoch fit is not repeated here).
LECTURE_MOOYAHO = """
def mooyaho(input):
    return torch.sigmoid(200*input)
class MOOYAHO(torch.nn.Module):
    def __init__(self):
        super().__init__() # init the base class
    def forward(self, input):
        return mooyaho(input) # simply apply already implemented SiLU
_x=torch.linspace(-10,10,100)
torch.manual_seed(1) # 초기가중치를 똑같이 하기 위해서..
layer1=torch.nn.Linear(in_features=1,out_features=500,bias=True)
activation1=MOOYAHO()
layer2=torch.nn.Linear(in_features=500,out_features=1,bias=True)
net4=torch.nn.Sequential(layer1,activation1,layer2)
optimizer4=torch.optim.SGD(net4.parameters(),lr=0.001)
"""

# "무엇이든 맞출 수 있음": the pure-noise data.
LECTURE_NOISE_DATA = """
torch.manual_seed(43052)
__X = torch.linspace(-1,1,100).reshape(100,1)
__y = torch.randn(100,1)
"""


def run_lecture(code: str, **names) -> dict:
    """Run lecture code like a notebook cell; return its variables. The global stream is restored."""
    namespace = {"torch": torch, **names}
    with torch.random.fork_rng(devices=[]):
        exec(code, namespace)
    return namespace


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
    lecture = run_lecture(LECTURE_POLYNOMIAL_DATA)

    X, y = polynomial_regression.make_data()

    assert torch.equal(X, lecture["X"]) and torch.equal(y, lecture["y"])


def test_polynomial_fit_is_the_lectures():
    lecture = run_lecture(LECTURE_POLYNOMIAL_DATA + LECTURE_POLYNOMIAL_FIT)

    X, y = polynomial_regression.make_data()
    result = polynomial_regression.fit(
        polynomial_regression.build_model(), X, y, lr=0.01, epochs=1000
    )

    assert torch.equal(result.losses[-1], lecture["loss"].detach())
    assert torch.equal(result.yhat, lecture["yhat"].detach())
    assert_same_weights(lecture["net"], result.model)


def test_homework_learning_rate_diverges_as_the_lectures_code_does():
    """lr 0.1 overflows to inf and NaN, where equality says little: the lecture's loop is run up
    to the lesson's last finite epoch instead (its only change), and must match there exactly."""
    X, y = learning_rate.make_data()
    result = learning_rate.fit(
        learning_rate.build_model(), X, y, lr=learning_rate.DIVERGING_LR, epochs=1000
    )
    epochs = result.first_nonfinite_epoch
    assert epochs is not None

    homework = LECTURE_POLYNOMIAL_FIT.replace(LECTURE_POLYNOMIAL_LR, HOMEWORK_LR)
    homework = homework.replace("range(1000)", f"range({epochs})")
    lecture = run_lecture(LECTURE_POLYNOMIAL_DATA + homework)

    assert torch.isfinite(lecture["loss"])
    assert torch.equal(result.losses[epochs - 1], lecture["loss"].detach())


def test_one_relu_node_fit_is_the_lectures(piecewise_data):
    X, y = piecewise_data
    lecture = run_lecture(LECTURE_ONE_NODE, X=X, y=y, loss_fn=torch.nn.MSELoss())

    result = relu_nodes.fit(relu_nodes.build_model(1, seed=1), X, y, lr=0.1, epochs=1000)

    assert torch.equal(result.losses[-1], lecture["loss"].detach())
    assert torch.equal(result.yhat, lecture["yhat"].detach())
    assert_same_weights(lecture["net2"], result.model)


def test_two_relu_nodes_fit_and_decomposition_are_the_lectures(piecewise_data):
    X, y = piecewise_data
    code = LECTURE_TWO_NODES.format(seed=1) + LECTURE_TWO_NODES_FIT
    lecture = run_lecture(code, X=X, y=y, loss_fn=torch.nn.MSELoss())

    result = relu_nodes.fit(relu_nodes.build_model(2, seed=1), X, y, lr=0.1, epochs=1000)
    u1, v1, yhat = relu_nodes.decompose(result.model, X)

    assert torch.equal(result.losses[-1], lecture["loss"].detach())
    assert_same_weights(lecture["net3"], result.model)
    assert torch.equal(u1, lecture["u1"])
    assert torch.equal(v1, lecture["v1"])
    assert torch.equal(yhat, lecture["_yhat"])


def test_stuck_seed_builds_the_lectures_initial_net():
    lecture = run_lecture(LECTURE_TWO_NODES.format(seed=relu_nodes.STUCK_SEED))

    assert_same_weights(lecture["net3"], relu_nodes.build_model(2, seed=40352))


def test_custom_activation_and_500_node_net_are_the_lectures():
    lecture = run_lecture(LECTURE_MOOYAHO)

    assert torch.equal(custom_activation.mooyaho(lecture["_x"]), lecture["mooyaho"](lecture["_x"]))
    assert_same_weights(lecture["net4"], custom_activation.build_model())


def test_noise_data_is_the_lectures():
    lecture = run_lecture(LECTURE_NOISE_DATA)

    X, y = memorise_noise.make_data()

    assert torch.equal(X, lecture["__X"]) and torch.equal(y, lecture["__y"])


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
