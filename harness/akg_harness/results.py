"""Writes a command's result file atomically, so the agent never reads half a result."""
from __future__ import annotations

import json
import math
import os
from typing import Any


def json_safe(value: Any) -> Any:
    """Copies `value` with non-finite floats replaced by None (JSON has no NaN or Infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def write_result(path: str, result: dict[str, Any]) -> None:
    """Writes `result` as JSON to `path.tmp`, syncs it, then renames it over `path`."""
    text = json.dumps(json_safe(result), indent=2, allow_nan=False)
    tmp_path = f"{path}.tmp"
    with open(tmp_path, "w", encoding="utf-8") as f:
        f.write(text)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp_path, path)
