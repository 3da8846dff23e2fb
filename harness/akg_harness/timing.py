"""Timers and the timing procedure for `profile`: wall clock on the CPU, CUDA events on the GPU.

Every measured thing (the eager reference, its torch.compile baseline, the candidate) is a
`Subject`: a call on one input set, and several input sets to rotate among, so that neither
content- nor pointer-keyed caching helps and no input is hotter in cache than a flush leaves it.

Single mode (`time_call`): one call per sample. The CUDA timer writes a 256 MB buffer before
every sample (outside the timed window) so each sample starts with a cold L2, synchronises the
device before recording the end event so work queued on any stream counts, and records events
on the stream that was current when the timer was made, out of the candidate's reach.
The host does not wait for the flush: it is queued ahead of the start event on the timer's
stream, followed by a GPU spin of about 0.2 ms (`FLUSH_PAD_CYCLES`), and the host launches the
call while they run (as `triton.testing.do_bench` does, without the spin), so the sample counts
GPU time, not the host's launch cost (which differs from process to process: on the H100 it
moved a Triton candidate's median by up to 18%, torch.compile's by 29%, between two profiles).
The device synchronise before the end event costs a fixed host round trip; the timer measures
it once (`end_latency_ms`: the median of empty samples, flush and synchronise with no call) and
takes it off every sample. Work a candidate put on another stream could overlap the flush and
spin and start before the start event; such candidates are verify's `extra_stream` rejections.

Multi-call modes, for calls too short for one event pair to time well (launch overhead and the
host round trip dominate them):
- `cuda_graph`: N calls (rotating input sets) captured once in a CUDA graph; each sample is a
  flush, then one replay between two events; the sample's time is divided by N. Before it is
  trusted the replay must rewrite outputs that were poisoned after capture, with the values
  direct calls give, so work done at capture time only (another stream, a capture-aware
  candidate) cannot vanish from the timing.
- `batched`: each sample is a flush, then N direct calls between the events (device
  synchronised before the end event), divided by N. The fallback when capture fails (a
  candidate that synchronises, calls .item(), or changes its outputs under replay).
"""
from __future__ import annotations

import contextlib
import gc
import math
import statistics
import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterator, Protocol

import torch

from . import values
from .errors import one_line

FLUSH_BYTES = 256 * 1024 * 1024

SINGLE = "single"
CUDA_GRAPH = "cuda_graph"
BATCHED = "batched"
AUTO = "auto"
REQUESTABLE_MODES = (AUTO, SINGLE, BATCHED, CUDA_GRAPH)

MULTI_TARGET_MS = 1.0         # a multi-call sample lasts about this long...
MAX_CALLS_PER_SAMPLE = 200    # ...with at most this many calls in it
ROTATION_BUDGET_BYTES = 1 << 30  # extra input clones made to rotate past L2 in multi-call mode
DEFAULT_L2_BYTES = 50 * 1024 * 1024
END_LATENCY_SAMPLES = 50  # empty samples whose median is the CUDA timer's end latency
FLUSH_PAD_CYCLES = 400_000  # GPU spin after the flush (0.2 ms at 2 GHz): time for the launch


class GraphUnusable(RuntimeError):
    """The calls could not be captured in a CUDA graph, or the replay is not trustworthy."""


class Timer(Protocol):
    method: str
    supports_graphs: bool
    l2_bytes: int

    def time_call(self, fn: Callable[[], Any]) -> float:
        """Milliseconds one call of `fn` took."""
        ...

    def time_batched(self, fns: list[Callable[[], Any]]) -> float:
        """Milliseconds calling every one of `fns`, in order, took."""
        ...


