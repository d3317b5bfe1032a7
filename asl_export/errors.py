"""Errors the compiler raises. Each names where in the user's code it happened."""

from __future__ import annotations

import os
import sys
from types import FrameType

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class CompileError(Exception):
    """The flow cannot be expressed as a state machine (or fails a build-time check)."""

    def __init__(self, message: str, filename: str | None = None, lineno: int | None = None) -> None:
        self.filename = filename
        self.lineno = lineno
        where = f"{filename}:{lineno}: " if filename else ""
        super().__init__(f"{where}{message}")


def user_frame() -> FrameType | None:
    """The innermost frame outside asl_export: the line of flow code being traced."""
    frame = sys._getframe(1)
    while frame is not None:
        if not os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR + os.sep):
            return frame
        frame = frame.f_back
    return None


def at_user_line(message: str) -> CompileError:
    """A CompileError located at the user's current line (file and line number)."""
    frame = user_frame()
    if frame is None:
        return CompileError(message)
    return CompileError(message, frame.f_code.co_filename, frame.f_lineno)
