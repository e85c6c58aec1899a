"""The engine (``lessons/_*.py``) never imports a lesson module, and ``lessons/`` has no import
cycle: a lesson is the student's file, and the grader's process must not import it (issue 9)."""

from __future__ import annotations

import ast
from pathlib import Path

LESSONS_DIR = Path(__file__).resolve().parents[1] / "lessons"


def _imports(path: Path) -> set[str]:
    """The ``lessons.*`` modules a file imports (``from lessons import x`` counts as lessons.x)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("lessons.")}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "lessons":
                found |= {f"lessons.{alias.name}" for alias in node.names}
            elif node.module.startswith("lessons."):
                found.add(node.module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {f"lessons.{p.stem}": p for p in LESSONS_DIR.glob("*.py") if p.stem != "__init__"}
    return {name: _imports(path) & modules.keys() for name, path in modules.items()}


def _is_lesson(module: str) -> bool:
    return not module.rsplit(".", 1)[-1].startswith("_")


def test_no_engine_module_imports_a_lesson():
    graph = _graph()
    wrong = {m: sorted(filter(_is_lesson, deps)) for m, deps in graph.items() if not _is_lesson(m)}
    assert not any(wrong.values()), {m: deps for m, deps in wrong.items() if deps}
    package = {m for m in _imports(LESSONS_DIR / "__init__.py") if _is_lesson(m)}
    assert not package, f"lessons/__init__.py imports lesson modules: {package}"


def test_lessons_have_no_import_cycle():
    graph = _graph()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for dep in graph[module]:
            visit(dep, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())


# --- No engine name answers a homework (issue 16) ----------------------------------------------
# A lesson may import the engine, so nothing public in it may hand a student a homework answer.
# Each homework has a probe (arguments) and its answer (from the grader's reference copies,
# checks/reference/); every public function and class the engine defines is called with every
# probe whose arguments it accepts, and must not return that answer. ``FitResult``'s fields are
# read on a probe result too (``divergence_epoch``'s answer was once a property of it).
#
# The one exemption, said here: linear_model.train is the training loop, and ``lessons.fit`` (with
# ``lessons._fast.train`` behind it) is the course's loop that every lesson trains with. It stays
# in reach and refuses to run inside that homework instead (lessons/_own_work.py; hostile
# submissions in tests/submissions/hostile_*).

import dataclasses  # noqa: E402
import importlib  # noqa: E402
import inspect  # noqa: E402
import math  # noqa: E402
import pkgutil  # noqa: E402

import torch  # noqa: E402

from checks.reference import data, nets, oracles, sweeps  # noqa: E402
from lessons._train import FitResult  # noqa: E402

TRAIN_LOOP_EXEMPT = {"lessons._train.fit", "lessons._fast.train"}


def _probes() -> dict[str, tuple[tuple, object]]:
    """'lesson.function': (arguments, the answer)."""
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(9, 1, generator=generator)
    y = 2 * x + torch.randn(9, 1, generator=generator)
    X3 = data.cubic_features(x.flatten())
    relu, wide = nets.relu_model(3, 5), nets.wide_model(4, 3)
    u1 = x @ relu[0].weight.detach().T
    w1, w2 = relu[0].weight.detach().flatten(), relu[2].weight.detach().flatten()
    w, _ = oracles.least_squares(oracles.with_intercept(X3), y)
    line_loss = oracles.least_squares(oracles.with_intercept(x), y)[1]
    hessian = float(torch.linalg.eigvalsh(oracles.mse_hessian(X3))[-1])
    losses = torch.tensor([4.0, 9.0, 81.0, math.inf, math.nan, math.nan])
    diverged = FitResult(wide, losses, y, 0.25, 6, "cpu")
    sweep = sweeps.WidthSweep(
        (3, 30, 300), torch.rand(3, 4), torch.tensor([[0.9] * 4, [0.2] * 4, [0.5] * 4])
    )
    return {
        "linear_model.design_matrix": ((x,), torch.cat([torch.ones_like(x), x], dim=1)),
        "polynomial_regression.features": ((x.flatten(),), X3),
        "polynomial_regression.least_squares": ((X3, y), (w[:3].flatten(), float(w[3]))),
        "piecewise_linear.make_data": ((7, 30), data.piecewise_data(7, 30)),
        "piecewise_linear.best_line_loss": ((x, y), line_loss),
        "relu_nodes.build_model": ((3, 5), relu),
        "relu_nodes.decompose": ((relu, x), (u1, u1.relu(), u1.relu() @ relu[2].weight.detach().T)),
        "relu_nodes.effective_slopes": (
            (relu,),
            (float((w1 * w2)[w1 < 0].sum()), float((w1 * w2)[w1 > 0].sum())),
        ),
        "custom_activation.mooyaho": ((x,), torch.sigmoid(200 * x)),
        "custom_activation.build_model": ((4, 3), wide),
        "memorise_noise.zero_predictor_loss": ((y,), float((y.double() ** 2).mean())),
        "overfitting.held_out_loss": ((wide, x, y), oracles.mse(wide(x).detach(), y)),
        "overfitting.best_width": ((sweep,), 30),
        "learning_rate.divergence_epoch": ((diverged,), 3),
        "learning_rate.largest_hessian_eigenvalue": ((X3,), hessian),
        "learning_rate.critical_learning_rate": ((X3,), 2 / hessian),
    }


def _same(got, answer) -> bool:
    """``got`` is the answer: equal numbers (to 1e-5), tensors, tuples of them, or a net with the
    answer's layers and weights."""
    if isinstance(answer, torch.nn.Module):
        if not isinstance(got, torch.nn.Module) or str(got) != str(answer):
            return False
        mine, theirs = got.state_dict(), answer.state_dict()
        return mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine)
    if isinstance(answer, torch.Tensor):
        return (
            isinstance(got, torch.Tensor)
            and got.shape == answer.shape
            and bool(torch.allclose(got.double(), answer.double(), rtol=1e-5, atol=1e-6))
        )
    if isinstance(answer, tuple):
        return (
            isinstance(got, tuple | list)
            and len(got) == len(answer)
            and all(_same(g, a) for g, a in zip(got, answer, strict=True))
        )
    if isinstance(got, bool) or not isinstance(got, int | float):
        return False
    return math.isclose(float(got), float(answer), rel_tol=1e-5)


