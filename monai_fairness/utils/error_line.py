# Copyright (c) monai-fairness contributors. Licensed under the Apache License, Version 2.0.
"""End every failed command with one short ``error: ...`` line that carries the project's own message.

A bundle command that fails on bad input prints MONAI's 65-90 line traceback, in which our message (file, item, field,
expected, actual) sits somewhere in the middle, wrapped by MONAI's "Failed to evaluate" errors. Importing
``monai_fairness`` (every bundle config does) installs :func:`error_line_hook` as ``sys.excepthook`` when none other is
set: the full traceback is printed as before, then the innermost message raised by monai_fairness code, alone on the
last line. Nothing changes for exceptions that did not come through monai_fairness.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

__all__ = ["project_error", "error_line_hook", "install_error_line"]

MAX_LINE = 1500


def _from_project(exc: BaseException) -> bool:
    if type(exc).__module__.startswith("monai_fairness"):
        return True
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ is not None else []
    return bool(frames) and "monai_fairness" in frames[-1].filename.replace("\\", "/").split("/")


def project_error(exc: BaseException) -> BaseException | None:
    """The innermost exception of ``exc``'s chain (causes and contexts) raised by monai_fairness code, or None."""
    found, seen = None, set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _from_project(current):
            found = current
        current = current.__cause__ or current.__context__
    return found


def error_line_hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """``sys.excepthook``: the usual traceback, then ``error: <message>`` of :func:`project_error` if there is one."""
    sys.__excepthook__(exc_type, exc, tb)
    ours = project_error(exc)
    if ours is not None:
        message = " ".join(str(ours).split())  # one line, whatever the message's own line breaks
        if len(message) > MAX_LINE:
            message = message[:MAX_LINE] + " ... (the whole message is above)"
        print(f"error: {message}", file=sys.stderr, flush=True)


def install_error_line() -> None:
    """Install :func:`error_line_hook` unless another program already replaced ``sys.excepthook``."""
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = error_line_hook
