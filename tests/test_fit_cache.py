"""The fit cache gives the bits a fit gives, keys every input that changes them, trusts no entry
it cannot check, and is the grader's own: on with pytest's cache or --fit-cache, off with
--no-fit-cache."""

from __future__ import annotations

import io
import math

import pytest
import torch

from checks.grader import bulk, fit_key
from checks.grader.denormals import denormals, denormals_flushed
from checks.grader.fit_cache import FitCache
from checks.grader.gradebook import GRADED
from checks.reference import nets, sweeps
from checks.reference.data import cubic_features, piecewise_data
from checks.reference.sweeps import relu_final_losses
from lessons._seeding import lecture_seed
from lessons._train import fit
from tests._fake_project import ANSWER_LESSON, make_project, write_files
from tests.test_bulk import commit

EPOCHS = 50  # enough to move every weight; the lecture's runs are checked by the lessons' claims


def relu_net() -> torch.nn.Sequential:
    return nets.relu_model(2, 1)


def mooyaho_net() -> torch.nn.Sequential:
    return nets.wide_model(20, seed=1)


def line() -> torch.nn.Linear:
    with lecture_seed(3):
        return torch.nn.Linear(1, 1)


def data():
    return piecewise_data()


def assert_same_fit(got, want) -> None:
    """Every bit of the losses, the predictions and the trained weights, and the engine."""
    assert torch.equal(got.losses, want.losses) and got.losses.dtype == want.losses.dtype
    assert torch.equal(got.yhat, want.yhat)
    assert got.engine == want.engine and got.epochs == want.epochs and got.lr == want.lr
    ours, theirs = got.model.state_dict(), want.model.state_dict()
    assert list(ours) == list(theirs)
    assert all(torch.equal(ours[name], theirs[name]) for name in ours)


@pytest.mark.parametrize("build", [relu_net, mooyaho_net, line])
@pytest.mark.parametrize("engine", ["auto", "autograd"])
def test_a_hit_gives_the_bits_of_the_fit(tmp_path, build, engine):
    X, y = data()
    want = fit(build(), X, y, lr=0.1, epochs=EPOCHS, engine=engine)
    cache = FitCache(tmp_path)
    missed = cache.fit(build(), X, y, lr=0.1, epochs=EPOCHS, engine=engine)
    hit = cache.fit(build(), X, y, lr=0.1, epochs=EPOCHS, engine=engine)
    assert (cache.trained, cache.hits) == (1, 1)
    assert_same_fit(missed, want)
    assert_same_fit(hit, want)
    untrained = build().state_dict()
    trained = hit.model.state_dict()
    assert any(not torch.equal(trained[name], untrained[name]) for name in untrained)


def test_a_hit_trains_the_model_it_was_given(tmp_path):
    """As fit does: the model passed in holds the trained weights afterwards."""
    X, y = data()
    cache = FitCache(tmp_path)
    cache.fit(relu_net(), X, y, lr=0.1, epochs=EPOCHS)
    model = relu_net()
    result = cache.fit(model, X, y, lr=0.1, epochs=EPOCHS)
    assert result.model is model and cache.hits == 1
    assert torch.equal(
        model[0].weight, fit(relu_net(), X, y, lr=0.1, epochs=EPOCHS).model[0].weight
    )
    assert all(p.requires_grad and p.grad is None for p in model.parameters())


def test_a_fit_is_kept_for_the_layout_it_was_trained_on(tmp_path):
    """The lecture's features are a transposed view (``vstack(...).T``); the sandbox sends a
    lesson's tensor contiguous. The same numbers in the two layouts train Linear(3, 1) to weights
    a few ulps apart here: each is a fit of its own, and each hit gives its own bits."""
    from lessons._lecture import polynomial_data, polynomial_model

    x, y = polynomial_data()
    view = cubic_features(x[:, 0])
    copied = view.contiguous()
    assert torch.equal(view, copied) and view.stride() != copied.stride()
    cache = FitCache(tmp_path)
    for features in (view, copied, view, copied):
        got = cache.fit(polynomial_model(), features, y, lr=0.01, epochs=EPOCHS)
        assert_same_fit(got, fit(polynomial_model(), features, y, lr=0.01, epochs=EPOCHS))
    assert (cache.trained, cache.hits) == (2, 2)


def _material(model=None, X=None, y=None, **settings):
    X0, y0 = data()
    kwargs = {"lr": 0.1, "epochs": EPOCHS, "device": "cpu", "engine": "auto", **settings}
    return fit_key.material(
        relu_net() if model is None else model, X0 if X is None else X, y0 if y is None else y,
        **kwargs,
    )  # fmt: skip


