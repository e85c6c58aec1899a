"""The sandbox: student code runs in a lesson's own process, and only data comes back (design L).

- ``hooks``: options (``--no-sandbox``, ``--sandbox-user``, ``--sandbox-memory``), the session's
  zygote, teardown before any result is written.
- ``processes``: the zygote, forking workers, limits, privilege drop, subreaper, killing the tree.
- ``worker``: the loop in a lesson's process: import the lesson, answer requests.
- ``client``: the grader's connection to one worker; a student's exception rebuilt as data.
- ``proxy``: what claims see (``LessonProxy``, remote functions, records and layers).
- ``codec`` (JSON plus raw buffers: no unpickling), ``models`` (a model as architecture plus
  weights) and ``values`` (fit results, records, figures): what crosses, both directions.
"""
