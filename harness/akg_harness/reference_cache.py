"""Reference outputs of a trial, from the run's cache folder or by running the reference.

A trial needs the reference's outputs for two calls of one model (the second on inputs drawn
with the second seed). They are cached together in `reference_cache_dir` (one folder per
run, shared by every verify of the run) under a key of: SHA-256 of the task file, the trial
seed and the second seed, the input distribution, the device (with the GPU's name), the
inputs' shapes and dtypes (which decide the output dtypes), torch's default dtype and float32
matmul precision, and torch's version. Entries are written with torch.save (tensors on the
CPU, atomically via a rename) and read with `torch.load(weights_only=True)`; loaded outputs
are moved to the device and stay alive while the candidate runs. An unreadable or
mismatching entry is recomputed and rewritten; entries above MAX_ENTRY_BYTES are not written.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any, Callable

import torch

from . import values
from .devices import DevicePlan, cache_device_key
from .task import Task, run_reference, task_sha256

FORMAT = 1
MAX_ENTRY_BYTES = 4 << 30


@dataclass
class ReferencePair:
    first: list[Any]    # flattened outputs of the first call
    second: list[Any]   # ... of the second call, same model, new inputs
    cached: bool        # read from the cache folder


def _to_cpu(outputs: list[Any]) -> list[Any]:
    return values.map_tensors(outputs, lambda t: t.detach().to("cpu", copy=True))


class ReferenceStore:
    """Computes or loads ReferencePairs for one task on one device."""

    def __init__(self, task: Task, plan: DevicePlan, cache_dir: str | None) -> None:
        self.task = task
        self.plan = plan
        self.cache_dir = cache_dir
        self.task_hash = task_sha256(task.path)

    def key(self, seed: int, second_seed: int, distribution: str, inputs: list[Any]
            ) -> dict[str, Any]:
        return {"format": FORMAT, "task_sha256": self.task_hash, "seed": seed,
                "second_seed": second_seed, "distribution": distribution,
                "device": cache_device_key(self.plan),
                "inputs": [values.describe(v) for v in inputs],
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
        return ReferencePair(values.to_device(list(entry["first"]), device),
                             values.to_device(list(entry["second"]), device), True)

    def _save(self, key: dict[str, Any], pair: ReferencePair) -> None:
        if not self.cache_dir:
            return
        size = sum(t.numel() * t.element_size()
                   for t in values.iter_tensors([pair.first, pair.second]))
        if size > MAX_ENTRY_BYTES:
            return
        os.makedirs(self.cache_dir, exist_ok=True)
        path = self._path(key)
        tmp = f"{path}.{os.getpid()}.tmp"
        entry = {"key": key, "first": _to_cpu(pair.first), "second": _to_cpu(pair.second),
                 "output_dtypes": [values.describe(v) for v in pair.first]}
        torch.save(entry, tmp)
        os.replace(tmp, path)

    def pair(self, seed: int, second_seed: int, distribution: str, inputs: list[Any],
             second_inputs: list[Any], build: Callable[[], torch.nn.Module]) -> ReferencePair:
        """The reference's outputs on `inputs`, then on `second_inputs` (same model).

        The reference may change its own inputs; pass tensors nobody else needs.
        """
        key = self.key(seed, second_seed, distribution, inputs)
        cached = self._load(key)
        if cached is not None:
            return cached
        model = build()
        first = values.flatten_outputs(run_reference(model, inputs, self.plan))
        second = values.flatten_outputs(run_reference(model, second_inputs, self.plan))
        pair = ReferencePair(first, second, False)
        self._save(key, pair)
        return pair