def _one_bit_off(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor with its first element moved to the next float of its dtype."""
    changed = tensor.clone()
    flat = changed.view(-1)
    flat[0] = torch.nextafter(flat[0], torch.tensor(math.inf, dtype=flat.dtype))
    assert not torch.equal(changed, tensor)
    return changed


def _other_weights() -> torch.nn.Sequential:
    model = relu_net()
    with torch.no_grad():
        model[0].weight.copy_(_one_bit_off(model[0].weight))
    return model


def _mooyaho_with_relu_weights() -> torch.nn.Sequential:
    model = relu_net()
    model[1] = nets.MOOYAHO()
    return model


def test_the_key_changes_with_every_input(monkeypatch):
    base = fit_key.key(_material())
    assert fit_key.key(_material()) == base  # the same inputs, the same key
    X, y = data()
    changed = {
        "initial weights (one bit)": _material(_other_weights()),
        "architecture (same weights)": _material(_mooyaho_with_relu_weights()),
        "X (one bit)": _material(X=_one_bit_off(X)),
        "y (one bit)": _material(y=_one_bit_off(y)),
        "y's dtype": _material(y=y.double()),
        "X's layout (same values)": _material(X=torch.cat([X, X], dim=1)[:, :1]),
        "X's offset (same values)": _material(X=torch.cat([X[:1], X])[1:]),
        "lr (one bit)": _material(lr=math.nextafter(0.1, 1.0)),
        "epochs": _material(epochs=EPOCHS + 1),
        "engine": _material(engine="autograd"),
    }
    with denormals(not denormals_flushed()):
        changed["flushing denormals"] = _material()
    threads = torch.get_num_threads()
    torch.set_num_threads(threads + 1)
    try:
        changed["threads"] = _material()
    finally:
        torch.set_num_threads(threads)
    monkeypatch.setattr(torch, "__version__", torch.__version__ + "+other")
    changed["torch version"] = _material()
    monkeypatch.undo()
    monkeypatch.setattr(fit_key, "engine_source", lambda: "an edited engine")
    changed["engine's source"] = _material()
    monkeypatch.undo()
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "another SIMD")
    changed["CPU's vector unit"] = _material()
    monkeypatch.undo()
    monkeypatch.setattr(fit_key, "_device", lambda device: {"device": "cuda:0", "gpu": "a GPU"})
    changed["device"] = _material()
    monkeypatch.undo()
    keys = {what: fit_key.key(found) for what, found in changed.items()}
    assert base not in keys.values(), [what for what, key in keys.items() if key == base]
    assert len(set(keys.values())) == len(keys)


class Activation(torch.nn.Module):
    """A layer the engine does not know (a student's own): what it computes is not in its type."""

    def forward(self, x):
        return torch.relu(x)


def test_a_net_the_key_cannot_describe_is_trained_every_time(tmp_path):
    X, y = data()
    cache = FitCache(tmp_path)
    for _ in range(2):
        model = relu_net()
        model[1] = Activation()
        cache.fit(model, X, y, lr=0.1, epochs=EPOCHS)
    assert (cache.uncached, cache.trained, cache.hits) == (2, 0, 0)
    assert not list(tmp_path.rglob("*.pt"))


def _corrupt_bytes(path):
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


def _forged_losses(path):
    """A well-formed entry whose losses were changed: its digest no longer matches."""
    entry = torch.load(path, weights_only=True)
    entry["losses"] = entry["losses"] * 0.5
    torch.save(entry, path)


def _other_key(path):
    entry = torch.load(path, weights_only=True)
    entry["key"] = "0" * 64
    torch.save(entry, path)


def _code(path):
    """An entry that would run code if unpickled: weights_only refuses it."""
    import pickle

    class Boom:
        def __reduce__(self):
            return (print, ("unpickled",))

    path.write_bytes(pickle.dumps(Boom(), protocol=2))


@pytest.mark.parametrize(
    "break_it",
    [
        lambda path: path.write_bytes(b""),
        lambda path: path.write_bytes(path.read_bytes()[:100]),
        _corrupt_bytes,
        _forged_losses,
        _other_key,
        _code,
    ],
    ids=["empty", "truncated", "flipped byte", "forged losses", "another key", "code"],
)
def test_a_broken_entry_is_trained_again_not_trusted(tmp_path, capsys, break_it):
    X, y = data()
    want = fit(relu_net(), X, y, lr=0.1, epochs=EPOCHS)
    FitCache(tmp_path).fit(relu_net(), X, y, lr=0.1, epochs=EPOCHS)
    (entry,) = tmp_path.rglob("*.pt")
    break_it(entry)

    cache = FitCache(tmp_path)
    assert_same_fit(cache.fit(relu_net(), X, y, lr=0.1, epochs=EPOCHS), want)
    assert (cache.rejected, cache.trained, cache.hits) == (1, 1, 0)
    assert "unpickled" not in capsys.readouterr().out
    again = FitCache(tmp_path)  # the entry was written again, whole
    assert_same_fit(again.fit(relu_net(), X, y, lr=0.1, epochs=EPOCHS), want)
    assert again.hits == 1
    assert not list(tmp_path.rglob("*.tmp"))  # writes leave no temporary file behind


# Grader-side computations (the sweeps) are kept the same way: ``FitCache.kept``.


def _small_sweep(X, y) -> dict[str, torch.Tensor]:
    return {"losses": relu_final_losses(2, range(8), X, y, lr=0.1, epochs=EPOCHS)}


def _kept(cache: FitCache, X, y, **inputs) -> dict[str, torch.Tensor]:
    calls = {"widths": 2, "seeds": 8, "X": X, "y": y, "lr": 0.1, "epochs": EPOCHS, **inputs}
    return cache.kept("small sweep", calls, lambda: _small_sweep(X, y), modules=sweeps.MODULES)


def test_a_kept_computation_gives_its_bits_and_runs_once(tmp_path):
    X, y = data()
    want = _small_sweep(X, y)["losses"]
    first = FitCache(tmp_path)
    assert torch.equal(_kept(first, X, y)["losses"], want)
    again = FitCache(tmp_path)
    assert torch.equal(_kept(again, X, y)["losses"], want)
    assert (first.trained, first.hits, again.trained, again.hits) == (1, 0, 0, 1)


def test_a_kept_computation_is_keyed_by_its_inputs_and_sources():
    X, _ = data()
    base = {"seeds": 8, "X": X, "lr": 0.1}
    material = lambda **change: fit_key.key(  # noqa: E731
        fit_key.computation_material(
            "sweep", {**base, **change}, modules=sweeps.MODULES, device="cpu"
        )
    )
    keys = {
        material(),
        material(seeds=9),
        material(X=_one_bit_off(X)),
        material(lr=math.nextafter(0.1, 1.0)),
        fit_key.key(fit_key.computation_material("sweep", base, modules=(), device="cpu")),
    }
    assert len(keys) == 5
    assert material() == material()  # and the same inputs give the same key
    with pytest.raises(TypeError, match="cannot key"):
        material(lr=object())


def test_a_broken_kept_entry_is_computed_again(tmp_path):
    X, y = data()
    _kept(FitCache(tmp_path), X, y)
    (entry,) = tmp_path.rglob("*.pt")
    stored = torch.load(entry, weights_only=True)
    stored["tensors"]["losses"] = stored["tensors"]["losses"] * 0.5  # its digest no longer holds
    torch.save(stored, entry)
    cache = FitCache(tmp_path)
    assert torch.equal(_kept(cache, X, y)["losses"], _small_sweep(X, y)["losses"])
    assert (cache.rejected, cache.trained, cache.hits) == (1, 1, 0)


CLAIM = """\
import pytest
import torch

from lessons._seeding import lecture_seed


@pytest.mark.claim(points=1)
def test_two_nodes_train(train):
    '''Two ReLU nodes train below their first loss.'''
    X = torch.linspace(-1, 1, 50).reshape(50, 1)
    y = torch.where(X < 0, X, 3.5 * X)
    with lecture_seed(1):
        net = torch.nn.Sequential(
            torch.nn.Linear(1, 2, bias=False), torch.nn.ReLU(), torch.nn.Linear(2, 1, bias=False)
        )
    result = train(net, X, y, lr=0.1, epochs=50)
    assert result.final_loss < float(result.losses[0])
"""


def test_the_plugin_keeps_fits_where_it_is_told(project, tmp_path):
    project.passing("alpha")
    project.checks("alpha", CLAIM)
    folder = tmp_path / "fits"

    first = project.run("lessons", "-v", "--fit-cache", str(folder))  # -v: the header lines
    second = project.run("lessons", "--fit-cache", str(folder))
    first.assert_outcomes(passed=1)
    second.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(
        [f"lessons: fit cache in {folder} *", "fit cache: 0 fit(s) read, 1 trained*"]
    )
    second.stdout.fnmatch_lines(["fit cache: 1 fit(s) read, 0 trained*"])
    assert (folder.stat().st_mode & 0o077) == 0  # the grader's alone

    off = project.run("lessons", "-v", "--fit-cache", str(folder), "--no-fit-cache")
    off.assert_outcomes(passed=1)
    off.stdout.fnmatch_lines(["lessons: fit cache off *"])
    assert "fit(s) read" not in off.stdout.str()

    local = project.run("lessons", "-v")  # pytest's own cache folder
    local.stdout.fnmatch_lines(["lessons: fit cache in *.pytest_cache*fit-cache *"])
    assert list((project.path / ".pytest_cache").rglob("*.pt"))
    graded = project.run("lessons", "-v", "-p", "no:cacheprovider")
    graded.stdout.fnmatch_lines(["lessons: fit cache off *"])


def test_lessons_grade_keeps_one_cache_per_gradebook(tmp_path):
    """Two students with the same lecture net: the second reads the first's fit."""
    course = make_project(tmp_path / "course", {"alpha": ANSWER_LESSON}, {"alpha": CLAIM})
    commit(course)
    subs, out = tmp_path / "subs", tmp_path / "grades"
    for name in ("ann", "bob"):
        write_files(subs / name, {"lessons/alpha.py": ANSWER_LESSON})

    rows = bulk.grade_all(subs, out, root=course, jobs=1, timeout=300, stream=io.StringIO())

    assert [(row.status, row.total) for row in rows] == [(GRADED, 1), (GRADED, 1)]
    logs = [(out / f"{name}.log").read_text() for name in ("ann", "bob")]
    assert "fit cache: 0 fit(s) read, 1 trained" in logs[0]
    assert "fit cache: 1 fit(s) read, 0 trained" in logs[1]
    assert len(list((out / bulk.FIT_CACHE).rglob("*.pt"))) == 1
