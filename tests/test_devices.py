"""``--device cpu|cuda|all`` parametrizes the fits; an absent device is a skip with its reason."""

import pytest
import torch

from checks.grader.devices import unavailable_reason

FITS = '''
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def fitted(device):
    with Path("fits.log").open("a") as log:  # one line per training run
        print(device, file=log)
    return device


@pytest.mark.claim(points=1)
def test_fit_is_on_its_device(fitted, device):
    """The fit ran on the device it was asked for."""
    assert fitted == device


@pytest.mark.claim(points=2)
def test_another_claim_on_the_same_fit(fitted):
    """A second claim shares the fit."""
'''


def fake_torch_build(monkeypatch, *, cuda: str | None, gpu: bool, hip: str | None = None) -> None:
    """Make this torch look like a build with these CUDA / ROCm versions and a GPU or none."""
    monkeypatch.setattr(torch.version, "cuda", cuda)
    monkeypatch.setattr(torch.version, "hip", hip)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpu)


def test_cpu_is_always_available(monkeypatch):
    fake_torch_build(monkeypatch, cuda=None, gpu=False)
    assert unavailable_reason("cpu") is None


def test_cuda_on_a_cpu_only_build_names_the_build(monkeypatch):
    fake_torch_build(monkeypatch, cuda=None, gpu=False)
    assert unavailable_reason("cuda") == (
        f"CUDA not available: this torch {torch.__version__} is a CPU-only build"
    )


def test_cuda_build_without_a_gpu_says_so(monkeypatch):
    fake_torch_build(monkeypatch, cuda="12.4", gpu=False)
    assert unavailable_reason("cuda") == (
        "CUDA not available: torch has CUDA support but sees no GPU"
    )


def test_cuda_build_with_a_gpu_is_available(monkeypatch):
    fake_torch_build(monkeypatch, cuda="12.4", gpu=True)
    assert unavailable_reason("cuda") is None


def test_rocm_build_with_a_gpu_is_available_as_cuda(monkeypatch):
    fake_torch_build(monkeypatch, cuda=None, hip="6.2", gpu=True)
    assert unavailable_reason("cuda") is None


@pytest.fixture
def fits(project):
    project.lesson("alpha")
    project.checks("alpha", FITS)
    return project


@pytest.mark.parametrize(
    ("cuda", "reason"),
    [
        (None, f"CUDA not available: this torch {torch.__version__} is a CPU-only build"),
        ("12.4", "CUDA not available: torch has CUDA support but sees no GPU"),
    ],
    ids=["cpu-only-build", "no-gpu"],
)
def test_cuda_without_a_gpu_skips_every_fit_with_the_reason(fits, monkeypatch, cuda, reason):
    fake_torch_build(monkeypatch, cuda=cuda, gpu=False)

    result = fits.run("lessons", "--device", "cuda", "-rs")

    result.assert_outcomes(skipped=2)
    skips = [line for line in result.stdout.lines if line.startswith("SKIPPED")]
    assert len(skips) == 2 and all(line.endswith(f": {reason}") for line in skips)
    result.stdout.re_match_lines([r"alpha\s+0/0\s+0/0  \(2 skipped\)$", r"total\s+0/0\s+0/0$"])
    assert not (fits.path / "fits.log").exists()


def test_device_defaults_to_cpu(fits):
    result = fits.run("lessons", "--collect-only", "-q")

    result.stdout.fnmatch_lines(["checks/check_alpha.py::test_fit_is_on_its_device[[]cpu[]]"])
    result.stdout.no_fnmatch_line("*cuda*")


def test_device_all_runs_each_fit_once_on_cpu_and_once_on_cuda(fits, monkeypatch):
    fake_torch_build(monkeypatch, cuda="12.4", gpu=True)  # the fake fit never touches the GPU

    result = fits.run("lessons", "--device", "all", "-v")

    result.stdout.fnmatch_lines(
        [
            "checks/check_alpha.py::test_fit_is_on_its_device[[]cpu[]] PASSED*",
            "checks/check_alpha.py::test_another_claim_on_the_same_fit[[]cpu[]] PASSED*",
            "checks/check_alpha.py::test_fit_is_on_its_device[[]cuda[]] PASSED*",
            "checks/check_alpha.py::test_another_claim_on_the_same_fit[[]cuda[]] PASSED*",
        ]
    )
    assert (fits.path / "fits.log").read_text().split() == ["cpu", "cuda"]
