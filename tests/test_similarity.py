"""The similarity report on the course's own submissions: distinct correct styles are not flagged,
a disguised copy is (no grading: the module reads the files directly)."""

from __future__ import annotations

import ast
import io
import tokenize
from collections import defaultdict
from pathlib import Path

import pytest

from checks.grader import similarity
from checks.grader.similarity import ALL, MIN_SIZE, REFERENCE, THRESHOLD, compare
from checks.grader.similarity_report import notes
from checks.grader.submissions import course_lessons

REPO = Path(__file__).resolve().parents[1]
SUBMISSIONS = REPO / "tests" / "submissions"
LESSONS = course_lessons(REPO)
COURSE = {lesson: REPO / "lessons" / f"{lesson}.py" for lesson in LESSONS}
# The one style that is the instructor's code itself ("# style: the instructor's"), so it is
# rightly flagged as the course solution.
INSTRUCTORS_OWN = {("style_lecture", "learning_rate")}


def styles() -> dict[str, dict[str, Path]]:
    """Each ``style_*`` submission: correct, written in a way of its own."""
    found: dict[str, dict[str, Path]] = defaultdict(dict)
    for path in sorted(SUBMISSIONS.glob("style_*/*.py")):
        found[path.parent.name][path.stem] = path
    return dict(found)


def disguise(source: str) -> str:
    """``source`` as a copier hides it: every variable a function assigns renamed (everywhere in
    the file), every comment reworded, the module's functions in reverse order."""
    tree = ast.parse(source)
    assigned = {
        node.id
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    names = {name: f"my_{name.lower()}_{i}" for i, name in enumerate(sorted(assigned))}
    tokens, after_dot = [], False
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME and token.string in names and not after_dot:
            token = token._replace(string=names[token.string])
        elif token.type == tokenize.COMMENT:
            token = token._replace(string="# in my own words")
        tokens.append(token)
        after_dot = token.type == tokenize.OP and token.string == "."
    renamed = tokenize.untokenize(tokens)
    lines = renamed.splitlines(keepends=True)
    body = ast.parse(renamed).body
    spans = [
        (min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]), node)
        for node in body
    ]
    functions = [
        "".join(lines[start - 1 : node.end_lineno])
        for start, node in spans
        if isinstance(node, ast.FunctionDef)
    ][::-1]
    out, done = [], 0  # line numbers up to `done` are written
    for start, node in spans:
        out += lines[done : start - 1]  # what lies between statements stays where it was
        kept = "".join(lines[start - 1 : node.end_lineno])
        out.append(functions.pop(0) if isinstance(node, ast.FunctionDef) else kept)
        done = node.end_lineno
    return "".join(out + lines[done:])


def lesson_rows(rows):
    return {(row.submission, row.lesson): row for row in rows if row.function == ALL}


def test_distinct_correct_styles_do_not_flag_each_other():
    rows = lesson_rows(compare(styles(), COURSE))
    assert len(rows) > 20  # every style's lessons were compared
    flagged = {key: row.copied for key, row in rows.items() if row.copied}
    assert all(partners == (REFERENCE,) for partners in flagged.values()), flagged
    assert set(flagged) == INSTRUCTORS_OWN
    others = [row.similarity for row in rows.values()]
    assert max(others) < THRESHOLD, max(others)


def test_a_copy_with_renamed_variables_reordered_functions_and_new_comments_is_flagged(tmp_path):
    originals, copies = styles(), {}
    for name, files in originals.items():
        copies[f"copy of {name}"] = {}
        for lesson, path in files.items():
            source = path.read_text(encoding="utf-8")
            disguised = disguise(source)
            assert disguised != source and ast.parse(disguised)
            copy = tmp_path / name / f"{lesson}.py"
            copy.parent.mkdir(exist_ok=True)
            copy.write_text(disguised, encoding="utf-8")
            copies[f"copy of {name}"][lesson] = copy
    rows = lesson_rows(compare({**originals, **copies}, COURSE))
    flagged = 0
    for name, files in originals.items():
        for lesson in files:
            copier, original = rows[f"copy of {name}", lesson], rows[name, lesson]
            assert copier.size == original.size  # names and comments do not count
            if copier.size >= MIN_SIZE:
                assert name in copier.copied and f"copy of {name}" in original.copied
                assert copier.similarity == 1.0
                flagged += 1
    # Measured: 23 of the 24 lessons with homework code; style_lecture's memorise_noise has 56
    # normalised characters, under MIN_SIZE.
    assert flagged >= 23


def test_the_disguise_renames_rewords_and_reorders():
    source = "def a(x):\n    y = x + 1  # one more\n    return y\n\n\ndef b():\n    return 2\n"
    assert disguise(source) == (
        "def b():\n    return 2\n\n\n"
        "def a(x):\n    my_y_0 = x + 1  # in my own words\n    return my_y_0\n"
    )


LESSON = '''\
import torch


def loss(y):
    """The mean square. Hint: ``(y ** 2).mean()``."""
    # BEGIN SOLUTION
    return float((y ** 2).mean())
    # END SOLUTION


class Layer(torch.nn.Module):
    def forward(self, x):
        """What the layer does."""
        scale = 2
        # BEGIN SOLUTION
        total, history = 0, []
        for step in range(10):
            total = total + x * scale + step
            total = torch.relu(total - 1)
            history.append(total.sum().item())
        if max(history) > 100:
            return total / max(history)
        return total
        # END SOLUTION
'''


def test_homework_functions_come_from_the_solution_blocks():
    found = similarity.homework_of("demo", LESSON)
    assert [homework.name for homework in found] == ["loss", "Layer.forward"]
    code = similarity.body_code(LESSON, "Layer.forward")
    assert "What the layer" not in code and "BEGIN" not in code and code.startswith("scale = 2")


def test_the_released_stub_and_the_hint_count_as_nobodys_code(tmp_path):
    released = similarity.strip_solutions(LESSON, lesson="demo")[0]
    hinted = LESSON.replace("float((y ** 2).mean())", "(y ** 2).mean()")
    files = {}
    for name, source in {"untouched": released, "also_untouched": released, "hint": hinted}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "demo.py").write_text(source, encoding="utf-8")
        files[name] = {"demo": tmp_path / name / "demo.py"}
    (tmp_path / "demo.py").write_text(LESSON, encoding="utf-8")
    rows = compare(files, {"demo": tmp_path / "demo.py"})
    sizes = {(row.submission, row.function): row.size for row in rows}
    assert sizes["untouched", "Layer.forward"] == 0  # the stub and `scale = 2` are given
    assert sizes["hint", "loss"] == 0  # the hint's own code is given too
    assert sizes["hint", "Layer.forward"] > MIN_SIZE
    assert not any(row.copied for row in rows if row.submission != "hint")
    assert notes(rows) == {"hint": f"copied? {REFERENCE} (demo)"}


@pytest.mark.parametrize("broken", ["def loss(:\n", ""])
def test_a_file_that_does_not_parse_or_lacks_the_function_has_no_size(tmp_path, broken):
    (tmp_path / "demo.py").write_text(LESSON, encoding="utf-8")
    (tmp_path / "bad.py").write_text(broken, encoding="utf-8")
    rows = compare({"bad": {"demo": tmp_path / "bad.py"}}, {"demo": tmp_path / "demo.py"})
    assert {row.size for row in rows} == {0} and not any(row.copied for row in rows)
