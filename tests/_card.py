"""Reading the report card ``pytest lessons`` prints (checks/grader/card_reporter.py)."""

from __future__ import annotations

import re

from checks.grader.report_card import short_name
from lessons import LESSONS

MACHINERY = ("checks/grader", "sandbox/", "proxy.py", "Traceback", "site-packages")


def card_of(out: str) -> str:
    """The part of the output between the progress lines and the score table."""
    return out.split("lesson scores")[0]


def times_named(card: str, claim: str) -> int:
    """How often the card names ``claim`` (``test_x[cpu]``, or ``x`` in a list of claims failing
    the same way), not counting longer names."""
    full = len(re.findall(rf"::{re.escape(claim)}(?![\w\[])", card))
    listed = len(
        re.findall(rf"(?<![\w:])(?:test_)?{re.escape(short_name(claim))}(?![\w\[:])", card)
    )
    return full + listed


def blocks_by_lesson(card: str) -> dict[str, str]:
    """The card's failure blocks (from one ``FAILED lesson::claim`` line to the next), joined
    per lesson: claims of different lessons may share a name."""
    blocks: dict[str, str] = {}
    for block in re.split(r"^(?=(?:FAILED|실패) )", card, flags=re.MULTILINE):
        if match := re.match(r"(?:FAILED|실패) (\w+)::", block):
            blocks[match[1]] = blocks.get(match[1], "") + block
    return blocks


def misreported(out: str, results: dict) -> list[str]:
    """Failing claims the card does not name exactly once (homework not attempted is named by
    its function instead, so it is left out), and machinery paths it shows."""
    blocks = blocks_by_lesson(card_of(out))
    wrong = []
    for test in results["tests"]:
        if test["status"] != "failed" or "not attempted yet" in test["output"]:
            continue
        lesson, claim = test["name"].split("::", 1)
        if (n := times_named(blocks.get(lesson, ""), claim)) != 1:
            wrong.append(f"{test['name']} named {n} times")
    wrong += [f"machinery in the output: {m}" for m in MACHINERY if m in out]
    return wrong


def score_table_is_last(out: str) -> bool:
    """The run ends with the score table (its total, then at most the held-back note)."""
    lines = out.rstrip().splitlines()
    tail = lines[-4:]
    return any(line.startswith("total ") for line in tail) and "lesson scores" in out


# A failing claim's last line says what was got against what was expected ("returned 0.54,
# expected 0.21", "should be 1, got 2.3: off by 1.3", "40% apart"), or the likely cause its
# check knows ("the lecture's layers have no bias", "work on a copy", "use torch.no_grad()").
GOT_VS_EXPECTED = re.compile(
    r"expected|should be|\boff\b|apart|differs|no bias|in place|no_grad|timed out|not attempted"
)
# What a bare assert or an uncaught object shows instead.
NOT_A_REASON = ("assert ", "<built-in", "FitResult(", "where False", "where True", "tensor(")


def says_got_vs_expected(reason: str) -> bool:
    return bool(GOT_VS_EXPECTED.search(reason)) and not any(bad in reason for bad in NOT_A_REASON)


# What a Korean line may keep in Latin letters: code (names with _ . ( ) = ::, `commands`),
# and the lecture's own terms, which its Korean text writes in English too.
_CODE = re.compile(r"`[^`]*`|\S*[_.()=:/\[\]]\S*|\b[A-Za-z]+\d\w*")
TERMS = {
    "pytest",
    "lessons",
    "ReLU",
    "seed",
    "width",
    "bias",
    "False",
    "MSE",
    "SGD",
    "epoch",
    "cpu",
    "MOOYAHO",
    "lr",
    "inf",
    "NaN",
    # homework functions and variables the Korean sentences name bare, as code
    "mooyaho",
    "train",
    "features",
    "yhat",
}


PROGRESS = re.compile(r"(?<!\S)[.FEsxX]+(?!\S)")  # a lesson's progress letters
# An exception the student's code raised, quoted as Python wrote it ("RuntimeError: Tensors must
# ..."): its message is Python's or torch's, not ours to translate; the card says around it, in
# Korean, where it was raised.
_EXCEPTION = re.compile(r"\b[A-Z]\w*(?:Error|Exception): .*$")


def english_lines(out: str) -> list[str]:
    """The lines of ``out`` that still say something in English words."""
    english = []
    lines: list[str] = []
    for line in out.splitlines():  # a reason wrapped onto more lines is read as one
        if line.startswith(" " * 7) and lines and lines[-1].lstrip().startswith("-> "):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    for line in lines:
        line = _EXCEPTION.sub(" ", line)
        words = re.findall(r"[A-Za-z]{2,}", PROGRESS.sub(" ", _CODE.sub(" ", line)))
        if any(word not in TERMS and word not in LESSONS for word in words):  # names are code
            english.append(line)
    return english
