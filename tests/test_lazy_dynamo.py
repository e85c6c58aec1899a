"""The box's stand-in for ``torch._dynamo``: eager training never imports the real package, and
gets the same bits; anything else of the package gets the real one, once.

Each case runs in a fresh interpreter: the stand-in can only go in before ``torch._dynamo`` is
imported, and this test process may have imported it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Trains a small net with SGD the lecture's way: zero_grad, backward, step (both of which reach
# torch._dynamo in eager mode), and returns its weights' bytes.
TRAIN = """
import sys, torch
from checks.grader.sandbox import lazy_dynamo

def train():
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.linspace(-1, 1, 100).unsqueeze(1)
    y = (x.abs() - 0.5).relu()
    for _ in range(200):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return b"".join(p.detach().numpy().tobytes() for p in model.parameters())

def loaded():
    return not isinstance(sys.modules.get("torch._dynamo"), lazy_dynamo.LazyDynamo)
"""


def run(body: str) -> None:
    script = TRAIN + textwrap.dedent(body)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


def test_eager_training_never_imports_the_package_and_gets_the_same_bits():
    run(
        """
        assert lazy_dynamo.install()
        with_stand_in = train()
        assert not loaded() and "sympy" not in sys.modules, "the real package was imported"
        import torch._dynamo.config  # a submodule: the real package from here on

        real = sys.modules["torch._dynamo"]
        assert loaded() and "sympy" in sys.modules and torch._dynamo is real
        assert torch._dynamo.config is sys.modules["torch._dynamo.config"] is real.config
        assert not any(type(f).__module__ == lazy_dynamo.__name__ for f in sys.meta_path)
        assert train() == with_stand_in  # zero_grad runs under the real disable now
        assert not lazy_dynamo.install()  # an imported package is left in place
        assert sys.modules["torch._dynamo"] is real and torch._dynamo is real
        """
    )


def test_a_from_import_gets_the_real_package_once():
    run(
        """
        assert lazy_dynamo.install()
        before = train()  # zero_grad is wrapped by the stand-in's disable now
        from torch._dynamo import config

        real = sys.modules["torch._dynamo"]
        assert loaded() and torch._dynamo is real
        assert config is sys.modules["torch._dynamo.config"] is real.config
        assert train() == before  # wrapped functions now run under the real disable
        """
    )


def test_torch_compile_still_compiles():
    """torch.compile reaches the package by attribute (torch._dynamo.optimize)."""
    run(
        """
        assert lazy_dynamo.install()
        train()
        counted = []

        def backend(graph, inputs):  # a backend of our own: no compiler needed
            counted.append(graph)
            return graph.forward

        compiled = torch.compile(lambda t: (t * 2).sin(), backend=backend)
        t = torch.arange(4.0)
        assert torch.equal(compiled(t), (t * 2).sin())
        assert loaded() and len(counted) == 1
        """
    )
