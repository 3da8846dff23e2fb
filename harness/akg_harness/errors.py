"""Exceptions that carry a harness outcome from deep inside a command up to its handler.

Each command module catches `CandidateError` and `TaskError` at its top and turns them into a
result value. `__main__` sees only the two that mean "no result file": `RequestError` (exit 2)
and `TaskError` from verify/profile (exit 3).
"""
from __future__ import annotations

MAX_MESSAGE_CHARS = 400


class RequestError(Exception):
    """The request is unusable (bad JSON, missing key, device absent): exit 2, no result."""


class TaskError(Exception):
    """The task file is broken: it does not load, lacks a piece, or its reference raises.

    `kind` is one of the inspect error kinds: load_error, missing_model, missing_get_inputs,
    reference_error.
    """

    def __init__(self, kind: str, message: str, log: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.log = log


class CandidateError(Exception):
    """The candidate failed in a way that decides the verdict (see verify in the protocol)."""

    def __init__(self, verdict: str, message: str, log: str = "") -> None:
        super().__init__(message)
        self.verdict = verdict
        self.message = message
        self.log = log


def one_line(exc: BaseException) -> str:
    """`ExcType: first meaningful line of the message`, short enough for a result field."""
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # Compiler output opens with "In function ..." context; the first "error" line says more.
    errors = [line for line in lines if "error:" in line]
    first = errors[0] if errors and len(lines) > 1 else (lines[0] if lines else "")
    summary = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    if len(summary) > MAX_MESSAGE_CHARS:
        summary = summary[:MAX_MESSAGE_CHARS - 3] + "..."
    return summary
