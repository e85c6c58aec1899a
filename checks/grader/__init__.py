"""The grading machinery: what runs the course. Instructors edit ``checks/check_<lesson>.py``, not this.

- ``plugin``: the pytest plugin; it loads one module per concept below (none imports torch when
  loaded), starts the lessons' box, then imports torch and the engine inside
  ``sandbox.heap.frozen_imports`` (their objects out of the collector's full passes).
- ``collection`` (lessons -> their checks, the ``lesson`` fixture), ``claims`` (the validated
  ``claim`` marker), ``credit`` (partial credit), ``devices`` (``--device``), ``threads`` and
  ``denormals`` (torch settings for the session), ``benchmarks`` (machine info), ``fit_cache``
  (the grader's fits, kept by the key ``fit_key`` makes), ``fit_cache_hooks`` (its options and
  the ``train`` and ``kept`` fixtures) and ``fits_ahead`` (the thread that trains a correct
  lesson's fits while the claims wait on it).
- ``feedback`` (one line per failure), ``report_card`` and ``card_reporter`` (what ``pytest
  lessons`` prints: the report card), ``i18n`` (``--lang ko``: gettext catalogs in ``locale/``),
  ``ordering`` (the lecture's order), ``scores`` and ``scoring`` (the score table), ``grade_json``
  (Gradescope's results.json), ``listing`` (``--claims``), ``withheld`` (held-back points).
- ``snapshots`` and ``pixels`` (figure and diagram snapshots), ``figure_cache`` (a local rerun's
  drawings, kept), ``report`` and ``report_html``
  (``--lesson-report``), ``bench_report`` (the CPU/GPU benchmark report).
- ``release``, ``solutions`` and ``hidden_claims``: the student release.
- ``cli``: the instructor's ``lessons`` command. ``bulk`` (``lessons grade``) grades each
  submission (``submissions``: which files count) in a ``project_copy`` by a fenced
  ``grading_run``, forked from a preloaded ``run_server``, into a ``gradebook`` (grades.csv), with ``progress`` on stderr, and a
  ``similarity_report`` (``similarity``: homework code compared by copydetect); ``gradescope``
  writes the autograder zip whose ``run_autograder`` calls ``autograder``.
"""
