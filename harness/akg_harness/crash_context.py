"""Where a native crash happened, for the message the agent builds when a child dies of a
signal (docs/HARNESS_PROTOCOL.md, "Crash context").

Two records survive the child's death: faulthandler's Python traceback on stderr (the frame
that was running), and `native_call.txt` beside the result file, a small file mapped into
memory that holds the sanctioned loader's function in flight ("1" then its name, argtypes
and restype) or the last one that returned ("0" then the same). A call writes only two bytes
unless the function or its argtypes changed, so the record costs nothing measurable.
"""
from __future__ import annotations

import faulthandler
import mmap
import os
import sys
from typing import Any

from . import native

FILE_NAME = "native_call.txt"
SIZE = 1024
IN_FLIGHT, RETURNED = b"1", b"0"


def _type_name(t: Any) -> str:
    return getattr(t, "__name__", repr(t))


def describe_call(key: str, argtypes: Any, restype: Any) -> str:
    """'relu argtypes (c_void_p, c_long) restype None', or 'argtypes not set'."""
    name = key.split(":", 1)[-1]
    args = ("argtypes not set (ints pass as 32-bit C int)" if argtypes is None else
            "argtypes (" + ", ".join(_type_name(t) for t in argtypes) + ")")
    return f"{name} {args} restype {_type_name(restype) if restype is not None else 'None'}"


class Recorder:
    """The loader's hook: `enter` before a native call, `leave` after it."""

    def __init__(self, region: Any) -> None:
        self.region = region
        self.last: tuple[str, int, int] | None = None

    def enter(self, key: str, fn: Any) -> None:
        argtypes, restype = fn.argtypes, fn.restype
        now = (key, id(argtypes), id(restype))
        if now != self.last:
            text = describe_call(key, argtypes, restype).encode()[:SIZE - 2]
            self.region[1:SIZE] = (text + b"\n").ljust(SIZE - 1, b" ")
            self.last = now
        self.region[0:1] = IN_FLIGHT

    def leave(self) -> None:
        self.region[0:1] = RETURNED


def attach(hooks: list[dict[str, Any]]) -> None:
    """The installed recorder on other loader hooks too (copies that final kernel files
    carry, found once the candidate is imported)."""
    recorder = native._AKG_NATIVE_HOOK.get("record")
    if recorder is not None:
        for hook in hooks:
            hook["record"] = recorder


def install(result_path: str) -> Recorder | None:
    """faulthandler on stderr, and the native-call record beside `result_path` on the
    loader's hook. A folder that cannot hold the record leaves only faulthandler."""
    if not faulthandler.is_enabled():
        faulthandler.enable(file=sys.stderr, all_threads=False)
    path = os.path.join(os.path.dirname(os.path.abspath(result_path)), FILE_NAME)
    try:
        with open(path, "wb+") as f:
            f.write(b" " * SIZE)
            f.flush()
            region = mmap.mmap(f.fileno(), SIZE)
    except OSError:
        return None
    recorder = Recorder(region)
    native._AKG_NATIVE_HOOK["record"] = recorder
    return recorder
