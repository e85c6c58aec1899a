"""Solution blocks: in a lesson, ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` become a homework stub.

```python
def critical_learning_rate(X):
    '''Return the largest learning rate for which full-batch SGD on the MSE still converges.'''
    # BEGIN SOLUTION
    # HOMEWORK: when does |1 - lr·λ| < 1 hold for every eigenvalue λ of the Hessian?
    return 2.0 / largest_hessian_eigenvalue(X)
    # END SOLUTION
```
is released with the block replaced, at the block's indentation, by
``raise NotImplementedError("Homework (learning_rate): <what to do>")``. What to do is the text of a
``# HOMEWORK:`` comment in the block, else the first paragraph of the enclosing function's
docstring; signature and docstring stay as they are.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
HINT = re.compile(r"^[ \t]*# HOMEWORK:\s*(?P<text>.*?)\s*$")
LINE_LENGTH = 100  # the project's ruff line length: the stub stays ruff-format clean
FALLBACK = "complete this part"


class SolutionError(ValueError):
    """A solution block that cannot be stripped safely (unclosed, nested, stray END)."""


@dataclass(frozen=True)
class Block:
    """Lines ``first`` to ``last`` (0-based, both markers included) of one solution block."""

    first: int
    last: int
    indent: str
    hint: str | None


def find_blocks(source: str, *, filename: str = "<lesson>") -> list[Block]:
    """Every solution block, in order; markers must pair up and not nest."""
    blocks, start, indent, hint = [], None, "", None
    for number, line in enumerate(source.splitlines()):
        if begin := BEGIN.match(line):
            if start is not None:
                raise SolutionError(f"{filename}:{number + 1}: BEGIN SOLUTION inside another")
            start, indent, hint = number, begin["indent"], None
        elif END.match(line):
            if start is None:
                raise SolutionError(f"{filename}:{number + 1}: END SOLUTION without BEGIN")
            blocks.append(Block(start, number, indent, hint))
            start = None
        elif start is not None and hint is None and (match := HINT.match(line)):
            hint = match["text"]
    if start is not None:
        raise SolutionError(f"{filename}:{start + 1}: BEGIN SOLUTION is never closed")
    return blocks


def _docstring_at(tree: ast.Module, line: int) -> str | None:
    """The first paragraph of the docstring of the innermost function around ``line`` (1-based)."""
    around = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.lineno <= line <= (node.end_lineno or node.lineno)
    ]
    found = max(around, key=lambda node: node.lineno, default=None)
    doc = ast.get_docstring(found) if found is not None else None
    return " ".join(doc.split("\n\n")[0].split()) if doc else None


def hint(block: Block, tree: ast.Module) -> str:
    """What the stub of ``block`` tells the student to do (``tree``: its lesson, parsed)."""
    return block.hint or _docstring_at(tree, block.first + 1) or FALLBACK


def stub(block: Block, message: str) -> list[str]:
    """The ``raise NotImplementedError(...)`` lines, wrapped as ruff format would."""
    literal = json.dumps(message, ensure_ascii=False)  # a valid double-quoted Python string
    one_line = f"{block.indent}raise NotImplementedError({literal})"
    if len(one_line) <= LINE_LENGTH:
        return [one_line]
    inner = block.indent + " " * 4
    return [f"{block.indent}raise NotImplementedError(", f"{inner}{literal}", f"{block.indent})"]


def strip_solutions(source: str, *, lesson: str, filename: str = "<lesson>") -> tuple[str, int]:
    """The lesson's source with every solution block stubbed, and how many there were."""
    blocks = find_blocks(source, filename=filename)
    if not blocks:
        return source, 0
    tree = ast.parse(source, filename=filename)
    lines = source.splitlines()
    for block in reversed(blocks):  # from the end, so earlier line numbers stay valid
        lines[block.first : block.last + 1] = stub(
            block, f"Homework ({lesson}): {hint(block, tree)}"
        )
    released = "\n".join(lines) + ("\n" if source.endswith("\n") else "")
    try:
        ast.parse(released, filename=filename)
    except SyntaxError as exc:
        raise SolutionError(f"{filename}: the release would not parse: {exc}") from exc
    return released, len(blocks)
