"""``lessons gradescope OUT.zip``: the autograder zip to upload to a Gradescope assignment.

The zip holds the project's committed files, trimmed to what grading needs
(``checks.grader.project_copy``: hidden claims included, each lesson's solutions stubbed as the
release stubs them; Gradescope never shows them to students) and, at its top level, the two
scripts Gradescope runs: ``setup.sh`` once when it builds the image (Python, a virtual
environment, and this project with the pinned versions: ``pip install -c constraints.txt -e .``,
from PyPI; then ``autograder --warm``, which trains the fits every checks module's
``fits_ahead`` names into ``/autograder/fit-cache`` for every submission to read), and
``run_autograder`` for every submission (``checks.grader.autograder``: the student's lesson
files into the project, ``pytest lessons``, ``/autograder/results/results.json``; a valid
failing results.json if anything goes wrong). Files are stored in name order with a fixed date,
so the same commit gives the same zip.
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

from checks.grader.project_copy import export, keep_only_grading, snapshot

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 24.04 base:
# Python 3.12). It installs this project with the pinned versions of constraints.txt, from PyPI.
set -euo pipefail
source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap
python3 -m venv "$root/venv"
"$root/venv/bin/pip" install --no-cache-dir -c "$source_dir/constraints.txt" -e "$source_dir"
# The grader's fits for every submission, trained once here (a correct lesson's are then read,
# not trained: ~9 s a submission on 2 cores); without them each submission trains its own.
(cd "$source_dir" && AUTOGRADER_ROOT="$root" "$root/venv/bin/python" -m checks.grader.autograder --warm) \
    || echo "setup.sh: the fit cache was not filled; every submission trains its fits"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: grade $root/submission in the project at
# $root/source into $root/results/results.json (checks/grader/autograder.py). If even that fails
# (no Python, a broken image), a valid results.json still says so: score 0 and the reason.
set -uo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
python="${AUTOGRADER_PYTHON:-$root/venv/bin/python}"
results="$root/results/results.json"
mkdir -p "$root/results"
rm -f "$results"
(cd "$root/source" && "$python" -m checks.grader.autograder --root "$root")
status=$?
if [ ! -s "$results" ]; then
    reason="The autograder could not run (exit status $status): please tell your instructor."
    cat >"$results" <<JSON
{"score": 0, "execution_time": 0, "output": "$reason", "tests": [{"name": "autograder",
 "score": 0, "max_score": 0, "status": "failed", "output": "$reason", "visibility": "visible",
 "tags": []}]}
JSON
fi
"""

SCRIPTS = {"setup.sh": SETUP_SH, "run_autograder": RUN_AUTOGRADER}
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the zip format's epoch: the same files, the same bytes


class GradescopeError(RuntimeError):
    """The autograder zip cannot be written as asked."""


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build(root: Path, out: Path, *, stream=None) -> int:
    """Write the autograder zip of the project at ``root`` to ``out``; return its file count."""
    stream = stream or sys.stderr
    root = root.resolve()
    version = snapshot(root)
    print(f"autograder zip of {version.description} of {root}", file=stream)
    if version.uncommitted:
        print("note: uncommitted changes in the project are left out: commit them", file=stream)
    with tempfile.TemporaryDirectory(prefix="lessons-gradescope-") as temp:
        copy = Path(temp)
        export(root, copy, version)
        keep_only_grading(copy)
        if not (copy / "constraints.txt").is_file():
            raise GradescopeError("the project has no constraints.txt: setup.sh installs with it")
        clash = [name for name in SCRIPTS if (copy / name).exists()]
        if clash:
            raise GradescopeError(f"the project has its own {', '.join(clash)}: rename it")
        files = sorted(path for path in copy.rglob("*") if path.is_file())
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w") as archive:
            for name, text in SCRIPTS.items():
                _add(archive, name, text.encode(), 0o755)
            for path in files:
                mode = 0o755 if path.stat().st_mode & 0o100 else 0o644
                _add(archive, path.relative_to(copy).as_posix(), path.read_bytes(), mode)
    return len(files) + len(SCRIPTS)
