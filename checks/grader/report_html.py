"""The lesson report as one static HTML page: claims, points, figures and diagrams, all inline.

Pure functions of the claims' outcomes and the pictures the figure tests made, so the page can be
tested without running pytest. Each lesson lists its claims and pictures in the lecture's order
(where its checks file states them: ``checks.grader.ordering.source_position``), claims in tables
and pictures in a grid between them, across the page's whole width. The page loads nothing: figures are base64 PNG ``data:`` URIs,
diagrams SVG ``data:`` URIs drawn by graphviz (or their DOT text where graphviz is missing, with
one notice at the top saying how to install it), the style sheet is inline, there is no script, and a Content-Security-Policy forbids anything else.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape

from checks.grader.scores import Outcome, lesson_scores

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem 2rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .3rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border-bottom: 1px solid #e4e4e4; padding: .4rem .6rem; text-align: left; vertical-align: top; }
.passed { color: #1a7f37; } .failed { color: #c62828; } .skipped { color: #8a6d00; }
.reason { color: #c62828; margin-top: .2rem; } code { font-size: .9em; }
.pictures { display: grid; grid-template-columns: repeat(auto-fill, minmax(24rem, 1fr)); gap: 1rem; }
figure { margin: 0; border: 1px solid #e4e4e4; padding: .5rem; background: #fff; }
figure img { display: block; width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #555; } .notice { background: #fff8e1; padding: .6rem; }
pre { background: #f6f8fa; padding: .6rem; font-size: .8rem; overflow-x: auto; }
"""
MARKS = {"passed": "✔ passed", "failed": "✘ failed", "skipped": "– skipped"}


@dataclass(frozen=True)
class Picture:
    """A figure (``kind="png"``, base64 ``data``) or a diagram (``kind="dot"``, DOT text)."""

    lesson: str
    name: str
    kind: str
    data: str
    outcome: str = "passed"
    position: tuple[int, ...] = ()  # where its test stands in the checks file (report.py)


