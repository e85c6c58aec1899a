"""The gradebook: one row per submission, ``grades.csv``, and each row's record beside its grade.

A row holds the points per lesson (the sum of its claims' scores in the submission's
results.json, hidden claims included: this is the instructor's copy), the total and the maximum,
a status ("graded", or why not) and notes. ``<submission>.row.json`` keeps the row with the
fingerprint it was graded under (the project's version and the student's files), so a re-run
knows which submissions are unchanged without grading them again.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

GRADED = "graded"


@dataclass
class Row:
    submission: str  # the folder's name, as it is
    status: str
    points: dict[str, float] = field(default_factory=dict)  # lesson -> points; empty: no grade
    total: float | None = None
    max: float | None = None
    notes: str = ""
    fingerprint: str = ""


def points_of(results: dict, lessons: tuple[str, ...]) -> tuple[dict[str, float], float, float]:
    """Points per lesson, the total and the maximum of a results.json."""
    points = dict.fromkeys(lessons, 0.0)
    for test in results["tests"]:
        lesson = test["name"].partition("::")[0]
        points[lesson] = points.get(lesson, 0.0) + float(test["score"])
    total = float(results["score"])
    return points, total, sum(float(test["max_score"]) for test in results["tests"])


# Claim reasons that say a lesson could not be graded as a whole (sandbox/client.py,
# collection.py, feedback.py's timeout), each turned into a few words of the row's notes.
_TROUBLE = (
    (re.compile(r"lesson '[^']*' does not import: (?P<why>.*)"), "does not import ({why})"),
    (
        re.compile(
            r"the lesson process (?P<why>exited with code \d+|was killed by signal \d+ \([A-Z]*\))"
        ),
        "its process {why}",
    ),
    (
        re.compile(r"lesson process (?:that )?has (?:since )?stopped|reply that cannot be read"),
        "its process crashed",
    ),
    (re.compile(r"^timed out after (?P<why>[\d.]+ s)"), "timed out ({why})"),
)
MAX_NOTE = 300  # characters of notes from the grade: one line of the CSV


def trouble_notes(results: dict) -> str:
    """One line on what kept lessons from being graded in full ("relu_nodes: does not import
    (SyntaxError: ...) [14 claims]; overfitting: timed out (60 s)"), or "" when nothing did."""
    found: dict[tuple[str, str], int] = {}
    for test in results.get("tests", []):
        if test.get("status") != "failed" or not test.get("output"):
            continue
        reason = str(test["output"]).splitlines()[-1]
        lesson = test["name"].partition("::")[0]
        for pattern, words in _TROUBLE:
            if match := pattern.search(reason):
                note = words.format(**{k: v[:80] for k, v in match.groupdict().items()})
                found[(lesson, note)] = found.get((lesson, note), 0) + 1
                break
    parts = [
        f"{lesson}: {note}" + (f" [{count} claims]" if count > 1 else "")
        for (lesson, note), count in found.items()
    ]
    line = "; ".join(parts)
    return line if len(line) <= MAX_NOTE else line[: MAX_NOTE - 1] + "…"


def _number(value: float | None) -> str:
    return "" if value is None else f"{round(value, 4):g}"


def write_csv(path: Path, rows: list[Row], lessons: tuple[str, ...]) -> None:
    """Write ``grades.csv`` (rows by submission name), replacing any earlier one at once."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", *lessons, "total", "max", "status", "notes"])
        for row in sorted(rows, key=lambda r: r.submission):
            writer.writerow(
                [
                    row.submission,
                    *(_number(row.points.get(lesson)) if row.points else "" for lesson in lessons),
                    _number(row.total),
                    _number(row.max),
                    row.status,
                    row.notes,
                ]
            )
    os.replace(partial, path)


def save(path: Path, row: Row) -> None:
    path.write_text(json.dumps(asdict(row), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load(path: Path) -> Row | None:
    """The row recorded at ``path``, or None if there is none readable."""
    try:
        return Row(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
