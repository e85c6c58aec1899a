"""The lecture's own code, cell by cell: the speed baseline and the reference for lecture fidelity.

Every cell that seeds, builds or trains something is copied verbatim (its global
``torch.manual_seed``, its ``loss_fn(y, yhat)`` order, its ``net.zero_grad()``, its names, except
that net2 shares net3's cell at width 1); only the layout is ruff's, and the plot and graphviz lines
are left out, since they draw no random numbers. Each function is one cell, or a run of consecutive
cells; its parameters are the lecture's own variations: 예제2's lr and epochs (the homework reruns it
with lr 0.1) and the ReLU nets' width, seed and epochs. The lecture repeats its four-step loop in
every training cell, and so does this module, on purpose (the duplicates tool flags these loops).

Changes, both to make the numbers comparable bit for bit with the lessons: the lecture draws the
piecewise data with an unseeded ``np.random.normal()``, seeded here (43052, point by point, as
``_f`` draws it), and it leaves the straight line's initial weights unseeded (seed 1 here).

Users: tests/test_lecture_fidelity.py runs these cells (under ``torch.random.fork_rng``) against
the lessons, tests/test_fast_training.py against the fast engine, and tests/test_speed_targets.py
times them. ``python -m tests.lecture_reference`` runs the lecture's training cells once and
prints how long each trained: the baseline of the speed target "``pytest lessons`` takes less time
than the lecture". Cells that train nothing (data, initial nets) and the homework are not timed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch

PIECEWISE_SEED = 43052  # the lessons' seed for the lecture's unseeded np.random.normal
HOMEWORK_LR = 0.1  # 숙제: "optimizer= torch.optim.SGD(net.parameters(),lr=0.1) 로 변경하여"


def polynomial_data() -> tuple[torch.Tensor, torch.Tensor]:
    """예제2's 모형 cell: the cubic's data, drawn after ``torch.manual_seed(43052)``."""
    torch.manual_seed(43052)
    x, _ = torch.randn(100).sort()
    X = torch.vstack([x, x**2, x**3]).T
    W = torch.tensor([[4.0], [3.0], [-2.0]])
    bias = 1.0
    ϵ = torch.randn(100, 1)
    y = X @ W + bias + ϵ
    return X, y


def polynomial_regression(lr: float = 0.01, epochs: int = 1000) -> dict:
    """예제2: the data, then Linear(3, 1), MSE, SGD and the loop (lr 0.01, 1000 epochs).

    The net's weights are the global stream's next draws after the data's, as in the lecture.
    ``lr=HOMEWORK_LR`` is the homework; ``epochs`` lets a test stop that diverging run early.
    """
    X, y = polynomial_data()
    net = torch.nn.Linear(in_features=3, out_features=1, bias=True)
    loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    for epoc in range(epochs):  # noqa: B007 (the lecture's loop variable)
        ## 1
        yhat = net(X)
        ## 2
        loss = loss_fn(y, yhat)
        ## 3
        loss.backward()
        ## 4
        optimizer.step()
        net.zero_grad()
    return {"net": net, "loss": loss.detach(), "yhat": yhat.detach()}


def piecewise_data() -> tuple[torch.Tensor, torch.Tensor]:
    """예제3's data; ``np.random.normal()`` seeded, drawn point by point from left to right."""
    rng = np.random.default_rng(PIECEWISE_SEED)
    _x = np.linspace(-1, 1, 100).tolist()
    _f = lambda x: x * 1 + rng.normal() * 0.3 if x < 0 else x * 3.5 + rng.normal() * 0.3  # noqa: E731
    _y = list(map(_f, _x))
    X = torch.tensor(_x).reshape(100, 1)
    y = torch.tensor(_y).reshape(100, 1)
    return X, y


def straight_line(X: torch.Tensor, y: torch.Tensor) -> dict:
    """예제3: Linear(1, 1), lr 0.1, 10000 epochs (the lecture does not seed it; seed 1 here)."""
    torch.manual_seed(1)
    net = torch.nn.Linear(in_features=1, out_features=1, bias=True)
    loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    for epoc in range(10000):  # noqa: B007
        ## 1
        yhat = net(X)
        ## 2
        loss = loss_fn(y, yhat)
        ## 3
        loss.backward()
        ## 4
        optimizer.step()
        net.zero_grad()
    return {"net": net, "loss": loss.detach(), "yhat": yhat.detach()}


def relu_architecture(width: int, seed: int) -> tuple[torch.nn.Sequential, torch.optim.SGD]:
    """아키텍처 + 옵티마이저 of net2 (width 1, seed 1) and net3 (width 2, seed 1 or 40352)."""
    torch.manual_seed(seed)  ## 초기가중치를 동일하게
    layer1 = torch.nn.Linear(in_features=1, out_features=width, bias=False)
    activation1 = torch.nn.ReLU()
    layer2 = torch.nn.Linear(in_features=width, out_features=1, bias=False)
    net3 = torch.nn.Sequential(layer1, activation1, layer2)
    optimizer3 = torch.optim.SGD(net3.parameters(), lr=0.1)
    return net3, optimizer3


