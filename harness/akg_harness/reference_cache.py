"""Reference outputs of a trial, from the run's cache folder or by running the reference.

A trial needs the reference's outputs for two calls of one model (the second on inputs drawn
with the second seed), and the float64 reference's for both (akg_harness.exact_reference).
They are cached together in `reference_cache_dir` (one folder per run, shared by every verify
of the run) under a key of: SHA-256 of the task file, the trial seed and the second seed, the
input distribution, the device (with the GPU's name) and where the inputs were drawn, the
inputs' and the init inputs' descriptions (shapes, dtypes, scalar values: the shape trials
change them), torch's default dtype and float32 matmul precision, and torch's version.

An entry is written only where reading it back is cheaper than computing it again: always when
it is small (SMALL_ENTRY_BYTES), otherwise when computing it took longer than writing and
reading its bytes at SAVE_BYTES_PER_S would, and never above MAX_ENTRY_BYTES (a default run's
6 GiB ReLU recomputes its reference in milliseconds; saving it took 19 s). Entries are written
with torch.save (tensors on the CPU, atomically via a rename) and read with
`torch.load(weights_only=True)`; loaded outputs are moved to the device and stay alive while
the candidate runs. An unreadable or mismatching entry is recomputed and rewritten.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from . import exact_reference, values
from .devices import DevicePlan, cache_device_key
from .exact_reference import ExactPair
from .task import Task, run_reference, task_sha256

FORMAT = 2
SMALL_ENTRY_BYTES = 1 << 20
MAX_ENTRY_BYTES = 1 << 30
SAVE_BYTES_PER_S = 1e9


@dataclass
class ReferencePair:
    first: list[Any]    # flattened outputs of the first call
    second: list[Any]   # ... of the second call, same model, new inputs
    cached: bool        # read from the cache folder
    exact: ExactPair = field(default_factory=ExactPair)  # the float64 reference's

    def all_outputs(self) -> list[Any]:
        """Every reference tensor a candidate call must not see or land on."""
        return [self.first, self.second, self.exact.first or [], self.exact.second or []]


def worth_saving(size: int, compute_s: float) -> bool:
    """Whether an entry of `size` bytes that took `compute_s` to compute is worth a file."""
    if size <= SMALL_ENTRY_BYTES:
        return True
    return size <= MAX_ENTRY_BYTES and compute_s >= 2 * size / SAVE_BYTES_PER_S


def _to_cpu(outputs: list[Any]) -> list[Any]:
    return values.map_tensors(outputs, lambda t: t.detach().to("cpu", copy=True))


class ReferenceStore:
    """Computes or loads ReferencePairs for one task on one device."""

    def __init__(self, task: Task, plan: DevicePlan, cache_dir: str | None) -> None:
        self.task = task
        self.plan = plan
        self.cache_dir = cache_dir
        self.task_hash = task_sha256(task.path)

    def key(self, seed: int, second_seed: int, distribution: str, inputs: list[Any],
            init: list[Any]) -> dict[str, Any]:
        return {"format": FORMAT, "task_sha256": self.task_hash, "seed": seed,
                "second_seed": second_seed, "distribution": distribution,
                "device": cache_device_key(self.plan), "drawn_on": self.task.drawn_on,
                "inputs": [values.describe(v) for v in inputs],
                "init": [values.describe(v) for v in init],
                "default_dtype": values.dtype_name(torch.get_default_dtype()),
                "matmul_precision": torch.get_float32_matmul_precision(),
                "torch": str(torch.__version__)}

    def _path(self, key: dict[str, Any]) -> str:
        digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=repr).encode())
        return os.path.join(self.cache_dir or "", f"ref_{digest.hexdigest()[:32]}.pt")

    def _load(self, key: dict[str, Any]) -> ReferencePair | None:
        path = self._path(key)
        if not self.cache_dir or not os.path.exists(path):
            return None
        try:
            entry = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # a torn or foreign file: recompute and overwrite it
            return None
        if not isinstance(entry, dict) or json.dumps(entry.get("key"), sort_keys=True,
                                                     default=repr) != json.dumps(
                key, sort_keys=True, default=repr):
            return None
        device = self.plan.device
        ex = entry["exact"]
        exact = ExactPair(_maybe_to(ex["first"], device), _maybe_to(ex["second"], device),
                          str(ex["why"]), [float(e) for e in ex["ref_error"]])
        return ReferencePair(values.to_device(list(entry["first"]), device),
                             values.to_device(list(entry["second"]), device), True, exact)

    def _save(self, key: dict[str, Any], pair: ReferencePair, compute_s: float) -> None:
        if not self.cache_dir or not worth_saving(values.total_bytes(pair.all_outputs()),
                                                  compute_s):
            return
        os.makedirs(self.cache_dir, exist_ok=True)
        path = self._path(key)
        tmp = f"{path}.{os.getpid()}.tmp"
        ex = pair.exact
        entry = {"key": key, "first": _to_cpu(pair.first), "second": _to_cpu(pair.second),
                 "exact": {"first": _to_cpu(ex.first) if ex.used else None,
                           "second": _to_cpu(ex.second) if ex.used else None,
                           "why": ex.why, "ref_error": ex.ref_error},
                 "output_dtypes": [values.describe(v) for v in pair.first]}
        torch.save(entry, tmp)
        os.replace(tmp, path)

    def pair(self, seed: int, second_seed: int, distribution: str, init: list[Any],
             take_first: Callable[[], list[Any]], take_second: Callable[[], list[Any]],
             build: Callable[[], torch.nn.Module]) -> ReferencePair:
        """The reference's outputs on `take_first()`'s inputs, then on `take_second()`'s
        (same model), and the float64 reference's on the same inputs (see exact_reference).

        The reference may change its own inputs: each take must be a set nobody else needs.
        """
        holder = [take_first()]  # popped into the call: it then holds their only reference
        key = self.key(seed, second_seed, distribution, holder[0], init)
        cached = self._load(key)
        if cached is not None:
            return cached
        start = time.perf_counter()
        model = build()
        model64, why = exact_reference.double_model(model)
        first, first64, why = self._call(model, model64, holder.pop(), why)
        second, second64, why = self._call(model, model64 if not why else None, take_second(),
                                           why)
        exact = ExactPair(why=why)
        if not why:
            exact.first, exact.second = first64, second64
            exact.ref_error = [max(exact_reference.reference_error(n1, w1),
                                   exact_reference.reference_error(n2, w2))
                               for n1, w1, n2, w2 in zip(first, first64, second, second64)]
        pair = ReferencePair(first, second, False, exact)
        self._save(key, pair, time.perf_counter() - start)
        return pair

    def _call(self, model: torch.nn.Module, model64: torch.nn.Module | None,
              inputs: list[Any], why: str) -> tuple[list[Any], list[Any] | None, str]:
        """One call of the reference and (unless `why` says it cannot be had) of the float64
        reference on float64 copies of the same inputs, taken before the reference may
        change them."""
        wide = None
        if model64 is not None and not why:
            why = exact_reference.fits(self.plan, inputs, inputs)
            if not why:
                wide = exact_reference.widen(inputs)
        narrow = values.flatten_outputs(run_reference(model, inputs, self.plan))
        del inputs
        if wide is None:  # `why` says why (a model that cannot be copied, or memory)
            return narrow, None, why
        exact, why = exact_reference.run_double(model64, wide, narrow, self.plan)
        return narrow, exact, why


def _maybe_to(outputs: Any, device: torch.device) -> list[Any] | None:
    return None if outputs is None else values.to_device(list(outputs), device)
