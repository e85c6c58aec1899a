"""How alike the submissions' homework code is: to each other, and to the course's own solution.

Each homework function (the function around a ``# BEGIN SOLUTION`` block of the course's lesson,
``MOOYAHO.forward`` for a method) is compared on its own, found by name in each submission, so
moving functions around changes nothing. Its body is read with ``ast`` and written back by
``ast.unparse`` (comments, docstring and layout gone), then fingerprinted by copydetect: k-grams
of pygments tokens in which every name, attribute and string is one letter, so renaming variables
changes nothing either. What the release already gives of the function (the code around its
solution block, and the code its docstring's hint spells out) is copydetect's boilerplate: it
never counts as shared.

The similarity of one function to another's is the larger of the two shares of its code found
in the other (a copy padded with code of its own still holds all of the original). A lesson's
similarity to a partner is its functions' similarities weighted by their size, so a one-line
answer, which is everyone's answer, weighs little. A lesson is flagged when that reaches
``THRESHOLD`` over at least ``MIN_SIZE`` normalised characters of the student's own code.
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from copydetect import CodeFingerprint, compare_files

from checks.grader.solutions import find_blocks, strip_solutions

NOISE = 20  # normalised characters a shared run needs to count (copydetect's noise threshold)
# Every k-gram is kept (window 1): copydetect hashes with Python's salted hash(), so winnowing a
# wider window would keep other k-grams, and print other numbers, in every run.
WINDOW = 1
# A lesson is flagged from this similarity on. Measured on tests/submissions' correct styles
# (README, "Reading the similarity report"): distinct styles reach at most 0.64 for a lesson
# (0.83 for one function), copies with renamed variables, reordered functions and reworded
# comments 1.0; 0.8 leaves a copier a fifth of the code to rewrite by hand before it passes.
THRESHOLD = 0.8
MIN_SIZE = 60  # normalised characters of a lesson's own homework code below which none is flagged
REFERENCE = "course solution"  # the partner's name when it is the course's own copy
ALL = "*"  # the function column of a lesson's row (all its homework, weighted by size)
_HINT = re.compile(r"``(.+?)``", re.DOTALL)


@dataclass(frozen=True)
class Homework:
    """One homework function of a lesson and the fingerprints the release already gives."""

    lesson: str
    name: str  # qualified within the module: "train", "MOOYAHO.forward"
    given: frozenset[int]


@dataclass(frozen=True)
class Row:
    """A submission's homework function (or, as ``ALL``, its lesson) against the others'."""

    submission: str
    lesson: str
    function: str
    size: int  # normalised characters of its own code (0: missing, stubbed or unreadable)
    closest: str = ""  # the most similar other submission
    similarity: float = 0.0
    reference: float = 0.0  # similarity to the course's solution
    copied: tuple[str, ...] = ()  # the partners flagged (lesson rows only)


def _definitions(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) of every function and class, methods as ``Class.method``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{node.name}"
            yield name, node
            yield from _definitions(node, f"{name}.")


def _function(source: str | None, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    try:
        tree = ast.parse(source) if source is not None else None
    except (SyntaxError, ValueError):
        return None
    for found, node in _definitions(tree) if tree else ():
        if found == name and not isinstance(node, ast.ClassDef):
            return node
    return None


def body_code(source: str | None, name: str) -> str | None:
    """The body of function ``name`` in ``source``, without docstring or comments, as
    ``ast.unparse`` writes it; None when the source does not parse or has no such function."""
    node = _function(source, name)
    if node is None:
        return None
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    return ast.unparse(ast.Module(body=body, type_ignores=[]))


def fingerprint(code: str, given: Iterable[int] = ()) -> CodeFingerprint:
    """copydetect's fingerprint of Python ``code``, without the fingerprints in ``given``."""
    boilerplate = np.array(sorted(given), dtype=np.int64)
    return CodeFingerprint(
        "homework.py", NOISE, WINDOW, boilerplate, language="python", fp=io.StringIO(code)
    )


