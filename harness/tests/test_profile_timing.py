"""profile's timing procedure: mode choice, CUDA-graph and batched fallbacks, with fake timers."""
from __future__ import annotations

from typing import Any, Callable

import pytest
import torch

from akg_harness import profile, timing
from conftest import profile_request


class FakeGraph:
    def __init__(self, fns: list[Callable[[], Any]], kept: list[Any], honest: bool) -> None:
        self.fns, self.kept, self.honest = fns, kept, honest

    def replay(self) -> None:
        if self.honest:  # a real graph rewrites every output it produced at capture
            for j, out in enumerate(self.kept):
                out.copy_(self.fns[j]())


class FakeTimer:
    """Claims CUDA-graph support; every single call 'takes' `single_ms`, a batch 2 ms a call,
    a replay 0.5 ms a call. `capture_error` makes capture fail; `honest=False` makes the replay
    leave outputs alone (work done at capture time only)."""

    method = "fake_events"
    supports_graphs = True
    l2_bytes = 0

    def __init__(self, single_ms: float = 0.01, capture_error: Exception | None = None,
                 honest: bool = True) -> None:
        self.single_ms, self.capture_error, self.honest = single_ms, capture_error, honest
        self.events: list[str] = []

    def time_call(self, fn: Callable[[], Any]) -> float:
        fn()
        self.events.append("single")
        return self.single_ms

    def time_batched(self, fns: list[Callable[[], Any]]) -> float:
        for fn in fns:
            fn()
        self.events.append("batched")
        return 2.0 * len(fns)

    def capture(self, fns: list[Callable[[], Any]], keep: int) -> tuple[FakeGraph, list[Any]]:
        self.events.append("capture")
        if self.capture_error is not None:
            raise self.capture_error
        kept = [fns[j]() for j in range(keep)]
        for fn in fns[keep:]:
            fn()
        return FakeGraph(fns, kept, self.honest), kept

    def replay(self, graph: FakeGraph) -> None:
        graph.replay()

    def time_replay(self, graph: FakeGraph) -> float:
        graph.replay()
        self.events.append("replay")
        return 0.5 * len(graph.fns)

    def recover(self) -> None:
        self.events.append("recover")


def _subject(sets: int = 3) -> timing.Subject:
    inputs = [[torch.full((4,), float(i + 1))] for i in range(sets)]
    return timing.Subject("s", lambda xs: xs[0] * 2, inputs)


def test_cuda_graph_is_used_when_capture_and_replay_check_succeed():
    timer = FakeTimer()
    m = timing.time_multi(timer, _subject(), runs=6, calls=8, prefer_graph=True,
                          single_median_ms=0.01)
    assert (m.timing_mode, m.calls_per_sample, m.fallback) == ("cuda_graph", 8, None)
    assert m.times_ms == [0.5] * 6 and m.stats()["runs"] == 6
    assert timer.events.count("replay") == 6 and "batched" not in timer.events


def test_failed_capture_falls_back_to_batched_and_says_why():
    error = RuntimeError("operation not permitted when stream is capturing")
    timer = FakeTimer(capture_error=error)
    m = timing.time_multi(timer, _subject(), runs=5, calls=4, prefer_graph=True,
                          single_median_ms=0.01)
    assert (m.timing_mode, m.calls_per_sample) == ("batched", 4)
    assert "stream is capturing" in m.fallback
    assert m.times_ms == [2.0] * 5 and "recover" in timer.events


def test_replay_that_does_not_redo_the_work_is_not_trusted():
    timer = FakeTimer(honest=False)
    m = timing.time_multi(timer, _subject(), runs=3, calls=4, prefer_graph=True,
                          single_median_ms=0.01)
    assert m.timing_mode == "batched" and "did not reproduce" in m.fallback
    assert "replay" not in timer.events


def test_batched_when_asked_and_on_a_timer_without_graphs():
    m = timing.time_multi(FakeTimer(), _subject(), runs=2, calls=3, prefer_graph=False,
                          single_median_ms=None)
    assert (m.timing_mode, m.fallback) == ("batched", None)
    cpu = timing.time_multi(timing.CpuWallTimer(), _subject(), runs=2, calls=3,
                            prefer_graph=True, single_median_ms=None)
    assert cpu.timing_mode == "batched" and "no CUDA graphs" in cpu.fallback


def test_one_mode_decision_for_every_subject():
    gpu, cpu = FakeTimer(), timing.CpuWallTimer()
    assert timing.wants_multi("auto", [5.0, 0.05], 100, gpu)      # one subject under 100 us
    assert not timing.wants_multi("auto", [5.0, 0.2], 100, gpu)
    assert not timing.wants_multi("auto", [0.001], 100, cpu)      # CPU: single unless asked
    assert not timing.wants_multi("auto", [0.05], 0, gpu)         # threshold 0 turns it off
    assert not timing.wants_multi("single", [0.001], 100, gpu)
    assert timing.wants_multi("batched", [5.0], 100, cpu)
    assert timing.wants_multi("cuda_graph", [5.0], 100, gpu)


def test_calls_per_sample_fill_about_a_millisecond_within_bounds():
    assert timing.calls_per_sample(0.01) == 100
    assert timing.calls_per_sample(0.0001) == timing.MAX_CALLS_PER_SAMPLE
    assert timing.calls_per_sample(5.0) == 1
    assert timing.calls_per_sample(0.0) == timing.MAX_CALLS_PER_SAMPLE


