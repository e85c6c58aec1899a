"""The language a student reads: ``--lang ko`` (ini ``lang``), English by default (design O).

Python's convention: every message is English in the source and marked for translation;
``gettext`` catalogs, kept with Babel (``babel.cfg``; commands in the README), hold the Korean.
The compiled ``.mo`` files are committed next to their ``.po`` (``locale/ko/LC_MESSAGES``):
students install the project editable (``pip install -e .``), which runs no build step that could
compile them, and a test checks that each ``.mo`` is the compilation of its ``.po``.

Two kinds of message:

- the report card's own lines: ``_("...")`` looks them up as usual;
- a claim's reason, made in a claim or a ``checks/validate.py`` helper from a template marked
  ``N_("{name} returned {got}, expected {expected}")`` and then ``.format``-ted. Claims do not know
  the language (the grade report stays English), so the card translates a reason by matching it
  against the catalog's templates and formatting the Korean one with the same values.

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
        """A claim's one-line reason in this language: the catalog template it matches, whole,
        translated and formatted with the same values (themselves translated where they match a
        template); a reason no template matches stays as it is."""
        if self.code == "en":
            return text
        for template, pattern in _patterns(self.translations):
            match = pattern.fullmatch(text)
            if match is None:
                continue
            values = {k: self.reason(v) for k, v in match.groupdict().items()}
            return _FIELD.sub(lambda f: "{" + f[1] + "}", self.gettext(template)).format(**values)
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
            parts.append(f"(?P={name})" if name in names else f"(?P<{name}>.+?)")
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