def homework_of(lesson: str, source: str) -> list[Homework]:
    """The lesson's homework functions: the innermost function around each solution block."""
    tree = ast.parse(source)
    released = strip_solutions(source, lesson=lesson)[0]
    found: dict[str, Homework] = {}
    for block in find_blocks(source):
        around = [
            (node.lineno, name)
            for name, node in _definitions(tree)
            if not isinstance(node, ast.ClassDef)
            and node.lineno <= block.first + 1 <= (node.end_lineno or node.lineno)
        ]
        if around:
            name = max(around)[1]
            stub = _function(released, name)
            hint = "\n".join(_HINT.findall(ast.get_docstring(stub) or "")) if stub else ""
            given = fingerprint(body_code(released, name) or "").hashes
            found[name] = Homework(lesson, name, frozenset(given | fingerprint(hint).hashes))
    return list(found.values())


def similarity(a: CodeFingerprint, b: CodeFingerprint) -> float:
    """The larger of the two shares of code that the other copy also holds."""
    if not a.token_coverage or not b.token_coverage:
        return 0.0
    _, (share_a, share_b), _ = compare_files(a, b)
    return float(max(share_a, share_b))


def compare(
    submissions: Mapping[str, Mapping[str, Path]], reference: Mapping[str, Path]
) -> list[Row]:
    """A row per submission and homework function, and one per submission and lesson (``ALL``),
    for every lesson of ``reference`` (lesson -> the course's file, solutions in);
    ``submissions`` maps each name to its lesson files."""
    rows = []
    for lesson, path in reference.items():
        course = path.read_text(encoding="utf-8")
        sources = {name: _read(files.get(lesson)) for name, files in submissions.items()}
        shared: dict[str, dict[str, float]] = {name: {} for name in submissions}  # weighted sums
        sizes = dict.fromkeys(submissions, 0)
        for homework in homework_of(lesson, course):
            prints = {
                REFERENCE: fingerprint(body_code(course, homework.name) or "", homework.given)
            }
            for name, source in sources.items():
                code = body_code(source, homework.name)
                if code is not None:
                    prints[name] = fingerprint(code, homework.given)
            pairs = _pairwise(prints)
            for name in submissions:
                mine = prints.get(name)
                size = int(mine.token_coverage) if mine is not None else 0
                scores = {other: pairs[name, other] for other in prints if other != name and size}
                for other, score in scores.items():
                    shared[name][other] = shared[name].get(other, 0.0) + size * score
                sizes[name] += size
                rows.append(_row(name, lesson, homework.name, size, scores))
        for name in submissions:
            size = sizes[name]
            scores = {other: total / size for other, total in shared[name].items()} if size else {}
            flagged = tuple(sorted(o for o, s in scores.items() if s >= THRESHOLD))
            copied = flagged if size >= MIN_SIZE else ()
            rows.append(_row(name, lesson, ALL, size, scores, copied))
    return rows


def _pairwise(prints: Mapping[str, CodeFingerprint]) -> dict[tuple[str, str], float]:
    """The similarity of every two fingerprints (it is symmetric: each pair is compared once)."""
    names, pairs = list(prints), {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            pairs[a, b] = pairs[b, a] = similarity(prints[a], prints[b])
    return pairs


def _row(name, lesson, function, size, scores, copied=()) -> Row:
    others = {other: score for other, score in scores.items() if other != REFERENCE}
    closest = max(sorted(others), key=lambda other: others[other], default="")
    best = others.get(closest, 0.0)
    return Row(
        name,
        lesson,
        function,
        size,
        closest if best > 0 else "",
        best,
        scores.get(REFERENCE, 0.0),
        copied,
    )


def _read(path: Path | None) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path is not None else None
    except (OSError, UnicodeDecodeError):
        return None