def data_uri(mime: str, payload: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def picture_html(picture: Picture, notices: set[str] | None = None) -> str:
    """A ``<figure>`` for one picture; a diagram falls back to its DOT text without graphviz,
    and why goes to ``notices`` (said once on the page, not above every diagram)."""
    caption = escape(picture.name)
    if picture.outcome == "failed":
        caption += ' <span class="failed">(differs from its snapshot)</span>'
    if picture.kind == "png":
        body = f'<img alt="{escape(picture.name)}" src="data:image/png;base64,{picture.data}">'
    else:
        # imported late: lessons/ imports torch, which loads after the box starts (plugin.py)
        from lessons._diagrams import GraphvizNotInstalled, render

        try:
            body = f'<img alt="{escape(picture.name)}" src="{data_uri("image/svg+xml", render(picture.data))}">'
        except (GraphvizNotInstalled, RuntimeError, OSError) as error:
            if notices is None:
                body = f"<p>{escape(str(error))}</p><pre>{escape(picture.data)}</pre>"
            else:
                notices.add(str(error))
                body = f"<pre>{escape(picture.data)}</pre>"
    return f"<figure>{body}<figcaption>{caption}</figcaption></figure>"


def claim_row(outcome: Outcome) -> str:
    name = outcome.name.removeprefix("test_").replace("_", " ")
    if outcome.visibility == "visible":
        what = escape(outcome.description)
        if outcome.reason and outcome.outcome != "passed":
            what += f'<div class="reason">{escape(outcome.reason)}</div>'
    else:
        what = f"<em>details shown {escape(outcome.visibility.replace('_', ' '))}</em>"
    return (
        f'<tr><td class="{outcome.outcome}">{MARKS.get(outcome.outcome, outcome.outcome)}</td>'
        f"<td>{escape(name)}<br><code>{escape(outcome.name)}</code></td>"
        f"<td>{outcome.earned:g} / {outcome.points:g}</td><td>{what}</td></tr>"
    )


CLAIMS_HEAD = "<table><tr><th>result</th><th>claim</th><th>points</th><th>what it says</th></tr>"


def lecture_order(
    outcomes: list[Outcome],
    pictures: list[Picture],
    positions: Mapping[tuple[str, str], tuple[int, ...]],
) -> list[Outcome | Picture]:
    """A lesson's claims and pictures in the order its checks file states them; without a
    position, claims first, then pictures, each as given."""
    unknown = (math.inf,)
    keyed = [
        ((*positions.get((o.lesson, o.name), unknown), 0, i), o) for i, o in enumerate(outcomes)
    ]
    keyed += [((*(p.position or unknown), 1, i), p) for i, p in enumerate(pictures)]
    return [entry for _key, entry in sorted(keyed, key=lambda pair: pair[0])]


def lesson_html(
    lesson: str,
    entries: list[Outcome | Picture],
    doc: str,
    score: str,
    notices: set[str] | None = None,
) -> str:
    """A lesson's section: its claims (in tables) and pictures (in grids), in ``entries``'s
    order, a new table or grid wherever the kind changes."""
    parts = [f'<section id="{escape(lesson)}"><h2>{escape(lesson)} <small>{score}</small></h2>']
    if doc:
        parts.append(f"<p>{escape(doc)}</p>")
    open_kind = None
    for entry in entries:
        kind = "claims" if isinstance(entry, Outcome) else "pictures"
        if kind != open_kind:
            if open_kind is not None:
                parts.append("</table>" if open_kind == "claims" else "</div>")
            parts.append(CLAIMS_HEAD if kind == "claims" else '<div class="pictures">')
            open_kind = kind
        parts.append(
            claim_row(entry) if isinstance(entry, Outcome) else picture_html(entry, notices)
        )
    if open_kind is not None:
        parts.append("</table>" if open_kind == "claims" else "</div>")
    parts.append("</section>")
    return "\n".join(parts)


def page(
    outcomes: Iterable[Outcome],
    pictures: Iterable[Picture],
    *,
    order: Iterable[str] = (),
    docs: Mapping[str, str] | None = None,
    title: str = "Lesson report",
    positions: Mapping[tuple[str, str], tuple[int, ...]] | None = None,
) -> str:
    """The whole report: a score summary, then one section per lesson in ``order``; within a
    lesson, claims and pictures by ``positions`` ((lesson, claim) -> where it is stated) and
    the pictures' own."""
    outcomes, pictures, docs = list(outcomes), list(pictures), docs or {}
    scores = {s.lesson: s for s in lesson_scores(outcomes, order=order)}
    rank = {name: i for i, name in enumerate(order)}
    lessons = sorted(
        {*scores, *(p.lesson for p in pictures)}, key=lambda n: (rank.get(n, len(rank)), n)
    )
    earned = sum(s.earned for s in scores.values())
    possible = sum(s.possible for s in scores.values())
    sections, notices = [], set()
    for lesson in lessons:
        s = scores.get(lesson)
        score = f"{s.earned:g} / {s.possible:g} points, {s.passed} / {s.graded} claims" if s else ""
        entries = lecture_order(
            [o for o in outcomes if o.lesson == lesson],
            [p for p in pictures if p.lesson == lesson],
            positions or {},
        )
        sections.append(lesson_html(lesson, entries, docs.get(lesson, ""), score, notices))
    notice = "".join(f'<p class="notice">{escape(n)}</p>' for n in sorted(notices))
    contents = "".join(f'<li><a href="#{escape(n)}">{escape(n)}</a></li>' for n in lessons)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body><h1>{escape(title)}</h1>
<p>Total: <strong>{earned:g} / {possible:g} points</strong> over {len(outcomes)} graded claims.</p>
<ul>{contents}</ul>
{notice}
{chr(10).join(sections)}
</body></html>
"""
