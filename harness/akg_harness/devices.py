"""Decides where a command runs: the requested device, or CPU under Triton's interpreter."""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from .errors import RequestError

TRITON_DSL = "triton_cuda"


@dataclass(frozen=True)
class DevicePlan:
    """Where tensors and models live for one command."""

    device: torch.device       # what tensors and models are moved to
    device_used: str           # "cpu" or "cuda", as reported in results
    triton_interpreter: bool   # Triton kernels run in its CPU interpreter: timings are not valid

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def synchronize(self) -> None:
        """Waits for all queued device work, so errors and time land on the right call."""
        if self.is_cuda:
            torch.cuda.synchronize(self.device)


def cache_device_key(plan: DevicePlan) -> str:
    """The device as run caches key it: "cuda:<GPU name>" or the device type."""
    if plan.is_cuda:
        return f"cuda:{torch.cuda.get_device_name(plan.device)}"
    return plan.device.type


def _interpreter_on() -> bool:
    return os.environ.get("TRITON_INTERPRET") == "1"


def resolve(device: str, dsl: str | None) -> DevicePlan:
    """Maps a request's device and DSL to a plan; `dsl=None` (inspect) means "any DSL".

    Raises RequestError when CUDA is asked for, none is visible, and the Triton interpreter
    cannot stand in.
    """
    triton = dsl is None or dsl == TRITON_DSL
    interpreter = triton and _interpreter_on()
    if device == "cpu":
        return DevicePlan(torch.device("cpu"), "cpu", interpreter)
    if torch.cuda.is_available():
        return DevicePlan(torch.device("cuda", 0), "cuda", interpreter)
    if interpreter:
        return DevicePlan(torch.device("cpu"), "cpu", True)
    raise RequestError(
        "device 'cuda' was requested but torch.cuda.is_available() is False "
        f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES')!r}, "
        f"torch {torch.__version__}, built for CUDA {torch.version.cuda}); only dsl "
        f"'{TRITON_DSL}' with TRITON_INTERPRET=1 may fall back to the CPU")