class CpuWallTimer:
    method = "cpu_wall"
    supports_graphs = False
    l2_bytes = 0  # no rotation past the CPU caches beyond the requested input sets

    def time_call(self, fn: Callable[[], Any]) -> float:
        start = time.perf_counter()
        fn()
        return (time.perf_counter() - start) * 1e3

    def time_batched(self, fns: list[Callable[[], Any]]) -> float:
        start = time.perf_counter()
        for fn in fns:
            fn()
        return (time.perf_counter() - start) * 1e3


class CudaEventTimer:
    method = "cuda_events"
    supports_graphs = True

    def __init__(self, device: torch.device) -> None:
        self._device = device
        self._stream = torch.cuda.current_stream(device)
        self._flush_buffer = torch.empty(FLUSH_BYTES // 4, dtype=torch.int32, device=device)
        self._flush_count = 0
        props = torch.cuda.get_device_properties(device)
        self.l2_bytes = int(getattr(props, "L2_cache_size", 0) or DEFAULT_L2_BYTES)
        self.end_latency_ms: float | None = None

    def _flush(self) -> None:
        """Queues the eviction of the previous sample's data from L2 (a new value each time)
        and a short spin on the timer's stream, after the previous sample's work; the host
        does not wait."""
        torch.cuda.synchronize(self._device)  # the previous sample's work is done
        self._flush_count = self._flush_count % 1000 + 1
        with torch.cuda.stream(self._stream):
            self._flush_buffer.fill_(self._flush_count)
            torch.cuda._sleep(FLUSH_PAD_CYCLES)  # the host launches the call meanwhile

    def _events(self) -> tuple[torch.cuda.Event, torch.cuda.Event]:
        return torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

    def _synced_sample(self, fns: list[Callable[[], Any]]) -> float:
        self._flush()
        start, end = self._events()
        start.record(self._stream)
        for fn in fns:
            fn()
        torch.cuda.synchronize(self._device)  # work the calls queued on other streams counts
        end.record(self._stream)
        end.synchronize()
        return start.elapsed_time(end)

    def _end_latency(self) -> float:
        """The synchronise-then-record cost of a sample with no call in it (measured once)."""
        if self.end_latency_ms is None:
            self._synced_sample([])
            self.end_latency_ms = statistics.median(
                self._synced_sample([]) for _ in range(END_LATENCY_SAMPLES))
        return self.end_latency_ms

    def time_call(self, fn: Callable[[], Any]) -> float:
        return self.time_batched([fn])

    def time_batched(self, fns: list[Callable[[], Any]]) -> float:
        latency = self._end_latency()
        return max(self._synced_sample(fns) - latency, 0.0)

    def capture(self, fns: list[Callable[[], Any]], keep: int) -> tuple[Any, list[Any]]:
        """Captures the calls in one CUDA graph; returns it and the first `keep` outputs."""
        stream = torch.cuda.Stream(self._device)
        stream.wait_stream(torch.cuda.current_stream(self._device))
        with torch.cuda.stream(stream):  # per-stream lazy set-up happens before capture
            for fn in fns[:2]:
                fn()
        torch.cuda.current_stream(self._device).wait_stream(stream)
        torch.cuda.synchronize(self._device)
        graph = torch.cuda.CUDAGraph()
        kept: list[Any] = []
        try:
            with torch.cuda.graph(graph, stream=stream):
                for j, fn in enumerate(fns):
                    out = fn()
                    if j < keep:
                        kept.append(out)
                    del out
        except Exception as e:  # noqa: BLE001 - whatever stops capture means "no graph"
            raise GraphUnusable(f"capture failed: {one_line(e)}") from e
        torch.cuda.synchronize(self._device)
        return graph, kept

    def replay(self, graph: Any) -> None:
        graph.replay()
        torch.cuda.synchronize(self._device)

    def time_replay(self, graph: Any) -> float:
        self._flush()  # the graph launch overlaps it; the replay starts after it
        start, end = self._events()
        start.record(self._stream)
        graph.replay()  # a graph is one unit of work on this stream: every branch joins it
        end.record(self._stream)
        end.synchronize()
        return start.elapsed_time(end)

    def recover(self) -> None:
        """After a failed capture: let pending work finish; errors here are not the caller's."""
        with contextlib.suppress(Exception):
            torch.cuda.synchronize(self._device)
        gc.collect()


def make_timer(device: torch.device) -> Timer:
    return CudaEventTimer(device) if device.type == "cuda" else CpuWallTimer()


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    """Python's garbage collector off (after one collection) while samples are taken."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def measure(timer: Timer, fn: Callable[[], Any], warmup: int, runs: int) -> list[float]:
    """`warmup` untimed calls, then `runs` timed ones; the collector stays off meanwhile."""
    with torch.no_grad():
        for _ in range(warmup):
            fn()
        with collector_off():
            return [timer.time_call(fn) for _ in range(runs)]


@dataclass
class Subject:
    """One thing to time: `call(inputs)` on input sets used in turn."""

    name: str
    call: Callable[[list[Any]], Any]
    sets: list[list[Any]]

    def thunk(self, index: int, sets: list[list[Any]] | None = None) -> Callable[[], Any]:
        pool = sets if sets is not None else self.sets
        return partial(self.call, pool[index % len(pool)])


@dataclass
class Measured:
    """Samples of one subject; `times_ms` holds milliseconds per call, one per sample."""

    times_ms: list[float]
    timing_mode: str = SINGLE
    calls_per_sample: int = 1
    input_sets: int = 1
    single_median_ms: float | None = None
    fallback: str | None = None  # why cuda_graph was asked for and not used

    def stats(self) -> dict[str, Any]:
        return {**summarize(self.times_ms), "timing_mode": self.timing_mode,
                "calls_per_sample": self.calls_per_sample, "input_sets": self.input_sets,
                "single_median_ms": self.single_median_ms, "fallback": self.fallback}


def warm_up(subject: Subject, warmup: int) -> None:
    with torch.no_grad():
        for i in range(warmup):
            subject.thunk(i)()


def time_single(timer: Timer, subject: Subject, runs: int) -> Measured:
    """`runs` samples of one call each, input sets in turn (warm-up is the caller's)."""
    with torch.no_grad(), collector_off():
        times = [timer.time_call(subject.thunk(i)) for i in range(runs)]
    return Measured(times, SINGLE, 1, len(subject.sets), statistics.median(times))


def wants_multi(requested: str, single_medians_ms: list[float], graph_below_us: float,
                timer: Timer) -> bool:
    """Whether every subject is timed with several calls per sample.

    One decision for all subjects keeps the comparison fair: `auto` switches on the GPU when any
    subject's single-call median is under `graph_below_us`; `single` never, `batched` and
    `cuda_graph` always.
    """
    if requested == SINGLE:
        return False
    if requested in (BATCHED, CUDA_GRAPH):
        return True
    if not timer.supports_graphs:
        return False
    return any(m < graph_below_us / 1e3 for m in single_medians_ms)


def calls_per_sample(single_median_ms: float, target_ms: float = MULTI_TARGET_MS,
                     cap: int = MAX_CALLS_PER_SAMPLE) -> int:
    """Enough calls for a sample of about `target_ms`, at least 1 and at most `cap`."""
    if not single_median_ms > 0:
        return cap
    return max(1, min(cap, math.ceil(target_ms / single_median_ms)))


def set_bytes(inputs: list[Any]) -> int:
    return sum(t.numel() * t.element_size() for t in values.iter_tensors(inputs))


def rotation_count(available: int, calls: int, bytes_per_set: int, l2_bytes: int,
                   budget: int = ROTATION_BUDGET_BYTES) -> int:
    """How many input sets a multi-call sample cycles through.

    Enough that together they are twice the L2 (so a call's inputs were evicted by the calls
    before it), never more than the calls in a sample, and extra clones within `budget`.
    """
    if bytes_per_set <= 0 or l2_bytes <= 0 or available * bytes_per_set >= 2 * l2_bytes:
        return available
    needed = math.ceil(2 * l2_bytes / bytes_per_set)
    affordable = available + budget // bytes_per_set
    return max(available, min(needed, calls, affordable))


def rotation_sets(subject: Subject, calls: int, l2_bytes: int) -> list[list[Any]]:
    count = rotation_count(len(subject.sets), calls, set_bytes(subject.sets[0]), l2_bytes)
    extra = [values.clone(subject.sets[j % len(subject.sets)])
             for j in range(len(subject.sets), count)]
    return subject.sets + extra


def poison(outputs: list[Any], inputs: list[Any]) -> None:
    """Overwrites output tensors (not sharing storage with an input) with NaN or a max value."""
    input_storages = {t.untyped_storage().data_ptr() for t in values.iter_tensors(inputs)}
    for t in values.iter_tensors(outputs):
        if t.untyped_storage().data_ptr() in input_storages or t.numel() == 0:
            continue
        if t.is_floating_point() or t.is_complex():
            t.fill_(float("nan"))
        elif t.dtype == torch.bool:
            t.logical_not_()
        else:
            t.fill_(torch.iinfo(t.dtype).max)


def outputs_match(actual: Any, expected: Any) -> bool:
    """Loose equality of two nested outputs of the same callable (tensors only)."""
    a, b = list(values.iter_tensors(actual)), list(values.iter_tensors(expected))
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x.shape != y.shape or x.dtype != y.dtype:
            return False
        if x.is_floating_point() or x.is_complex():
            if not torch.allclose(x, y, rtol=1e-2, atol=1e-2, equal_nan=True):
                return False
        elif not torch.equal(x, y):
            return False
    return True


def validate_replay(replay: Callable[[], None], kept: list[Any],
                    direct: Callable[[int], Any], inputs: list[Any]) -> None:
    """Poisons the kept graph outputs, replays, and compares them with direct calls.

    `kept[j]` came from capturing call j, `direct(j)` makes call j again outside the graph.
    Raises GraphUnusable when a replay leaves any of them different.
    """
    poison(kept, inputs)
    replay()
    replayed = [values.clone(out) for out in kept]  # direct calls may reuse the same buffers
    for j, out in enumerate(replayed):
        if not outputs_match(out, direct(j)):
            raise GraphUnusable(f"graph replay did not reproduce call {j}'s outputs "
                                "(work done at capture time only?)")


def time_multi(timer: Timer, subject: Subject, runs: int, calls: int, prefer_graph: bool,
               single_median_ms: float | None) -> Measured:
    """`runs` samples of `calls` calls each: a CUDA graph when asked and usable, else batched."""
    sets = rotation_sets(subject, calls, timer.l2_bytes)
    thunks = [subject.thunk(j, sets) for j in range(calls)]
    fallback = None
    with torch.no_grad():
        if prefer_graph and not timer.supports_graphs:
            fallback = f"no CUDA graphs with the {timer.method} timer"
        elif prefer_graph:
            graph_timer: Any = timer  # supports_graphs: has capture, replay, time_replay
            try:
                graph, kept = graph_timer.capture(thunks, keep=min(calls, 3))
                validate_replay(lambda: graph_timer.replay(graph), kept,
                                lambda j: thunks[j](), sets)
                del kept
                with collector_off():
                    times = [graph_timer.time_replay(graph) / calls for _ in range(runs)]
                del graph
                return Measured(times, CUDA_GRAPH, calls, len(sets), single_median_ms)
            except Exception as e:  # noqa: BLE001 - any failure means "time it batched"
                fallback = one_line(e)
                recover = getattr(timer, "recover", None)
                if recover is not None:
                    recover()
        with collector_off():
            times = [timer.time_batched(thunks) / calls for _ in range(runs)]
    return Measured(times, BATCHED, calls, len(sets), single_median_ms, fallback)


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
