"""The fit cache: the grader's own fits (``lessons.fit`` on the lecture's nets), kept by content
(design N, issue 18).

The cache itself; its options and fixtures are in ``fit_cache_hooks``. Claims and fixtures
that train with the engine take the ``train`` fixture: ``train(model, X, y, lr=..., epochs=...,
device=...)`` is ``lessons.fit``, looked up first by a key of everything that determines its result bit for bit (``checks.grader.fit_key``). A hit loads the trained weights
into ``model`` and returns the losses and predictions the fit gave: the same bits, so a claim
cannot tell (tests/test_fit_cache.py). Where it lives: ``--fit-cache DIR`` (``lessons grade``
keeps one per gradebook), else pytest's cache folder (``.pytest_cache``, so a student's rerun
retrains only what changed), none with ``--no-fit-cache`` or ``-p no:cacheprovider``.

Only the grader's process reads or writes it: a lesson's process never sees the folder (0700).
An entry is a ``torch.save`` of tensors and strings, read with ``weights_only=True`` (no code
runs), checked against its key and a digest of its contents; one that does not pass is trained
again and rewritten, never trusted. Writes go to a temporary file renamed into place, so a
reader (another ``-j`` run) never sees half an entry.

Two threads may use one cache: the claims', and the fits-ahead thread (``fits_ahead``) that
trains what a correct lesson's claims will ask for while they wait on the lesson. One key is
computed by one of them at a time (``_turn``); the other waits and reads what it wrote. A key
that a forked lane trains (``fits_lane``) is waited for until the lane says it is done.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch

from checks.grader import fit_key
from checks.grader.cache_files import write_entry
from lessons._train import FitResult, fit


def _payload_digest(engine: str, losses, yhat, state: dict) -> str:
    digest = hashlib.sha256(engine.encode())
    for tensor in (losses, yhat, *state.values()):
        digest.update(fit_key.tensor_digest(tensor).encode())
    digest.update(repr(list(state)).encode())
    return digest.hexdigest()


@dataclass
class FitCache:
    """A folder of fits by key: ``<key[:2]>/<key>.pt``."""

    root: Path
    hits: int = 0
    trained: int = 0
    uncached: int = 0  # nets without a key: trained every time
    rejected: int = 0  # entries that failed to decode or to check: trained again
    ahead: int = 0  # of ``trained``: by the fits-ahead thread
    _made: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _running: dict = field(default_factory=dict, repr=False)  # key -> Event, set when done
    _ahead_keys: set = field(default_factory=set, repr=False)
    _read_keys: set = field(default_factory=set, repr=False)
    lane: object = field(default=None, repr=False)  # a fits_lane.Lane sharing the jobs ahead

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pt"

    @property
    def unused_ahead(self) -> int:
        """Fits the thread trained ahead that no claim read (so far): wasted work."""
        with self._lock:
            return len(self._ahead_keys - self._read_keys)

    def _count(self, name: str, key: str | None = None, keys: set | None = None) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)
            if keys is not None:
                keys.add(key)

    def trained_elsewhere(self, key: str) -> None:
        """Count a fit that a forked lane trained ahead into this folder."""
        self._count("trained")
        self._count("ahead", key, self._ahead_keys)

    def fit_key(self, model, X, y, *, lr, epochs, device="cpu", engine="auto") -> str | None:
        """The key of ``fit(model, X, y, ...)`` as it stands now; None for a net without one."""
        found = fit_key.material(model, X, y, lr=lr, epochs=epochs, device=device, engine=engine)
        return None if found is None else fit_key.key(found)

    def kept_key(self, what: str, inputs: dict, *, modules: tuple[str, ...], device="cpu") -> str:
        """The key of the computation ``kept(what, inputs, ..., modules=modules)``."""
        material = fit_key.computation_material(what, inputs, modules=modules, device=device)
        return fit_key.key(material)

    @contextlib.contextmanager
    def _turn(self, key: str) -> Iterator[None]:
        """The body runs for ``key`` in one thread at a time: a second one waits for the first
        to finish (and then finds its entry on disk). A key the forked lane took is first waited
        for there: then its entry is on disk, or the lane failed and the body computes it."""
        if self.lane is not None:
            self.lane.before(key)
        while True:
            with self._lock:
                running = self._running.get(key)
                if running is None:
                    running = self._running[key] = threading.Event()
                    break
            running.wait()
        try:
            yield
        finally:
            with self._lock:
                del self._running[key]
            running.set()

    def fit(self, model, X, y, *, lr, epochs, device="cpu", engine="auto") -> FitResult:
        """``lessons.fit(model, X, y, ...)``, from the cache when it holds this very fit."""
        key = self.fit_key(model, X, y, lr=lr, epochs=epochs, device=device, engine=engine)
        if key is None:
            self._count("uncached")
            return fit(model, X, y, lr=lr, epochs=epochs, device=device, engine=engine)
        with self._turn(key):
            entry = self._read(key, lambda entry: _valid(entry, key, model, X, epochs))
            if entry is None:
                result = fit(model, X, y, lr=lr, epochs=epochs, device=device, engine=engine)
                self._count("trained")
                self._write(key, result)
                return result
        self._count("hits", key, self._read_keys)
        model = model.to(device)
        with torch.no_grad():
            for name, tensor in model.state_dict().items():
                tensor.copy_(entry["state"][name])
        return FitResult(
            model, entry["losses"], entry["yhat"], lr, epochs, str(device), entry["engine"]
        )

    def fit_ahead(self, model, X, y, *, lr, epochs, device="cpu", engine="auto") -> bool:
        """Train and keep this fit unless the cache has it: the fits-ahead thread's ``train``.
        Whether it trained."""
        key = self.fit_key(model, X, y, lr=lr, epochs=epochs, device=device, engine=engine)
        if key is None:
            return False  # no key: the claim trains it anyway
        with self._turn(key):
            if self.path(key).is_file():
                return False
            result = fit(model, X, y, lr=lr, epochs=epochs, device=device, engine=engine)
            self._count("trained")
            self._count("ahead", key, self._ahead_keys)
            self._write(key, result)
            return True

    def kept(
        self,
        what: str,
        inputs: dict,
        compute: Callable[[], dict[str, torch.Tensor]],
        *,
        modules: tuple[str, ...],
        device="cpu",
    ) -> dict[str, torch.Tensor]:
        """``compute()``, a grader-side computation (a sweep) that returns named tensors, from the
        cache when it holds this very computation: ``what`` with ``inputs``, the source of
        ``modules`` (every module it runs), on ``device``."""
        key = self.kept_key(what, inputs, modules=modules, device=device)
        with self._turn(key):
            entry = self._read(key, lambda entry: _valid_tensors(entry, key))
            if entry is None:
                return self._compute(key, compute)
        self._count("hits", key, self._read_keys)
        return dict(entry["tensors"])

    def kept_ahead(self, what, inputs, compute, *, modules, device="cpu") -> bool:
        """Compute and keep ``compute()`` unless the cache has it: the fits-ahead thread's
        ``kept``. Whether it computed."""
        key = self.kept_key(what, inputs, modules=modules, device=device)
        with self._turn(key):
            if self.path(key).is_file():
                return False
            self._compute(key, compute)
            self._count("ahead", key, self._ahead_keys)
            return True

    def _compute(self, key: str, compute) -> dict[str, torch.Tensor]:
        tensors = {name: t.detach().cpu().clone() for name, t in compute().items()}
        self._count("trained")
        self._store(key, {"key": key, "tensors": tensors, "digest": _tensors_digest(tensors)})
        return tensors

    def _read(self, key: str, valid: Callable[[dict], bool]) -> dict | None:
        """The entry for ``key`` if it decodes and ``valid`` accepts it, else None."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            entry = torch.load(path, map_location="cpu", weights_only=True)
            if valid(entry):
                return entry
        except Exception:  # any way an entry can be broken: it is trained again, not trusted
            pass
        self._count("rejected")
        return None

    def _write(self, key: str, result: FitResult) -> None:
        state = {name: t.detach().cpu().clone() for name, t in result.model.state_dict().items()}
        losses, yhat = result.losses.detach().cpu(), result.yhat.detach().cpu()
        entry = {
            "key": key,
            "engine": result.engine,
            "losses": losses,
            "yhat": yhat,
            "state": state,
            "digest": _payload_digest(result.engine, losses, yhat, state),
        }
        self._store(key, entry)

    def _store(self, key: str, entry: dict) -> None:
        if not self._made:  # the root too is the grader's alone (a --fit-cache DIR made here)
            try:
                self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError:  # a read-only place: the next run trains this fit again, no more
                return
            self._made = True
        write_entry(self.path(key), lambda file: torch.save(entry, file))


