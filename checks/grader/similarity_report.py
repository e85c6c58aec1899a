"""``similarity.csv`` beside ``grades.csv``, and the ``copied?`` notes it adds to the gradebook.

One row per submission and homework function, then one per submission and lesson (function
``*``): its size in normalised characters, the most similar other submission and how similar,
how similar it is to the course's solution, and, on a lesson's row, the partners it is flagged
with. ``checks.grader.similarity`` says how the numbers are made.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path

from checks.grader.similarity import ALL, Row, compare

CSV = "similarity.csv"
COLUMNS = ("submission", "lesson", "function", "size", "closest", "similarity", "course_solution")


def write_csv(path: Path, rows: list[Row]) -> None:
    """Write the report, replacing any earlier one at once."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*COLUMNS, "copied"])
        for row in rows:
            writer.writerow(
                [
                    row.submission,
                    row.lesson,
                    row.function,
                    row.size,
                    row.closest,
                    f"{row.similarity:.2f}",
                    f"{row.reference:.2f}",
                    " ".join(f"copied? {partner}" for partner in row.copied),
                ]
            )
    os.replace(partial, path)


def notes(rows: list[Row]) -> dict[str, str]:
    """The gradebook note of each flagged submission: ``copied? bob (linear_model, ...)``, one
    per partner."""
    lessons: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        if row.function == ALL:
            for partner in row.copied:
                lessons.setdefault(row.submission, {}).setdefault(partner, []).append(row.lesson)
    return {
        name: "; ".join(f"copied? {partner} ({', '.join(found)})" for partner, found in by.items())
        for name, by in lessons.items()
    }


def report(
    out: Path, submissions: Mapping[str, Mapping[str, Path]], reference: Mapping[str, Path]
) -> dict[str, str]:
    """Compare every submission's homework, write ``out/similarity.csv``; return the notes."""
    rows = sorted(
        compare(submissions, reference),
        key=lambda row: (row.submission, row.lesson, row.function == ALL, row.function),
    )
    write_csv(out / CSV, rows)
    return notes(rows)
