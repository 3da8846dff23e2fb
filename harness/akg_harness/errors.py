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
    reference_error, out_of_memory (the task's inputs or reference do not fit the device).
    """

    def __init__(self, kind: str, message: str, log: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.log = log


# Verdicts of verify (docs/HARNESS_PROTOCOL.md).
PASSED = "passed"
COMPILE_ERROR = "compile_error"
RUNTIME_ERROR = "runtime_error"
WRONG_ANSWER = "wrong_answer"
REJECTED = "rejected"

# Reason codes of the runtime checks and the failure stages (docs/INTEGRITY.md).
KERNEL_DID_NOT_RUN = "kernel_did_not_run"
OUTPUT_ALIASES_INPUT = "output_aliases_input"
OUTPUT_NOT_PLAIN_TENSOR = "output_not_plain_tensor"
INPUTS_MODIFIED = "inputs_modified"
STALE_OUTPUT = "stale_output"
PATCHED_RUNTIME = "patched_runtime"
UNWRITTEN_OUTPUT = "unwritten_output"
NEAR_ZERO_OUTPUT = "near_zero_output"
MISMATCH = "mismatch"
SHAPE_MISMATCH = "shape_mismatch"
DTYPE_MISMATCH = "dtype_mismatch"
DEVICE_MISMATCH = "device_mismatch"
OUTPUT_COUNT = "output_count"
COMPILE_FAILED = "compile_failed"
RAISED = "raised"
TIMED_OUT = "timed_out"
NO_MODEL_NEW = "no_model_new"
OUT_OF_MEMORY = "out_of_memory"
SHAPE_SPECIFIC = "shape_specific"

_DEFAULT_REASONS = {COMPILE_ERROR: COMPILE_FAILED, RUNTIME_ERROR: RAISED,
                    WRONG_ANSWER: MISMATCH}


class CandidateError(Exception):
    """The candidate failed in a way that decides the verdict (see verify in the protocol).

    `reason` is the stable code of docs/INTEGRITY.md; left empty it follows the verdict
    (compile_failed, raised, mismatch).
    """

    def __init__(self, verdict: str, message: str, log: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.verdict = verdict
        self.message = message
        self.log = log
        self.reason = reason or _DEFAULT_REASONS.get(verdict, "")


def is_out_of_memory(exc: BaseException) -> bool:
    """torch's allocator (or a kernel launch) ran out of device or host memory."""
    if type(exc).__name__ == "OutOfMemoryError" or isinstance(exc, MemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


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
