"""A warm server's child's end of its two private pipes to the server (docs/HARNESS_PROTOCOL.md,
"Prepared children, quiet timing, announced exits"): the child writes `q` (it is about to time
and wants the device to itself) and `x {...}` (its command is over: exit status and CPU seconds,
written just before `os._exit`, so the server answers without waiting for the process's
teardown); the server writes `go` or `late` (the answer to `q`) and, to a prepared child, its
request line.

A cold child (or one that exec'd a fresh interpreter) has no link: `wait_for_quiet` returns at
once, as the agent starts a cold child only after the one before it has exited.
"""
from __future__ import annotations

import json
import os
import resource
import time

from akg_harness import trace

_LINK: dict[str, int] = {}     # "status" (child -> server) and "control" (server -> child)
_BUFFER = bytearray()          # what was read from the control pipe past the last line
_BASE_CPU = [0.0, 0.0]         # CPU seconds spent before this child's request began


def attach(status_fd: int, control_fd: int) -> None:
    _LINK["status"], _LINK["control"] = status_fd, control_fd


def attached() -> bool:
    return bool(_LINK)


def start_counting_cpu() -> None:
    """Called when the request begins, so a prepared child's set-up is not charged to it."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    _BASE_CPU[:] = [me.ru_utime, me.ru_stime]


def cpu_seconds_so_far() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def read_line() -> bytes:
    """The next line from the server (without its newline); b"" when the server closed it."""
    fd = _LINK["control"]
    while b"\n" not in _BUFFER:
        try:
            chunk = os.read(fd, 65536)
        except InterruptedError:
            continue
        if not chunk:
            return b""
        _BUFFER.extend(chunk)
    line, _, rest = bytes(_BUFFER).partition(b"\n")
    _BUFFER[:] = rest
    return line


def write_all(fd: int, data: bytes) -> None:
    """Writes all of `data` to a blocking fd (os.write retries EINTR itself); OSError if the
    other end is gone."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write(data: bytes) -> bool:
    fd = _LINK.get("status")
    if fd is None:
        return False
    try:
        write_all(fd, data)
        return True
    except OSError:
        return False


def say_ready(prepared: bool) -> None:
    """A prepared child's set-up is over (`prepared` false: it failed; the child serves its
    request unprepared, as a plain fork would)."""
    _write(b"r ok\n" if prepared else b"r failed\n")


def wait_for_quiet() -> str:
    """Blocks until the server has no other child that may use the device (another request's,
    a prepared child starting CUDA, or one still exiting): "go", "late" (the server stopped
    waiting; the log says so) or "unlinked" (no server: a cold child)."""
    if not _write(b"q\n"):
        return "unlinked"
    answer = read_line().decode(errors="replace").strip()
    return answer or "unlinked"


def before_timing() -> None:
    """Called right before the first timed call: waits for the device to be this child's alone
    and says in the log when that took a while or did not happen."""
    t0 = time.monotonic()
    answer = wait_for_quiet()
    waited = time.monotonic() - t0
    if answer == "late":
        trace.note(f"timing although another child of the harness server may still use the "
                   f"device (waited {waited:.1f} s for it)")
    elif answer == "go" and waited >= 0.01:
        trace.note(f"device quiet after {waited:.2f} s (another child was still using it)")


def announce_exit(code: int) -> None:
    """The command is over and its output flushed: tells the server the exit status now, so it
    answers while the process's exit (a CUDA context's teardown: 0.1 s and more) goes on."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    usage = {"code": code, "user_cpu_s": me.ru_utime - _BASE_CPU[0] + kids.ru_utime,
             "sys_cpu_s": me.ru_stime - _BASE_CPU[1] + kids.ru_stime}
    _write(b"x " + json.dumps(usage).encode() + b"\n")
