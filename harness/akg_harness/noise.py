"""When a measurement cannot be ranked as fact (docs/HARNESS_PROTOCOL.md, "Noise").

Two signs, both from numbers the profile already has:
- spread: a subject's p90/p10 above `noisy_spread` (default 1.5) means its samples disagree
  too much for its median to order kernels (a preempted 2-core machine rounds OpenMP regions
  up to 4 or 8 ms: 0.22 to 8.3 ms for one eager call was seen);
- drift: eager, timed beside every candidate, is the run's yardstick; when this profile's
  eager median lies farther from the run's eager baseline than the baseline's own spread
  (p90 - p10, at least DRIFT_FLOOR of its median) the machine was not the same machine.
"""
from __future__ import annotations

from typing import Any

NOISY_SPREAD = 1.5
DRIFT_FLOOR = 0.05


def spread(stats: dict[str, Any]) -> float | None:
    """p90 / p10 of a stats block; None when it has no positive p10."""
    p10, p90 = stats.get("p10_ms"), stats.get("p90_ms")
    if not isinstance(p10, (int, float)) or not isinstance(p90, (int, float)) or p10 <= 0:
        return None
    return p90 / p10


def wide(name: str, stats: dict[str, Any], limit: float) -> str | None:
    """'candidate p90/p10 3.1 > 1.5' when the subject's spread is above `limit`."""
    s = spread(stats)
    if s is None or s <= limit:
        return None
    return f"{name} p90/p10 {s:.2f} > {limit:g}"


def drift(now: dict[str, Any], baseline: dict[str, Any]) -> str | None:
    """Why this profile's eager is not the baseline's, or None when it agrees."""
    base, here = baseline.get("median_ms"), now.get("median_ms")
    if not base or not here:
        return None
    allowed = max(float(baseline.get("p90_ms", base)) - float(baseline.get("p10_ms", base)),
                  DRIFT_FLOOR * base)
    if abs(here - base) <= allowed:
        return None
    return (f"eager {here:.4g} ms here vs the run's baseline {base:.4g} ms "
            f"(allowed +/- {allowed:.2g} ms)")