def _steps_like_mooyaho(cls) -> bool:
    """A class whose no-argument instance computes sigmoid(200x): the MOOYAHO homework."""
    x = torch.linspace(-0.05, 0.05, 41)
    try:
        return _same(cls()(x), torch.sigmoid(200 * x))
    except Exception:
        return False


def _defined_in(module) -> dict[str, object]:
    """The public functions and classes ``module`` defines (not what it imports from torch)."""
    return {
        name: obj
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and getattr(obj, "__module__", "") == module.__name__
    }


def answers_found(modules, result_type=FitResult) -> set[str]:
    """'module.name answers lesson.function' for every public name of ``modules`` that returns a
    homework's answer to its probe (or is a MOOYAHO class), and every field of FitResult that does."""
    found = set()
    probes = _probes()
    for module in modules:
        for name, obj in _defined_in(module).items():
            qualified = f"{module.__name__}.{name}"
            if (
                inspect.isclass(obj)
                and issubclass(obj, torch.nn.Module)
                and _steps_like_mooyaho(obj)
            ):
                found.add(f"{qualified} answers custom_activation.MOOYAHO")
            try:
                signature = inspect.signature(obj)
            except (TypeError, ValueError):
                continue
            for homework, (args, answer) in probes.items():
                try:
                    signature.bind(*args)
                except TypeError:
                    continue
                try:
                    got = obj(*args)
                except Exception:
                    continue
                if _same(got, answer):
                    found.add(f"{qualified} answers {homework}")
    (diverged,), epoch = probes["learning_rate.divergence_epoch"]
    result = result_type(*(getattr(diverged, f.name) for f in dataclasses.fields(FitResult)))
    for field in dir(result):
        if not field.startswith("_") and _same(getattr(result, field), epoch):
            found.add(f"FitResult.{field} answers learning_rate.divergence_epoch")
    return found


def _engine_modules():
    import lessons

    names = [
        f"lessons.{m.name}" for m in pkgutil.iter_modules(lessons.__path__) if m.name[0] == "_"
    ]
    return [lessons, *(importlib.import_module(name) for name in names)]


def test_no_engine_name_answers_a_homework():
    found = {
        line
        for line in answers_found(_engine_modules())
        if line.split()[0] not in TRAIN_LOOP_EXEMPT
    }
    assert not found, "the engine hands out homework answers:\n" + "\n".join(sorted(found))


def test_the_probes_find_the_answers_where_they_are():
    """The scan can fail: run on the grader's reference copies, it finds the answers they hold."""
    found = answers_found([data, nets, oracles])
    expected = {
        "checks.reference.data.cubic_features answers polynomial_regression.features",
        "checks.reference.data.piecewise_data answers piecewise_linear.make_data",
        "checks.reference.nets.relu_model answers relu_nodes.build_model",
        "checks.reference.nets.wide_model answers custom_activation.build_model",
        "checks.reference.nets.MOOYAHO answers custom_activation.MOOYAHO",
    }
    assert expected <= found, sorted(expected - found)

    class OldFitResult(FitResult):  # FitResult as it was before issue 16
        @property
        def first_nonfinite_epoch(self):
            return oracles.first_nonfinite_epoch(self.losses)

    found = answers_found([], result_type=OldFitResult)
    assert found == {"FitResult.first_nonfinite_epoch answers learning_rate.divergence_epoch"}