def test_rotation_sets_cover_twice_the_l2_within_the_calls_and_budget():
    mb = 1 << 20
    assert timing.rotation_count(3, 100, 40 * mb, 50 * mb) == 3     # 120 MB >= 2 x L2
    assert timing.rotation_count(3, 100, 1 * mb, 50 * mb) == 100    # 100 sets of 1 MB
    assert timing.rotation_count(3, 20, 1 * mb, 50 * mb) == 20      # no more than the calls
    assert timing.rotation_count(3, 100, 1 * mb, 50 * mb, budget=10 * mb) == 13
    assert timing.rotation_count(3, 100, 1 * mb, 0) == 3            # CPU: no L2 rotation
    subject = _subject()
    sets = timing.rotation_sets(subject, calls=10, l2_bytes=64)     # 16-byte sets
    assert len(sets) == 8 and sets[:3] == subject.sets
    assert sets[3][0] is not subject.sets[0][0] and torch.equal(sets[3][0], subject.sets[0][0])


def test_validate_replay_poisons_outputs_and_spares_inputs():
    x = torch.ones(4)
    outputs = [[torch.ones(4), x], [torch.arange(4)]]
    timing.poison(outputs, [[x]])
    assert torch.isnan(outputs[0][0]).all() and torch.equal(x, torch.ones(4))
    assert (outputs[1][0] == torch.iinfo(torch.int64).max).all()
    kept = [torch.zeros(3)]
    with pytest.raises(timing.GraphUnusable):
        timing.validate_replay(lambda: None, kept, lambda j: torch.zeros(3), [])
    timing.validate_replay(lambda: kept[0].fill_(7.0), kept, lambda j: torch.full((3,), 7.0), [])


def test_single_samples_rotate_input_sets():
    seen = []
    subject = timing.Subject("s", lambda xs: seen.append(id(xs)), [[1], [2], [3]])
    m = timing.time_single(timing.CpuWallTimer(), subject, runs=7)
    assert m.stats()["runs"] == 7 and m.input_sets == 3
    assert seen == [id(subject.sets[i % 3]) for i in range(7)]


@pytest.fixture
def fake_timer(monkeypatch):
    holder: dict[str, FakeTimer] = {}

    def install(**kwargs: Any) -> dict[str, FakeTimer]:
        holder["timer"] = FakeTimer(**kwargs)
        monkeypatch.setattr(timing, "make_timer", lambda device: holder["timer"])
        return holder
    return install


def test_profile_times_every_subject_with_graphs_when_one_is_fast(fake_timer):
    fake_timer(single_ms=0.01)
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=4))
    assert result["ok"] and result["timing_method"] == "fake_events"
    for stats in (result["reference"], result["candidate"]):
        assert stats["timing_mode"] == "cuda_graph" and stats["runs"] == 4
        assert stats["calls_per_sample"] == 100 and stats["single_median_ms"] == 0.01
        assert stats["median_ms"] == 0.5


def test_profile_falls_back_to_batched_for_every_subject_that_cannot_be_captured(fake_timer):
    fake_timer(single_ms=0.01, capture_error=RuntimeError("cudaErrorStreamCaptureUnsupported"))
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=3))
    for stats in (result["reference"], result["candidate"]):
        assert stats["timing_mode"] == "batched" and stats["runs"] == 3
        assert "StreamCaptureUnsupported" in stats["fallback"]


def test_profile_stays_single_above_the_threshold_or_when_told(fake_timer):
    fake_timer(single_ms=0.5)
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=3))
    assert result["candidate"]["timing_mode"] == "single"
    assert result["candidate"]["median_ms"] == 0.5
    fake_timer(single_ms=0.01)
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=3,
                                         timing_mode="single"))
    assert result["candidate"]["timing_mode"] == "single"
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=3,
                                         graph_below_us=5))
    assert result["candidate"]["timing_mode"] == "single"


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

SYNCING_CANDIDATE = '''
import torch


class ModelNew(torch.nn.Module):
    def forward(self, x):
        out = x.clamp_min(0.0)
        torch.cuda.synchronize()  # not allowed while a CUDA graph is being captured
        return out
'''


@needs_cuda
def test_tiny_gpu_calls_are_timed_as_cuda_graph_replays(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    result = profile.run(profile_request("relu_task.py", "relu_triton.py", device="cuda",
                                         dsl="triton_cuda", run_times=10))
    for stats in (result["reference"], result["candidate"]):
        assert stats["timing_mode"] == "cuda_graph", stats["fallback"]
        assert stats["runs"] == 10 and stats["calls_per_sample"] > 1
        assert stats["median_ms"] < stats["single_median_ms"]


@needs_cuda
def test_a_gpu_candidate_that_synchronises_is_timed_batched(tmp_path):
    path = tmp_path / "relu_sync.py"
    path.write_text(SYNCING_CANDIDATE)
    request = {**profile_request("relu_task.py", "relu_ok.py", device="cuda", run_times=5),
               "candidate_path": str(path)}
    result = profile.run(request)
    assert result["ok"], result
    assert result["candidate"]["timing_mode"] == "batched" and result["candidate"]["fallback"]
    assert result["reference"]["timing_mode"] == "cuda_graph"
    assert result["candidate"]["runs"] == 5
