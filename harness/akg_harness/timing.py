"""Timers for `profile`: wall clock on the CPU, CUDA events on the GPU.

The CUDA timer writes a 256 MB buffer before every timed call (outside the timed window) so
each call starts with a cold L2, synchronises the device before recording the end event so
work queued on any stream counts, and records events on the stream that was current when the
timer was made, out of the candidate's reach.
"""
from __future__ import annotations

import gc
import statistics
import time
from typing import Any, Callable, Protocol

import torch

FLUSH_BYTES = 256 * 1024 * 1024


class Timer(Protocol):
    method: str

    def time_call(self, fn: Callable[[], Any]) -> float:
        """Milliseconds one call of `fn` took."""
        ...


class CpuWallTimer:
    method = "cpu_wall"

    def time_call(self, fn: Callable[[], Any]) -> float:
        start = time.perf_counter()
        fn()
        return (time.perf_counter() - start) * 1e3


class CudaEventTimer:
    method = "cuda_events"

    def __init__(self, device: torch.device) -> None:
        self._device = device
        self._stream = torch.cuda.current_stream(device)
        self._flush = torch.empty(FLUSH_BYTES // 4, dtype=torch.int32, device=device)

    def time_call(self, fn: Callable[[], Any]) -> float:
        self._flush.fill_(0)  # evicts the previous call's data from L2
        torch.cuda.synchronize(self._device)
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record(self._stream)
        fn()
        torch.cuda.synchronize(self._device)
        end.record(self._stream)
        end.synchronize()
        return start.elapsed_time(end)


def make_timer(device: torch.device) -> Timer:
    return CudaEventTimer(device) if device.type == "cuda" else CpuWallTimer()


def measure(timer: Timer, fn: Callable[[], Any], warmup: int, runs: int) -> list[float]:
    """`warmup` untimed calls, then `runs` timed ones; the collector stays off meanwhile."""
    with torch.no_grad():
        for _ in range(warmup):
            fn()
        gc.collect()
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return [timer.time_call(fn) for _ in range(runs)]
        finally:
            if was_enabled:
                gc.enable()


def _percentile(sorted_ms: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    position = (len(sorted_ms) - 1) * q
    low = int(position)
    high = min(low + 1, len(sorted_ms) - 1)
    return sorted_ms[low] + (sorted_ms[high] - sorted_ms[low]) * (position - low)


def summarize(times_ms: list[float]) -> dict[str, float | int]:
    ordered = sorted(times_ms)
    return {"median_ms": statistics.median(ordered), "p10_ms": _percentile(ordered, 0.1),
            "p90_ms": _percentile(ordered, 0.9), "mean_ms": statistics.fmean(ordered),
            "runs": len(ordered)}