def _tensors_digest(tensors: dict) -> str:
    digest = hashlib.sha256(repr(sorted(tensors)).encode())
    for name in sorted(tensors):
        digest.update(fit_key.tensor_digest(tensors[name]).encode())
    return digest.hexdigest()


def _valid_tensors(entry, key: str) -> bool:
    """A computation's entry is this key's and whole (its digest)."""
    if not isinstance(entry, dict) or entry.get("key") != key:
        return False
    tensors = entry.get("tensors")
    if not isinstance(tensors, dict) or not all(
        isinstance(t, torch.Tensor) for t in tensors.values()
    ):
        return False
    return entry.get("digest") == _tensors_digest(tensors)


def _valid(entry, key: str, model, X, epochs: int) -> bool:
    """The entry is this key's, whole (its digest), and has the shapes this fit gives."""
    if not isinstance(entry, dict) or entry.get("key") != key:
        return False
    losses, yhat, state = entry.get("losses"), entry.get("yhat"), entry.get("state")
    engine = entry.get("engine")
    if not (isinstance(losses, torch.Tensor) and isinstance(yhat, torch.Tensor)):
        return False
    if not isinstance(state, dict) or not isinstance(engine, str):
        return False
    ours = model.state_dict()
    if list(state) != list(ours) or not all(
        isinstance(state[n], torch.Tensor)
        and state[n].shape == t.shape
        and state[n].dtype == t.dtype
        for n, t in ours.items()
    ):
        return False
    if losses.shape != (epochs,) or yhat.dim() != 2 or yhat.shape[0] != X.shape[0]:
        return False
    return entry.get("digest") == _payload_digest(engine, losses, yhat, state)
