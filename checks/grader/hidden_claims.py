"""Claims students do not see: found with ``ast`` in a checks module and cut out for the release.

A claim whose marker says ``visibility="hidden"`` (or ``after_due_date``, ``after_published``) is
graded by the instructor's copy only. The release removes its source lines (decorators and the
comment lines right above them included) and counts its points, times its parametrize cases, so
the student's summary can say how many points are held back.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass


class HiddenClaimError(ValueError):
    """A claim marker the release cannot read (its arguments must be literals)."""


@dataclass(frozen=True)
class HiddenClaim:
    name: str
    points: float  # all its cases together
    cases: int  # the items it makes: 1, or its parametrize cases
    visibility: str
    first: int  # 0-based line of its first decorator (or comment above it)
    last: int  # 0-based line of its last line


def _mark_name(decorator: ast.expr) -> str | None:
    """``claim`` for ``@pytest.mark.claim(...)`` (and ``parametrize`` likewise), else None."""
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    is_mark = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute)
    return func.attr if is_mark and func.value.attr == "mark" else None


def _literal(node: ast.expr, *, where: str):
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise HiddenClaimError(
            f"{where}: claim and parametrize arguments must be literals for the release"
        ) from exc


def _cases(decorators: list[ast.expr], *, where: str) -> int:
    """How many items ``@pytest.mark.parametrize`` makes of the function (1 without it)."""
    cases = 1
    for decorator in decorators:
        if _mark_name(decorator) == "parametrize" and isinstance(decorator, ast.Call):
            values = decorator.args[1] if len(decorator.args) > 1 else None
            values = values or next(
                (k.value for k in decorator.keywords if k.arg == "argvalues"), None
            )
            if values is None:
                raise HiddenClaimError(f"{where}: cannot read the parametrize values")
            cases *= len(_literal(values, where=where))
    return cases


def hidden_claims(source: str, *, filename: str = "<checks>") -> list[HiddenClaim]:
    """The module-level claims of a checks module that students must not see."""
    lines = source.splitlines()
    found = []
    for node in ast.parse(source, filename=filename).body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        where = f"{filename}:{node.lineno} {node.name}"
        for decorator in node.decorator_list:
            if _mark_name(decorator) != "claim" or not isinstance(decorator, ast.Call):
                continue
            kwargs = {k.arg: _literal(k.value, where=where) for k in decorator.keywords}
            visibility = kwargs.get("visibility", "visible")
            if visibility == "visible":
                continue
            first = min(d.lineno for d in node.decorator_list) - 1
            while first > 0 and lines[first - 1].lstrip().startswith("#"):
                first -= 1  # a comment right above the claim goes with it
            cases = _cases(node.decorator_list, where=where)
            points = float(kwargs.get("points", math.nan)) * cases
            found.append(
                HiddenClaim(node.name, points, cases, visibility, first, node.end_lineno - 1)
            )
    return found


def remove_hidden_claims(source: str, *, filename: str = "<checks>") -> tuple[str, list]:
    """The checks module without its hidden claims (and the blank lines before each), and them."""
    claims = hidden_claims(source, filename=filename)
    lines = source.splitlines()
    for claim in reversed(claims):
        first = claim.first
        while first > 0 and not lines[first - 1].strip():
            first -= 1
        del lines[first : claim.last + 1]
    released = "\n".join(lines) + ("\n" if source.endswith("\n") and lines else "")
    return released, claims
