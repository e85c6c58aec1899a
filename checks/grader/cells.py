"""Text measured in terminal cells: a Korean (East Asian wide) character takes two.

The report card wraps its lines to the terminal's width; ``len`` counts a Hangul syllable as one,
so a Korean line wrapped by ``len`` ran up to twice past the edge. ``unicodedata`` (stdlib) says
which characters are wide ("W") or full-width ("F"); the ``wcwidth`` package would also know
zero-width and combining marks, which the card's text does not use, so the stdlib is enough.
"""

from __future__ import annotations

import textwrap
import unicodedata


def cells(text: str) -> int:
    """How many terminal columns ``text`` takes."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def prefix(text: str, width: int) -> str:
    """The longest start of ``text`` that fits in ``width`` cells."""
    used = 0
    for at, char in enumerate(text):
        used += cells(char)
        if used > width:
            return text[:at]
    return text


def cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, ending in "…" when it was cut: wide text (Korean)
    after its last whole word that fits, narrow text where the width ends, as before."""
    if cells(text) <= width:
        return text
    start = prefix(text, max(width - 1, 0))
    if cells(text) == len(text):
        return start + "…"
    whole = text[len(start) : len(start) + 1] == " "  # the cut falls between words
    if not whole and " " in start.strip():
        start = start.rstrip()[: start.rstrip().rfind(" ")]
    return start.rstrip() + "…"


def wrap(
    text: str,
    width: int,
    *,
    initial_indent: str = "",
    subsequent_indent: str = "",
    break_on_hyphens: bool = True,
    break_long_words: bool = True,
) -> list[str]:
    """``textwrap.wrap`` by cells: text of narrow characters only is wrapped by ``textwrap``
    itself (the English card stays as it was); other text word by word, a word wider than a
    line cut into pieces that fit (or, without ``break_long_words``, on a line of its own)."""
    if cells(text) == len(text):  # narrow: textwrap's own lines, as before
        return textwrap.wrap(
            text,
            width,
            initial_indent=initial_indent,
            subsequent_indent=subsequent_indent,
            break_on_hyphens=break_on_hyphens,
            break_long_words=break_long_words,
        )
    if cells(initial_indent + text) <= width:  # fits: kept as it is (a table row's padding)
        return [initial_indent + text]
    lines: list[str] = []
    line = initial_indent
    fresh = True  # nothing but the indent on this line yet
    for word in text.split():
        while True:
            candidate = line + ("" if fresh else " ") + word
            if cells(candidate) <= width:
                line, fresh = candidate, False
                break
            if not fresh:  # the word goes to a new line
                lines.append(line)
                line, fresh = subsequent_indent, True
                continue
            if not break_long_words:  # a line of its own, however wide
                line, fresh = candidate, False
                break
            room = max(width - cells(line), 1)  # a word wider than a whole line: cut it
            piece = prefix(word, room) or word[0]
            lines.append(line + piece)
            line, word = subsequent_indent, word[len(piece) :]
            if not word:
                break
    if not fresh:
        lines.append(line)
    return lines
