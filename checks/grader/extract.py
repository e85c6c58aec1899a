"""Babel extraction methods (``babel.cfg``): the English a student reads that no ``N_()`` marks.

An instructor writes a claim's failure message as a plain English f-string (``pytest.fail(f"...")``,
``assert ok, f"..."``, a helper's ``name=`` or ``what=``) and a homework's hint as a ``# HOMEWORK:``
comment or its function's docstring. ``pybabel extract`` collects them here into the catalog
(``checks/grader/locale``), where their Korean is written; the report card translates a reason by
matching it against the catalog's messages (``checks.grader.i18n.Language.reason``).

- ``extract_claims`` (``checks/check_*.py``): every string and f-string that has an English word,
  but docstrings, decorators (the claim's sentence is its docstring and marker's ``ko=``),
  one-word dict keys and one-word names tested with ``in``; plus the usual ``N_()``/``_()``
  messages. An f-string becomes a template: each
  ``{expression:spec}`` is a field named after its expression (``{float(off):.3g}`` ->
  ``{float_off:.3g}``), which a translator keeps.
- ``extract_homework`` (``lessons/*.py``): the hint each solution block's stub will say
  (``checks.grader.solutions.hint``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from babel.messages.extract import extract_python

from checks.grader.solutions import find_blocks, hint

_WORD = re.compile(r"[A-Za-z]{2,}")
# Code in a message (names with _ . ( ) = [ ], `commands`) is not English to translate.
_CODE = re.compile(r"`[^`]*`|\S*[_.()=\[\]]\S*")
_FIELD_TEXT = re.compile(r"\{[^{}]*\}")


def has_english(text: str) -> bool:
    """Whether ``text`` (a message, its fields aside) holds an English word outside code."""
    return bool(_WORD.search(_CODE.sub(" ", _FIELD_TEXT.sub(" ", text))))


def _is_word(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and " " not in node.value


def _field_name(expression: ast.expr, taken: dict[str, str]) -> str:
    """A field's name: its expression as an identifier; two expressions never share one."""
    source = ast.unparse(expression)
    name = re.sub(r"[\W_]+", "_", source).strip("_") or "value"
    if name[0].isdigit():
        name = f"v{name}"
    while taken.setdefault(name, source) != source:
        name += "_"
    return name


def template(node: ast.expr) -> str | None:
    """A string constant as it is, an f-string as a ``str.format`` template; None for an
    f-string the catalog's templates cannot say (literal braces, a field inside a spec)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    parts: list[str] = []
    taken: dict[str, str] = {}
    for value in node.values:
        if isinstance(value, ast.Constant):
            if "{" in value.value or "}" in value.value:
                return None
            parts.append(value.value)
            continue
        assert isinstance(value, ast.FormattedValue)
        field = _field_name(value.value, taken)
        if value.conversion != -1:
            field += "!" + chr(value.conversion)
        if value.format_spec is not None:
            spec = value.format_spec
            if not all(isinstance(v, ast.Constant) for v in spec.values):  # type: ignore[attr-defined]
                return None
            field += ":" + "".join(v.value for v in spec.values)  # type: ignore[attr-defined]
        parts.append("{" + field + "}")
    return "".join(parts)


def claim_messages(source: str) -> Iterator[tuple[int, str]]:
    """(line, message) for each English string of a claims file a student may read."""
    tree = ast.parse(source)
    skipped: set[int] = set()
    for node in ast.walk(tree):
        documented = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        if isinstance(node, documented) and ast.get_docstring(node, clean=False) is not None:
            skipped.add(id(node.body[0].value))  # type: ignore[attr-defined]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            skipped.update(id(n) for d in node.decorator_list for n in ast.walk(d))
        if isinstance(node, ast.JoinedStr):
            skipped.update(id(n) for n in ast.walk(node) if n is not node)
        if isinstance(node, ast.Dict):  # a one-word key is a field name ("epochs"), not a message
            skipped.update(id(key) for key in node.keys if _is_word(key))
        if (  # nor is a one-word name looked up: "sweep" in fixtures (a fits_ahead function)
            isinstance(node, ast.Compare)
            and _is_word(node.left)
            and all(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
        ):
            skipped.add(id(node.left))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        message = template(node)  # type: ignore[arg-type]
        if message and has_english(message):
            yield node.lineno, message  # type: ignore[attr-defined]


def extract_claims(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel's method for ``checks/check_*.py``: ``N_()`` messages and the claims' English."""
    source = fileobj.read()
    fileobj.seek(0)
    found = {m[2] for m in extract_python(fileobj, keywords, comment_tags, options)}
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    for line, message in claim_messages(source.decode(options.get("encoding", "utf-8"))):
        if message not in found:
            yield line, None, message, []


def extract_homework(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel's method for ``lessons/*.py``: each homework stub's hint."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    tree = ast.parse(source)
    for block in find_blocks(source):
        yield block.first + 1, None, hint(block, tree), []
