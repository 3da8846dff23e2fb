"""Reads and checks a command's request file (see docs/HARNESS_PROTOCOL.md).

Checking happens before torch is imported, so a bad request fails in milliseconds.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable

from .errors import RequestError

# A check returns an error text, or None when the value is acceptable.
Check = Callable[[Any], "str | None"]


def _path(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    return None if os.path.isabs(value) else "must be an absolute path"


def _device(value: Any) -> str | None:
    return None if value in ("cpu", "cuda") else 'must be "cpu" or "cuda"'


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) and value else "must be a non-empty string"


def _int_at_least(low: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        return None if value >= low else f"must be >= {low}"
    return check


def _int(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool)
    return None if ok else "must be an integer"


def _tolerance(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "must be a number or null"
    return None if value >= 0 else "must be >= 0"


def _number_at_least(low: float, strict: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        ok = value > low if strict else value >= low
        return None if ok else f"must be {'>' if strict else '>='} {low:g}"
    return check


def _one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {list(choices)}"
    return check


def _subset_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or any(v not in choices for v in value):
            return f"must be a list whose items are among {list(choices)}"
        return None
    return check


def _peaks(value: Any) -> str | None:
    """`{"bandwidth_gbs": n, "tflops": {"fp32": n, ...}}`; other keys (source) are ignored."""
    if not isinstance(value, dict):
        return "must be an object"
    positive = _number_at_least(0, strict=True)
    bandwidth = value.get("bandwidth_gbs")
    if bandwidth is not None and positive(bandwidth):
        return f"bandwidth_gbs {positive(bandwidth)}"
    tflops = value.get("tflops", {})
    if tflops is None:
        return None
    if not isinstance(tflops, dict):
        return "tflops must be an object mapping precisions to TFLOP/s"
    bad = [k for k, v in tflops.items() if v is not None and positive(v)]
    return f"tflops[{bad[0]!r}] must be a number > 0 or null" if bad else None


def _policy(value: Any) -> str | None:
    return None if value in ("strict", "partial") else 'must be "strict" or "partial"'


def _string_list(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
    return None if ok else "must be a list of non-empty strings"


_COMMON: dict[str, Check] = {"task_path": _path, "device": _device, "seed": _int}
_CANDIDATE: dict[str, Check] = {**_COMMON, "candidate_path": _path, "dsl": _string}

# Per command: required keys, and optional keys with their defaults (null is always allowed).
REQUIRED: dict[str, dict[str, Check]] = {
    "inspect": _COMMON,
    "verify": _CANDIDATE,
    "profile": {**_CANDIDATE, "warmup_times": _int_at_least(0), "run_times": _int_at_least(1)},
    "peaks": {"device": _device},
    "static": {"candidate_path": _path, "dsl": _string},
    "build": {"candidate_path": _path, "dsl": _string},
    "counters": _CANDIDATE,
}
OPTIONAL: dict[str, dict[str, tuple[Check, Any]]] = {
    "inspect": {"dsl": (_string, None)},
    "verify": {"atol": (_tolerance, None), "rtol": (_tolerance, None),
               "trials": (_int_at_least(1), 5), "policy": (_policy, "strict"),
               "reference_cache_dir": (_path, None), "extra_glue": (_string_list, []),
               "shapes": (_one_of("task", "vary"), "vary")},
    "profile": {"baselines": (_subset_of("eager", "torch_compile"), ["eager", "torch_compile"]),
                "graph_below_us": (_number_at_least(0), 100.0),
                "timing_mode": (_one_of("auto", "single", "batched", "cuda_graph"), "auto"),
                "input_sets": (_int_at_least(1), 3),
                "peaks": (_peaks, None),
                "suspect_speedup": (_number_at_least(0, strict=True), 10.0),
                "baseline_cache_dir": (_path, None),
                "eager_baseline_dir": (_path, None),
                "noisy_spread": (_number_at_least(1, strict=True), 1.5)},
    "peaks": {"warmup_times": (_int_at_least(0), 3), "run_times": (_int_at_least(1), 10),
              "copy_mb": (_int_at_least(1), None), "matmul_size": (_int_at_least(1), None),
              "precisions": (_subset_of("fp32", "tf32", "bf16", "fp16"),
                             ["fp32", "tf32", "bf16", "fp16"])},
    "static": {"policy": (_policy, "strict"), "extra_glue": (_string_list, [])},
    "build": {"policy": (_policy, "strict"), "extra_glue": (_string_list, [])},
    "counters": {"timeout_s": (_number_at_least(1), 600.0)},
}


def parse_request(command: str, raw: Any) -> dict[str, Any]:
    """Checks a decoded request for `command`; raises RequestError naming the first problem."""
    if not isinstance(raw, dict):
        raise RequestError("the request must be a JSON object")
    request: dict[str, Any] = {}
    for key, check in REQUIRED[command].items():
        if key not in raw:
            raise RequestError(f"missing key '{key}'")
        problem = check(raw[key])
        if problem:
            raise RequestError(f"'{key}' {problem} (got {raw[key]!r})")
        request[key] = raw[key]
    for key, (check, default) in OPTIONAL[command].items():
        value = raw.get(key)
        if value is None:  # absent or null: the default
            value = default
        problem = None if value is None else check(value)
        if problem:
            raise RequestError(f"'{key}' {problem} (got {value!r})")
        request[key] = value
    unknown = sorted(set(raw) - set(request))
    if unknown:
        # Ignored rather than refused, so a newer agent can talk to this harness.
        print(f"akg_harness: ignoring unknown request keys {unknown}", file=sys.stderr)
    return request


def load_request(command: str, path: str) -> dict[str, Any]:
    """Reads the request file at `path`; raises RequestError when unreadable or invalid."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        raise RequestError(f"cannot read request {path}: {e.strerror or e}") from e
    except json.JSONDecodeError as e:
        raise RequestError(f"request {path} is not valid JSON: {e}") from e
    return parse_request(command, raw)
