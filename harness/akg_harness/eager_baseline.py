"""The run's eager baseline: one measurement per run, device model and timing phase, that
every speedup of the run divides by (docs/HARNESS_PROTOCOL.md, "Noise").

Eager re-timed beside each candidate ranged from 0.22 to 8.3 ms on a shared 2-core machine,
so a speedup over each profile's own eager ranked a slower kernel first. Now the run's first
profile of a key (akg_harness.baseline_cache.cache_key: task, device with its name, seed, input
sets, warm-up and timed runs, timer, threads, torch) measures eager with twice the timed runs
and claims the entry; later profiles read it and time eager beside the candidate only to see
drift (akg_harness.noise). The first writer wins under a lock, so profiles on several devices
of one model that start together still share one figure. Without a folder nothing is kept and
each profile is its own baseline.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import asdict, fields
from typing import Any, Callable

from . import noise, timing, trace

EAGER, CANDIDATE = "eager", "candidate"


def _measured(raw: Any) -> timing.Measured | None:
    if not isinstance(raw, dict):
        return None
    names = {f.name for f in fields(timing.Measured)}
    try:
        return timing.Measured(**{k: v for k, v in raw.items() if k in names})
    except TypeError:
        return None


class EagerBaseline:
    """The entry of one key: `get(phase)`, and `claim(phase, measured)` that keeps the first."""

    def __init__(self, folder: str | None, key: dict[str, Any]) -> None:
        self.key = key
        self.path = None
        if folder:
            digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
            self.path = os.path.join(folder, f"eager_{digest}.json")

    def _read(self) -> dict[str, Any]:
        try:
            with open(self.path or "", encoding="utf-8") as f:
                entry = json.load(f)
            if entry.get("key") == self.key and isinstance(entry.get("phases"), dict):
                return entry
        except (OSError, ValueError):
            pass  # none yet, torn or foreign: claimed again
        return {"key": self.key, "phases": {}}

    def get(self, phase: str) -> timing.Measured | None:
        return _measured(self._read()["phases"].get(phase)) if self.path else None

    def claim(self, phase: str, measured: timing.Measured) -> tuple[timing.Measured, bool]:
        """The phase's baseline: the stored one when another profile got there first (True),
        else `measured`, stored now (False)."""
        if not self.path:
            return measured, False
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(f"{self.path}.lock", "a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entry = self._read()
            stored = _measured(entry["phases"].get(phase))
            if stored is not None:
                return stored, True
            entry["phases"][phase] = asdict(measured)
            tmp = f"{self.path}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(entry, f)
            os.replace(tmp, self.path)
        return measured, False


def _spread(m: timing.Measured) -> float:
    return noise.spread(timing.summarize(m.times_ms)) or 1.0


def _joined(a: timing.Measured, b: timing.Measured) -> timing.Measured:
    return timing.Measured(a.times_ms + b.times_ms, a.timing_mode, a.calls_per_sample,
                           a.input_sets, a.single_median_ms)


def _first_baseline(eager: timing.Measured, more: Callable[[], timing.Measured],
                    limit: float) -> timing.Measured:
    """The run's first: eager beside the candidate plus as many eager-only samples; when that
    spreads wider than `limit`, a second such batch, and the narrower of the two is kept."""
    base = _joined(eager, more())
    if _spread(base) > limit:
        again = _joined(more(), more())
        base = again if _spread(again) < _spread(base) else base
    return base


def settle(measured: dict[str, timing.Measured], store: EagerBaseline, phase: str,
           retime: Callable[[], None], eager_more: Callable[[], timing.Measured],
           limit: float) -> dict[str, Any]:
    """Settles one profile's ranking numbers: the baseline (claimed by the run's first
    profile of the key, else read), then one re-time of eager and the candidate together when
    this eager drifted from the baseline or either spread wider than `limit` (the candidate
    keeps the narrower of its two measurements, eager the one nearer the baseline), then the
    reasons left for calling the numbers noisy. `measured` is updated in place."""
    found = store.get(phase)
    if found is None and store.path:
        base, reused = store.claim(phase, _first_baseline(measured[EAGER], eager_more, limit))
    else:
        base, reused = (found, True) if found is not None else (measured[EAGER], False)
    base_stats = timing.summarize(base.times_ms)

    def drift() -> str | None:
        return noise.drift(measured[EAGER].stats(), base_stats) if reused else None

    retimed = False
    if drift() or _spread(measured[CANDIDATE]) > limit or _spread(measured[EAGER]) > limit:
        trace.note("profile: " + (drift() or "a wide spread") + "; timing eager and the "
                   "candidate again")
        before = dict(measured)
        retime()
        retimed = True
        if _spread(before[CANDIDATE]) < _spread(measured[CANDIDATE]):
            measured[CANDIDATE] = before[CANDIDATE]
        gap = lambda m: abs(timing.summarize(m.times_ms)["median_ms"] - base_stats["median_ms"])
        if gap(before[EAGER]) < gap(measured[EAGER]):
            measured[EAGER] = before[EAGER]
    reasons = [r for r in (noise.wide(CANDIDATE, measured[CANDIDATE].stats(), limit),
                           noise.wide(EAGER, measured[EAGER].stats(), limit),
                           noise.wide("the eager baseline", base_stats, limit), drift()) if r]
    return {"baseline": {**base_stats, "phase": phase, "reused": reused, "retimed": retimed},
            "noisy": reasons}
