"""torch.compile's baseline, measured once per run instead of in every profile.

Compiling the reference costs seconds in every profile child (6.5 s on an H100, 15-25 s on a
small CPU), and its timing does not depend on the candidate. With `baseline_cache_dir` (one
folder per run, shared by its devices' profiles) the first profile measures it and writes the
measurements; later profiles with the same key reuse them and compile only when they need a
measurement the entry lacks (a multi-call phase the first profile did not run). Eager is still
timed beside every candidate. The key: SHA-256 of the task file, the device (with the GPU's
name), the seed and the input sets' shapes and dtypes, warm-up and timed runs, the timer, the
thread count and torch's version; within an entry, one measurement per timing phase ("single",
or "multi:<calls per sample>:<graph or batched>"). Entries are JSON, written aside and renamed;
an unreadable or foreign entry is measured again and rewritten. Candidates cannot write files
(the static rules' forbidden_io, Python and native), so an entry is the harness's own.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, fields
from typing import Any, Callable

import torch

from . import timing, values
from .devices import DevicePlan, cache_device_key
from .task import task_sha256

FORMAT = 1


def cache_key(task_path: str, plan: DevicePlan, request: dict[str, Any],
              sets: list[list[Any]], timer_method: str) -> dict[str, Any]:
    return {"format": FORMAT, "task_sha256": task_sha256(task_path),
            "device": cache_device_key(plan),
            "seed": request["seed"], "input_sets": [[values.describe(v) for v in s] for s in sets],
            "warmup_times": request["warmup_times"], "run_times": request["run_times"],
            "timer": timer_method, "threads": torch.get_num_threads(),
            "torch": str(torch.__version__)}


def phase_name(multi: bool, calls: int = 1, prefer_graph: bool = True) -> str:
    return f"multi:{calls}:{'graph' if prefer_graph else 'batched'}" if multi else "single"


class CompileCache:
    """The run's torch.compile measurements for one key (no folder: nothing is kept)."""

    def __init__(self, folder: str | None, key: dict[str, Any]) -> None:
        self.key = key
        self.path = None
        self.entry: dict[str, Any] = {"key": key, "compile_s": None, "phases": {}}
        if not folder:
            return
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
        self.path = os.path.join(folder, f"compile_{digest}.json")
        try:
            with open(self.path, encoding="utf-8") as f:
                entry = json.load(f)
            if entry.get("key") == key and isinstance(entry.get("phases"), dict):
                self.entry = entry
        except (OSError, ValueError):
            pass  # none yet, torn or foreign: measured again and rewritten

    @property
    def compile_s(self) -> float | None:
        return self.entry.get("compile_s")

    def get(self, phase: str) -> timing.Measured | None:
        raw = self.entry["phases"].get(phase)
        if not isinstance(raw, dict):
            return None
        names = {f.name for f in fields(timing.Measured)}
        try:
            return timing.Measured(**{k: v for k, v in raw.items() if k in names})
        except TypeError:
            return None

    @property
    def error(self) -> dict[str, str] | None:
        """torch.compile's failure in an earlier profile (it would fail again: not retried)."""
        error = self.entry.get("error")
        return error if isinstance(error, dict) else None

    def put_error(self, error: dict[str, str]) -> None:
        self.entry["error"] = error
        self._write()

    def put(self, phase: str, measured: timing.Measured, compile_s: float | None) -> None:
        self.entry["phases"][phase] = asdict(measured)
        if compile_s is not None:
            self.entry["compile_s"] = compile_s
        self._write()

    def _write(self) -> None:
        if not self.path:
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.entry, f)
        os.replace(tmp, self.path)


class LazyCompiled:
    """`torch.compile(reference)`, compiled at the first call (timed as `compile_s`), so a
    profile whose measurements all come from the cache never compiles."""

    def __init__(self, reference: torch.nn.Module, plan: DevicePlan,
                 compile_fn: Callable[[torch.nn.Module], Callable[..., Any]]) -> None:
        self.reference, self.plan, self.compile_fn = reference, plan, compile_fn
        self.fn: Callable[..., Any] | None = None
        self.compile_s: float | None = None

    def __call__(self, *inputs: Any) -> Any:
        if self.fn is not None:
            return self.fn(*inputs)
        start = time.perf_counter()
        self.fn = self.compile_fn(self.reference)
        with torch.no_grad():
            out = self.fn(*inputs)
        self.plan.synchronize()
        self.compile_s = time.perf_counter() - start
        return out
