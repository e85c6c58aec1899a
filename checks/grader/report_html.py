"""The lesson report as one static HTML page: claims, points, figures and diagrams, all inline.

Pure functions of the claims' outcomes and the pictures the figure tests made, so the page can be
tested without running pytest. The page loads nothing: figures are base64 PNG ``data:`` URIs,
diagrams SVG ``data:`` URIs drawn by graphviz (or their DOT text where graphviz is missing), the
style sheet is inline, there is no script, and a Content-Security-Policy forbids anything else.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape

from checks.grader.scores import Outcome, lesson_scores
from lessons._diagrams import GraphvizNotInstalled, render

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 90rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .3rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border-bottom: 1px solid #e4e4e4; padding: .4rem .6rem; text-align: left; vertical-align: top; }
.passed { color: #1a7f37; } .failed { color: #c62828; } .skipped { color: #8a6d00; }
.reason { color: #c62828; margin-top: .2rem; } code { font-size: .9em; }
.pictures { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; border: 1px solid #e4e4e4; padding: .5rem; background: #fff; }
figure img { display: block; max-width: 100%; } figcaption { font-size: .85rem; color: #555; }
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


def data_uri(mime: str, payload: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def picture_html(picture: Picture) -> str:
    """A ``<figure>`` for one picture; a diagram falls back to its DOT text without graphviz."""
    caption = escape(picture.name)
    if picture.outcome == "failed":
        caption += ' <span class="failed">(differs from its snapshot)</span>'
    if picture.kind == "png":
        body = f'<img alt="{escape(picture.name)}" src="data:image/png;base64,{picture.data}">'
    else:
        try:
            body = f'<img alt="{escape(picture.name)}" src="{data_uri("image/svg+xml", render(picture.data))}">'
        except (GraphvizNotInstalled, RuntimeError, OSError) as error:
            body = f"<p>{escape(str(error))}</p><pre>{escape(picture.data)}</pre>"
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


def lesson_html(
    lesson: str, outcomes: list[Outcome], pictures: list[Picture], doc: str, score: str
) -> str:
    parts = [f'<section id="{escape(lesson)}"><h2>{escape(lesson)} <small>{score}</small></h2>']
    if doc:
        parts.append(f"<p>{escape(doc)}</p>")
    if outcomes:
        parts.append(
            "<table><tr><th>result</th><th>claim</th><th>points</th><th>what it says</th></tr>"
        )
        parts += [claim_row(o) for o in outcomes]
        parts.append("</table>")
    for kind, title in (("png", "Figures"), ("dot", "Network diagrams")):
        chosen = [p for p in pictures if p.kind == kind]
        if chosen:
            parts.append(f'<h3>{title}</h3><div class="pictures">')
            parts += [picture_html(p) for p in chosen]
            parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def page(
    outcomes: Iterable[Outcome],
    pictures: Iterable[Picture],
    *,
    order: Iterable[str] = (),
    docs: Mapping[str, str] | None = None,
    title: str = "Lesson report",
) -> str:
    """The whole report: a score summary, then one section per lesson in ``order``."""
    outcomes, pictures, docs = list(outcomes), list(pictures), docs or {}
    scores = {s.lesson: s for s in lesson_scores(outcomes, order=order)}
    rank = {name: i for i, name in enumerate(order)}
    lessons = sorted(
        {*scores, *(p.lesson for p in pictures)}, key=lambda n: (rank.get(n, len(rank)), n)
    )
    earned = sum(s.earned for s in scores.values())
    possible = sum(s.possible for s in scores.values())
    sections = []
    for lesson in lessons:
        s = scores.get(lesson)
        score = f"{s.earned:g} / {s.possible:g} points, {s.passed} / {s.graded} claims" if s else ""
        mine = [o for o in outcomes if o.lesson == lesson]
        sections.append(
            lesson_html(
                lesson,
                mine,
                [p for p in pictures if p.lesson == lesson],
                docs.get(lesson, ""),
                score,
            )
        )
    contents = "".join(f'<li><a href="#{escape(n)}">{escape(n)}</a></li>' for n in lessons)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body><h1>{escape(title)}</h1>
<p>Total: <strong>{earned:g} / {possible:g} points</strong> over {len(outcomes)} graded claims.</p>
<ul>{contents}</ul>
{chr(10).join(sections)}
</body></html>
"""
