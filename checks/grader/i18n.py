"""The language a student reads: ``--lang ko`` (ini ``lang``), English by default (design O).

Python's convention: every message is English in the source and marked for translation;
``gettext`` catalogs, kept with Babel (``babel.cfg``; commands in the README), hold the Korean.
The compiled ``.mo`` files are committed next to their ``.po`` (``locale/ko/LC_MESSAGES``):
students install the project editable (``pip install -e .``), which runs no build step that could
compile them, and a test checks that each ``.mo`` is the compilation of its ``.po``.

Two kinds of message:

- the report card's own lines: ``_("...")`` looks them up as usual;
- a claim's reason, made in a ``checks/validate.py`` helper from a template marked
  ``N_("{name} returned {got}, expected {expected}")`` and then ``.format``-ted, or in a claim as
  a plain English f-string (``checks.grader.extract`` puts those in the catalog as templates).
  Claims do not know the language (the grade report stays English), so the card translates a
  reason by matching it against the catalog's messages and templates and formatting the Korean
  one with the same values.

A claim's sentence is translated where it is written: ``@pytest.mark.claim(points=2, ko="...")``.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from pathlib import Path

import pytest

DOMAIN = "lessons"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "ko")
_FIELD = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")
_INDEX = re.compile(r"(.+?)(\[[\d, ]*\])")
# A field with a number's format spec ({off:.3g}, {share:.1%}) matches a number only, so that
# "expected {what} {expected:.6g}" splits "the two-slope floor 0.12" where the number starts.
_NUMERIC_SPEC = re.compile(r":[^{}]*[eEfFgGnd%]\}$")
_NUMBER = r"[-+]?(?:inf|nan|\d[\d,_]*(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)%?"


def N_(message: str) -> str:
    """Mark ``message`` for the catalog; it is translated where it is shown."""
    return message


class Language:
    """The messages of one language: ``gettext`` for the card's lines, ``reason`` for claims'."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.translations = gettext.translation(
            DOMAIN, localedir=LOCALE_DIR, languages=[code], fallback=True
        )

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def reason(self, text: str) -> str:
        """A claim's one-line reason in this language: the catalog's message if it is one, else
        the catalog template it matches, whole, translated and formatted with the same values
        (themselves translated where they match a message or template); a reason no message or
        template matches stays as it is."""
        if self.code == "en":
            return text
        if (translated := self.gettext(text)) != text:
            return translated
        for template, pattern in _patterns(self.translations):
            match = pattern.fullmatch(text)
            if match is None:
                continue
            values = {k: self.reason(v) for k, v in match.groupdict().items()}
            return _FIELD.sub(lambda f: "{" + f[1] + "}", self.gettext(template)).format(**values)
        # expect_close names the entry that is off: "<name>[0, 1]" (the index is code)
        if (indexed := _INDEX.fullmatch(text)) and (translated := self.reason(indexed[1])) != (
            indexed[1]
        ):
            return translated + indexed[2]
        return text

    def hint(self, text: str) -> str:
        """A homework stub's hint in this language; the reason may hold it cut short ("…"):
        then the one catalog message it starts. Untranslated: as it is."""
        if self.code == "en":
            return text
        if (translated := self.gettext(text)) != text:
            return translated
        if text.endswith("…"):
            catalog = getattr(self.translations, "_catalog", {})
            starts = [k for k in catalog if isinstance(k, str) and k.startswith(text[:-1])]
            if len(starts) == 1:
                return catalog[starts[0]]
        return text


@cache
def language(code: str) -> Language:
    if code not in LANGUAGES:
        raise pytest.UsageError(f"--lang must be one of {', '.join(LANGUAGES)}, got {code!r}")
    return Language(code)


def _patterns(translations: gettext.NullTranslations) -> list[tuple[str, re.Pattern]]:
    # GNUTranslations keeps its messages in ``_catalog`` (msgid -> msgstr), since Python 2.
    catalog = getattr(translations, "_catalog", {})
    return _compiled(tuple(sorted(k for k in catalog if isinstance(k, str) and "{" in k)))


@cache
def _compiled(templates: tuple[str, ...]) -> list[tuple[str, re.Pattern]]:
    """Each template as a pattern (its fields as named groups), longest template first."""
    compiled = []
    for template in sorted(templates, key=len, reverse=True):
        parts, names, at = [], set(), 0
        for field in _FIELD.finditer(template):
            parts.append(re.escape(template[at : field.start()]))
            name = field[1]
            value = _NUMBER if _NUMERIC_SPEC.search(field[0]) else ".+?"
            parts.append(f"(?P={name})" if name in names else f"(?P<{name}>{value})")
            names.add(name)
            at = field.end()
        parts.append(re.escape(template[at:]))
        compiled.append((template, re.compile("".join(parts), re.DOTALL)))
    return compiled


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("lessons").addoption(
        "--lang",
        default=None,
        choices=LANGUAGES,
        help="the language of the report card: en (default) or ko (default: ini lang)",
    )
    parser.addini("lang", "default for --lang: en or ko", default="en")


LANGUAGE = pytest.StashKey[Language]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[LANGUAGE] = language(config.getoption("lang") or config.getini("lang"))
