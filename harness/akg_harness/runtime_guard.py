"""Detects a candidate that replaced timing or comparison functions (reason patched_runtime).

Before the candidate is loaded the harness records the identity of every callable attribute of
the modules and classes it relies on to time and judge (time, torch, torch.Tensor,
torch.cuda.Event, torch.testing, builtins, the harness's own modules and their classes,
Triton's launchers);
after loading and after every call it checks that none was replaced, removed or, on a class,
added (an added `torch.Tensor.__eq__` overrides the inherited one).
"""
from __future__ import annotations

import builtins
import math
import sys
import time
from typing import Any

import torch
import torch.nn.functional

_HARNESS_MODULES = ("compare", "values", "verify", "trial", "output_checks", "poison",
                    "runtime_proof", "runtime_guard", "distributions", "reference_cache",
                    "candidate", "task", "native", "devices", "timing")


def _owners() -> list[tuple[str, Any]]:
    owners: list[tuple[str, Any]] = [
        ("time", time), ("math", math), ("builtins", builtins), ("torch", torch),
        ("torch.Tensor", torch.Tensor), ("torch.nn.Module", torch.nn.Module),
        ("torch.nn.functional", torch.nn.functional), ("torch.testing", torch.testing),
        ("torch.cuda", torch.cuda), ("torch.cuda.Event", torch.cuda.Event),
        ("torch.autograd.grad_mode.no_grad", torch.no_grad),
    ]
    for name in _HARNESS_MODULES:
        module = sys.modules.get(f"{__package__}.{name}")
        if module is None:
            continue
        owners.append((f"akg_harness.{name}", module))
        owners += [(f"akg_harness.{name}.{k}", v) for k, v in vars(module).items()
                   if isinstance(v, type) and v.__module__ == module.__name__]
    return owners


def _callables(owner: Any) -> dict[str, Any]:
    try:
        items = list(vars(owner).items())
    except TypeError:
        return {}
    return {k: v for k, v in items if callable(v) or isinstance(v, (staticmethod, classmethod,
                                                                     property))}


class RuntimeGuard:
    """Snapshot of identities; `changes()` lists what differs now."""

    def __init__(self) -> None:
        self._snap: dict[str, tuple[Any, dict[str, Any]]] = {}
        for name, owner in _owners():
            self.watch(name, owner)

    def watch(self, name: str, owner: Any) -> None:
        """Adds (or re-records) one module or class."""
        self._snap[name] = (owner, _callables(owner))

    def watches(self, owner: Any) -> bool:
        return any(o is owner for o, _ in self._snap.values())

    def changes(self) -> list[str]:
        found = []
        for name, (owner, before) in self._snap.items():
            now = _callables(owner)
            for key, value in before.items():
                if key not in now:
                    found.append(f"{name}.{key} was removed")
                elif now[key] is not value:
                    found.append(f"{name}.{key} was replaced")
            if isinstance(owner, type):
                found += [f"{name}.{key} was added" for key in now if key not in before]
        return found
