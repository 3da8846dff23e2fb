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


_COMMON: dict[str, Check] = {"task_path": _path, "device": _device, "seed": _int}
_CANDIDATE: dict[str, Check] = {**_COMMON, "candidate_path": _path, "dsl": _string}

# Per command: required keys, and optional keys with their defaults (null is always allowed).
REQUIRED: dict[str, dict[str, Check]] = {
    "inspect": _COMMON,
    "verify": {**_CANDIDATE, "trials": _int_at_least(1)},
    "profile": {**_CANDIDATE, "warmup_times": _int_at_least(0), "run_times": _int_at_least(1)},
}
OPTIONAL: dict[str, dict[str, tuple[Check, Any]]] = {
    "inspect": {"dsl": (_string, None)},
    "verify": {"atol": (_tolerance, None), "rtol": (_tolerance, None)},
    "profile": {},
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
        value = raw.get(key, default)
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
