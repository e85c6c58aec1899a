"""What the sandbox raises in the grader, in a module of its own: the plugin's modules catch these
at load time, before torch (which the client's codec needs) is imported (plugin.py)."""


class SandboxError(Exception):
    """A failure at the boundary (a worker that died, a value that cannot cross), in one line."""


class LessonError(SandboxError):
    """A student's exception of a type the grader does not rebuild (not a builtin)."""
