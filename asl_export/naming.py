"""State names: readable, unique, and within ASL's 80-character limit."""

from __future__ import annotations

import hashlib

MAX_STATE_NAME = 80

# Names the compiler uses for its own states; a task with one of these names gets a suffix.
VALIDATE = "validate-parameters"
OUTPUT = "flow-output"
HOOKS = "run-failure-hooks"
FAILED = "flow-failed"
FAILED_END = "flow-failed-end"
RESERVED = {VALIDATE, OUTPUT, HOOKS, FAILED, FAILED_END, FAILED + " (states error)"}


def fit(name: str) -> str:
    """Truncate a long name deterministically: the first 71 characters, '~', 8 hex of its SHA-1."""
    if len(name) <= MAX_STATE_NAME:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{name[: MAX_STATE_NAME - 9]}~{digest}"
