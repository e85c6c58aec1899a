"""The benchmark plugin (checks/grader/benchmarks.py) and the report command (checks/grader/bench_report.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from checks.grader import bench_report

pytest_plugins = ["pytester"]


def _bench(name, device, median, *, lesson="relu_nodes", epochs=1000, group=None, **info):
    return {
        "group": group or f"{lesson}[{device}]",
        "name": f"{name}[{device}]",
        "fullname": f"checks/check_{lesson}.py::{name}[{device}]",
        "params": {"device": device},
        "param": device,
        "extra_info": {"lesson": lesson, "device": device, "epochs": epochs, **info},
        "stats": {"min": median, "max": median, "mean": median, "median": median, "rounds": 5},
    }


def _file(tmp_path, name, benchmarks, gpu=None):
    data = {
        "machine_info": {
            "machine": "x86_64",
            "cpu": {"brand_raw": "Test CPU"},
            "torch": {
                "version": "2.13.0",
                "cuda": "12.8" if gpu else None,
                "gpu": gpu,
                "torch_threads": 1,
            },
        },
        "benchmarks": benchmarks,
        "version": "5.3.1",
    }
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def files(tmp_path):
    cpu = _file(
        tmp_path,
        "cpu.json",
        [
            _bench("test_timed_two_nodes", "cpu", 0.08, what="2 nodes"),
            _bench("test_timed_sweep", "cpu", 2.0, epochs=6_000_000, what="seed sweep"),
            _bench(
                "test_timed_wide",
                "cpu",
                1.0,
                lesson="custom_activation",
                epochs=5000,
                what="500 nodes",
            ),
        ],
    )
    gpu = _file(
        tmp_path,
        "gpu.json",
        [
            _bench("test_timed_two_nodes", "cuda", 0.16, what="2 nodes"),
            _bench(
                "test_timed_wide",
                "cuda",
                0.25,
                lesson="custom_activation",
                epochs=5000,
                what="500 nodes",
            ),
            {
                "group": "targets",
                "name": "test_shared_loop",
                "params": None,
                "extra_info": {
                    "target": "fit(), 2 nodes",
                    "baseline_of": "the lecture's loop",
                    "per": "epoch",
                    "target_time": 5e-5,
                    "baseline_time": 1.5e-4,
                    "ratio": 3.0,
                },
                "stats": {"median": 0.05},
            },
        ],
        gpu="NVIDIA H200",
    )
    return cpu, gpu


def test_rows_pair_each_training_across_devices_and_files(files):
    report = bench_report.load(list(files))
    two = report.rows[("relu_nodes", "test_timed_two_nodes")]
    assert two.median == {"cpu": 0.08, "cuda": 0.16}
    assert two.rate("cpu") == pytest.approx(12_500)
    assert two.ratio() == pytest.approx(0.5)  # on a GPU this tiny net trains slower
    assert report.rows[("custom_activation", "test_timed_wide")].ratio() == pytest.approx(4.0)
    assert report.rows[("relu_nodes", "test_timed_sweep")].ratio() is None  # no GPU run
    assert "test_shared_loop" in report.targets


def test_markdown_has_a_table_per_lesson_in_lecture_order_and_the_targets(files):
    text = bench_report.markdown(bench_report.load(list(files)))
    assert (
        text.index("## relu_nodes")
        < text.index("## custom_activation")
        < text.index("## Speed targets")
    )
    assert "| 2 nodes | 80 ms | 12.5k | 160 ms | 6.25k | 0.50× |" in text
    assert "| 500 nodes | 1 s | 5k | 250 ms | 20k | 4.00× |" in text
    assert "| seed sweep | 2 s | 3M | – | – | – |" in text
    assert "| fit(), 2 nodes | 50 µs | the lecture's loop | 150 µs | epoch | 3.00× |" in text
    assert "GPU NVIDIA H200 (CUDA 12.8)" in text


def test_later_files_replace_earlier_results(tmp_path, files):
    cpu, _ = files
    again = _file(
        tmp_path, "again.json", [_bench("test_timed_two_nodes", "cpu", 0.04, what="2 nodes")]
    )
    report = bench_report.load([cpu, again])
    assert report.rows[("relu_nodes", "test_timed_two_nodes")].median["cpu"] == 0.04


def test_command_writes_the_table_and_a_png_chart(tmp_path, files):
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "checks.grader.bench_report", *map(str, files), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "## relu_nodes" in done.stdout
    assert (out / "report.md").read_text() == done.stdout
    assert (out / "benchmarks.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_command_refuses_files_without_benchmarks(tmp_path, capsys):
    empty = _file(tmp_path, "empty.json", [])
    with pytest.raises(SystemExit) as exit_info:
        bench_report.main([str(empty)])
    assert exit_info.value.code == 2
    assert "no benchmarks" in capsys.readouterr().err


TIMED_CLAIM = """
import types

from checks.timing import time_training

LESSON = types.ModuleType("lessons.toy")
calls = []


def train(model):
    calls.append(model)
    return "trained"


def test_timed(benchmark):
    result = time_training(
        benchmark, train, fresh=lambda: "fresh model", lesson=LESSON, device="cpu", epochs=10,
        session_result="from the session", rounds=2,
    )
    print("RESULT", result, len(calls))
"""


def test_disabled_benchmarks_train_nothing_and_return_the_session_result(pytester):
    pytester.makepyfile(test_toy=TIMED_CLAIM)
    result = pytester.runpytest_inprocess(
        "-p", "checks.grader.benchmarks", "--benchmark-disable", "-s"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*RESULT from the session 0*"])
    result.stdout.no_fnmatch_line("*not used at all*")


def test_enabled_benchmarks_time_fresh_models_and_record_torch(pytester, monkeypatch):
    # Under pytest -n, this test's process is an xdist worker and says so in its environment;
    # pytest-benchmark would take the inner run (no xdist) for one and turn itself off.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_toy=TIMED_CLAIM)
    result = pytester.runpytest_inprocess(
        "-p", "checks.grader.benchmarks", "--benchmark-enable", "--benchmark-json=out.json", "-s"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*RESULT trained 3*"])  # a warm-up round and 2 timed rounds
    data = json.loads((pytester.path / "out.json").read_text())
    (bench,) = data["benchmarks"]
    assert bench["group"] == "toy[cpu]"
    assert bench["extra_info"] == {"lesson": "toy", "device": "cpu", "epochs": 10, "what": ""}
    assert bench["stats"]["rounds"] == 2
    torch_info = data["machine_info"]["torch"]
    assert {"version", "cuda", "gpu", "torch_threads", "denormals_flushed"} <= set(torch_info)
    assert "## toy" in bench_report.markdown(bench_report.load([pytester.path / "out.json"]))
