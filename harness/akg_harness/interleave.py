"""Single-call samples of several subjects taken in turn (A B A B ...), so a slow stretch of
a shared machine (preemption, a neighbour's burst) lands on every subject alike instead of on
whichever was being timed then. Warm-up is the caller's."""
from __future__ import annotations

import statistics

import torch

from . import candidate, timing

CANDIDATE = "candidate"


def time_interleaved(timer: timing.Timer, subjects: list[timing.Subject], runs: int
                     ) -> list[timing.Measured]:
    """`runs` samples of each subject, one call each, in turn; input sets in turn. An
    exception of the candidate's call is the candidate's (candidate.guard), any other the
    caller's."""
    times: list[list[float]] = [[] for _ in subjects]
    running = ""
    try:
        with torch.no_grad(), timing.collector_off():
            for i in range(runs):
                for k, subject in enumerate(subjects):
                    running = subject.name
                    times[k].append(timer.time_call(subject.thunk(i)))
    except Exception:  # noqa: BLE001 - re-raised, as the candidate's when it was running
        if running != CANDIDATE:
            raise
        with candidate.guard("calling ModelNew"):
            raise
    return [timing.Measured(t, timing.SINGLE, 1, len(s.sets), statistics.median(t))
            for t, s in zip(times, subjects)]
