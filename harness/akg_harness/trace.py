"""Progress notes on stderr with the seconds since the command started, so every verify and
profile log shows where a candidate's time went (device start-up, reference, import and
compile, trials, baselines, timing)."""
from __future__ import annotations

import sys
import time

_START = [time.monotonic()]


def start() -> None:
    """Called when a command starts (also in a warm server's forked child)."""
    _START[0] = time.monotonic()


def elapsed() -> float:
    return time.monotonic() - _START[0]


def note(message: str) -> None:
    print(f"[akg_harness +{elapsed():.2f}s] {message}", file=sys.stderr, flush=True)