def relu_net(X: torch.Tensor, y: torch.Tensor, *, width: int, seed: int, epochs: int) -> dict:
    """net2 (width 1, seed 1, 1000 epochs) and net3 (width 2; seed 1, 1000 or 40352, 10000)."""
    loss_fn = torch.nn.MSELoss()
    net3, optimizer3 = relu_architecture(width, seed)
    for epoc in range(epochs):  # noqa: B007
        ## 1
        yhat = net3(X)
        ## 2
        loss = loss_fn(y, yhat)
        ## 3
        loss.backward()
        ## 4
        optimizer3.step()
        net3.zero_grad()
    return {"net": net3, "loss": loss.detach(), "yhat": yhat.detach()}


def decomposition(net3: torch.nn.Sequential, X: torch.Tensor) -> dict[str, torch.Tensor]:
    """net3's discussion cells: its weights W1, W2 and its fit rebuilt by hand, u1, v1, _yhat."""
    layer1, activation1, layer2 = net3
    W1 = (layer1.weight.data).T
    W2 = (layer2.weight.data).T
    u1 = X @ W1
    v1 = activation1(u1)
    _yhat = v1 @ W2
    return {"W1": W1, "W2": W2, "u1": u1, "v1": v1, "_yhat": _yhat}


def mooyaho(input):
    return torch.sigmoid(200 * input)


class MOOYAHO(torch.nn.Module):
    def __init__(self):
        super().__init__()  # init the base class

    def forward(self, input):
        return mooyaho(input)  # simply apply already implemented SiLU


def mooyaho_curve() -> tuple[torch.Tensor, torch.Tensor]:
    """The Custom Activation cell's plot: ``_x`` and ``mooyaho(_x)``."""
    _x = torch.linspace(-10, 10, 100)
    return _x, mooyaho(_x)


def wide_architecture() -> tuple[torch.nn.Sequential, torch.optim.SGD]:
    """net4's 아키텍처 cell: 500 MOOYAHO nodes with biases, seed 1, lr 0.001."""
    torch.manual_seed(1)  # 초기가중치를 똑같이 하기 위해서..
    layer1 = torch.nn.Linear(in_features=1, out_features=500, bias=True)
    activation1 = MOOYAHO()
    layer2 = torch.nn.Linear(in_features=500, out_features=1, bias=True)
    net4 = torch.nn.Sequential(layer1, activation1, layer2)
    optimizer4 = torch.optim.SGD(net4.parameters(), lr=0.001)
    return net4, optimizer4


def wide_net(X: torch.Tensor, y: torch.Tensor) -> dict:
    """net4, 5000 epochs: on the piecewise data, and (as __X, __y) on the noise."""
    loss_fn = torch.nn.MSELoss()
    net4, optimizer4 = wide_architecture()
    for epoc in range(5000):  # noqa: B007
        # 1
        yhat = net4(X)
        # 2
        loss = loss_fn(yhat, y)
        # 3
        loss.backward()
        # 4
        optimizer4.step()
        net4.zero_grad()
    return {"net": net4, "loss": loss.detach(), "yhat": yhat.detach()}


def noise_data() -> tuple[torch.Tensor, torch.Tensor]:
    """무엇이든 맞출 수 있음: X = linspace(-1, 1, 100), y = randn(100, 1) after seed 43052."""
    torch.manual_seed(43052)
    __X = torch.linspace(-1, 1, 100).reshape(100, 1)
    __y = torch.randn(100, 1)
    return __X, __y


def cells() -> dict[str, Callable[[], dict]]:
    """The lecture's training cells in lecture order, each a call that trains once: the timed list."""
    X, y = piecewise_data()
    return {
        "polynomial_regression": polynomial_regression,
        "straight_line": lambda: straight_line(X, y),
        "net2 (1 node, seed 1)": lambda: relu_net(X, y, width=1, seed=1, epochs=1000),
        "net3 (2 nodes, seed 1)": lambda: relu_net(X, y, width=2, seed=1, epochs=1000),
        "net3 (2 nodes, seed 40352)": lambda: relu_net(X, y, width=2, seed=40352, epochs=10000),
        "net4 (500 MOOYAHO nodes)": lambda: wide_net(X, y),
        "net4 on noise": lambda: wide_net(*noise_data()),
    }


def run(names: list[str] | None = None) -> dict[str, tuple[float, dict]]:
    """Train the chosen cells (all by default) once; return ``{cell: (seconds, result)}``.

    The global random stream is restored afterwards: the lecture's seeds stay inside.
    """
    timings = {}
    with torch.random.fork_rng(devices=[]):
        for name, cell in cells().items():
            if names and name not in names:
                continue
            start = time.perf_counter()
            result = cell()
            timings[name] = (time.perf_counter() - start, result)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch threads (default 1, as pytest lessons uses)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.torch_threads)
    start = time.perf_counter()
    timings = run()
    total = time.perf_counter() - start
    for name, (seconds, result) in timings.items():
        print(f"{name:<28} {seconds:7.2f} s   final loss {float(result['loss']):.6g}")
    print(f"{'lecture, all cells':<28} {total:7.2f} s   ({args.torch_threads} torch thread(s))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
