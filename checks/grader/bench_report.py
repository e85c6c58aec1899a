"""Turn pytest-benchmark JSON files into a report: a table per lesson and a bar chart.

    lessons bench-report bench.json [more.json ...] [--out DIR]
    python -m checks.grader.bench_report ...   (the same)

For each lesson, one row per timed training: the median time of a whole training run and the
net-epochs per second (epochs x nets trained, from the benchmark's ``extra_info``) on the CPU and
on the GPU, and the CPU/GPU ratio (CPU median / GPU median: above 1, the GPU is faster). The speed
targets (group ``targets``) get a table of their own with their baselines and ratios. The tables
are printed and, with ``--out``, written to ``DIR/report.md`` with the chart ``DIR/benchmarks.png``.
Files are read in order; a later file's result replaces an earlier one's for the same training
and device, so ``cpu.json gpu.json`` merges a CPU machine's run with a GPU machine's.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.figure import Figure  # the object API: no pyplot state, no backend switch

DEVICES = ("cpu", "cuda")
TARGETS = "targets"


@dataclass
class Row:
    """One timed training: its median seconds and net-epochs per run, per device."""

    lesson: str
    name: str
    what: str
    median: dict[str, float] = field(default_factory=dict)
    epochs: dict[str, int] = field(default_factory=dict)

    def rate(self, device: str) -> float | None:
        """Net-epochs per second on ``device``, when the benchmark says how many it trained."""
        if device not in self.median or not self.epochs.get(device):
            return None
        return self.epochs[device] / self.median[device]

    def ratio(self) -> float | None:
        """CPU median / GPU median (how many times faster the GPU trains), when both ran."""
        if all(d in self.median for d in DEVICES):
            return self.median["cpu"] / self.median["cuda"]
        return None


@dataclass
class Report:
    rows: dict[tuple[str, str], Row] = field(default_factory=dict)
    targets: dict[str, dict] = field(default_factory=dict)
    machines: list[str] = field(default_factory=list)


def _base_name(name: str) -> str:
    """``test_x[cpu]`` -> ``test_x``: the same training on every device shares one row."""
    return re.sub(r"\[[^\]]*\]$", "", name)


def _device(bench: dict) -> str:
    info, params = bench.get("extra_info") or {}, bench.get("params") or {}
    return str(info.get("device") or params.get("device") or "cpu")


def _lesson(bench: dict) -> str:
    info = bench.get("extra_info") or {}
    return str(info.get("lesson") or re.sub(r"\[[^\]]*\]$", "", bench.get("group") or "") or "?")


def _machine(info: dict) -> str:
    torch = info.get("torch") or {}
    if not isinstance(
        torch, dict
    ):  # a report written without checks.grader.benchmarks' machine info
        torch = {"version": str(torch)}
    cpu = (info.get("cpu") or {}).get("brand_raw") or info.get("machine") or "?"
    parts = [f"torch {torch.get('version', '?')}", f"CPU {cpu}"]
    if torch.get("gpu"):
        parts.append(f"GPU {torch['gpu']} (CUDA {torch.get('cuda')})")
    if "torch_threads" in torch:
        parts.append(f"{torch['torch_threads']} thread(s)")
    return ", ".join(parts)


def load(paths: list[Path]) -> Report:
    """Read pytest-benchmark JSON files (``--benchmark-json``) into one report."""
    report = Report()
    for path in paths:
        data = json.loads(Path(path).read_text())
        report.machines.append(f"{Path(path).name}: {_machine(data.get('machine_info') or {})}")
        for bench in data.get("benchmarks", []):
            info = bench.get("extra_info") or {}
            median = float(bench["stats"]["median"])
            if bench.get("group") == TARGETS:
                report.targets[bench["name"]] = {"median": median, **info}
                continue
            lesson, name, device = _lesson(bench), _base_name(bench["name"]), _device(bench)
            row = report.rows.setdefault(
                (lesson, name), Row(lesson, name, str(info.get("what") or name))
            )
            row.median[device] = median
            if info.get("epochs"):
                row.epochs[device] = int(info["epochs"])
    return report


def _in_lecture_order(rows) -> list[Row]:
    """Rows by lesson in lecture order (unknown lessons last, alphabetically)."""
    try:
        from lessons import LESSONS
    except Exception:  # the report must not depend on the lessons importing
        LESSONS = ()
    rank = {name: i for i, name in enumerate(LESSONS)}
    return sorted(rows, key=lambda r: (rank.get(r.lesson, len(rank)), r.lesson))


def _seconds(x: float | None) -> str:
    if x is None:
        return "–"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if x >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x / 1e-9:.3g} ns"


def _count(x: float | None) -> str:
    if x is None:
        return "–"
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.3g}{suffix}"
    return f"{x:.3g}"


def _times(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}×"


def markdown(report: Report) -> str:
    """The report as markdown: machines, a table per lesson, the targets."""
    lines = ["# Training benchmarks", ""]
    lines += [f"- {machine}" for machine in report.machines]
    lessons: dict[str, list[Row]] = {}
    for row in _in_lecture_order(report.rows.values()):
        lessons.setdefault(row.lesson, []).append(row)
    for lesson, rows in lessons.items():
        lines += ["", f"## {lesson}", ""]
        lines.append(
            "| training | CPU median | CPU net-epochs/s | GPU median | GPU net-epochs/s | CPU/GPU |"
        )
        lines.append("|---|---:|---:|---:|---:|---:|")
        for r in rows:
            cpu, gpu = r.median.get("cpu"), r.median.get("cuda")
            lines.append(
                f"| {r.what} | {_seconds(cpu)} | {_count(r.rate('cpu'))} | {_seconds(gpu)} | "
                f"{_count(r.rate('cuda'))} | {_times(r.ratio())} |"
            )
    if report.targets:
        lines += ["", "## Speed targets", ""]
        lines.append("| target | time | baseline | baseline time | per | speed-up |")
        lines.append("|---|---:|---|---:|---|---:|")
        for name, t in report.targets.items():
            lines.append(
                f"| {t.get('target', name)} | {_seconds(t.get('target_time', t['median']))} | "
                f"{t.get('baseline_of', '')} | {_seconds(t.get('baseline_time'))} | "
                f"{t.get('per', 'run')} | {_times(t.get('ratio'))} |"
            )
    return "\n".join(lines) + "\n"


def chart(report: Report) -> Figure:
    """Median time of each training, one bar per device, on a log scale."""
    rows = _in_lecture_order(report.rows.values())
    fig = Figure(figsize=(9, 0.45 * max(len(rows), 2) + 1.2), layout="constrained")
    ax = fig.subplots()
    height = 0.8 / len(DEVICES)
    for k, device in enumerate(DEVICES):
        ys = [i + k * height for i, r in enumerate(rows) if device in r.median]
        xs = [r.median[device] for r in rows if device in r.median]
        if xs:
            ax.barh(ys, xs, height=height, label=device.upper())
    ax.set_yticks([i + height / 2 for i in range(len(rows))])
    ax.set_yticklabels([f"{r.lesson}: {r.what}" for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("median time of one training run (s)")
    ax.set_title("Training time per lesson")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def configure(parser: argparse.ArgumentParser) -> None:
    """The report's arguments, for ``python -m checks.grader.bench_report`` and ``lessons``."""
    parser.add_argument("files", nargs="+", type=Path, help="pytest-benchmark JSON files")
    parser.add_argument("--out", type=Path, help="folder for report.md and benchmarks.png")


def run(args: argparse.Namespace) -> int:
    report = load(args.files)
    if not report.rows and not report.targets:
        print("error: no benchmarks in " + ", ".join(map(str, args.files)), file=sys.stderr)
        raise SystemExit(2)  # as argparse does for arguments that cannot be used
    text = markdown(report)
    print(text, end="")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "report.md").write_text(text)
        if report.rows:
            chart(report).savefig(args.out / "benchmarks.png", dpi=100, metadata={"Software": None})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m checks.grader.bench_report", description=__doc__.splitlines()[0]
    )
    configure(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
