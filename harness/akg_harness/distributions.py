"""Input distributions of verify trials (docs/INTEGRITY.md, "Trials and distributions").

Trial t uses DISTRIBUTIONS[t % 5]. A distribution transforms only the floating-point tensors
among the task's own inputs (integer and bool tensors, scalars and other values stay), and is
deterministic given the seed: random draws come from a generator seeded with it on the
tensor's device. Strides are kept (values are written into a clone).
"""
from __future__ import annotations

from typing import Any

import torch

from . import values

TASK = "task"
DISTRIBUTIONS = (TASK, "uniform", "large", "signed_zeros", "small")
LARGE_SCALE = 1e3
SMALL_SCALE = 1e-3
ZERO_FRACTION = 0.1


# What each distribution does to the task's floating-point inputs, for failure messages.
DESCRIPTIONS = {
    TASK: "the task's own get_inputs()",
    "uniform": "uniform in [-1, 1)",
    "large": f"the task's inputs times {LARGE_SCALE:g}",
    "signed_zeros": f"standard normal with {ZERO_FRACTION:.0%} zeros, half of them -0.0",
    "small": f"the task's inputs times {SMALL_SCALE:g}",
}


def describe(name: str) -> str:
    return f"{name}: {DESCRIPTIONS.get(name, name)}"


def for_trial(t: int) -> str:
    return DISTRIBUTIONS[t % len(DISTRIBUTIONS)]


class _Generators:
    """One generator per device, all seeded with the same seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.by_device: dict[torch.device, torch.Generator] = {}

    def __call__(self, device: torch.device) -> torch.Generator:
        if device not in self.by_device:
            g = torch.Generator(device=device)
            g.manual_seed(self.seed)
            self.by_device[device] = g
        return self.by_device[device]


def _draw(t: torch.Tensor, kind: str, gen: torch.Generator) -> torch.Tensor:
    """Random values of t's shape in float64 for float64 tensors, float32 otherwise (in
    place where it can: at KernelBench sizes every temporary is gigabytes)."""
    work = torch.float64 if t.dtype == torch.float64 else torch.float32
    if kind == "uniform":
        return torch.rand(t.shape, generator=gen, device=t.device, dtype=work).mul_(2.0).sub_(1.0)
    return torch.randn(t.shape, generator=gen, device=t.device, dtype=work)


def _signed_zeros(t: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    normal = _draw(t, "normal", gen)
    zero = torch.rand(t.shape, generator=gen, device=t.device) < ZERO_FRACTION
    negative = torch.rand(t.shape, generator=gen, device=t.device) < 0.5
    normal.masked_fill_(zero & ~negative, 0.0)
    return normal.masked_fill_(zero & negative, -0.0)


def _transform(t: torch.Tensor, name: str, gens: _Generators) -> torch.Tensor:
    if not t.is_floating_point():
        return t
    if name == "large":
        return t.detach().clone().mul_(LARGE_SCALE)
    if name == "small":
        return t.detach().clone().mul_(SMALL_SCALE)
    gen = gens(t.device)
    drawn = _draw(t, "uniform", gen) if name == "uniform" else _signed_zeros(t, gen)
    return torch.empty_like(t).copy_(drawn)


def apply(name: str, inputs: list[Any], seed: int) -> list[Any]:
    """The task's inputs transformed by distribution `name` (the same list for `task`)."""
    if name == TASK:
        return inputs
    if name not in DISTRIBUTIONS:
        raise ValueError(f"unknown input distribution {name!r}")
    gens = _Generators(seed)
    return values.map_tensors(inputs, lambda t: _transform(t, name, gens))
