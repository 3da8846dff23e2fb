"""A task file: `Model`, `get_inputs`, `get_init_inputs`, and running its reference.

Every failure here is the task's fault, so each raises TaskError with the inspect error kind.
"""
from __future__ import annotations

import hashlib
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

import torch

from . import loader, values
from .devices import DevicePlan
from .errors import TaskError, one_line


@dataclass(frozen=True)
class Task:
    path: str
    module: ModuleType
    model_cls: type
    get_inputs: Callable[[], Any]
    get_init_inputs: Callable[[], Any]


def task_sha256(path: str) -> str:
    """The task file's SHA-256, the first part of every run cache's key."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_task(path: str) -> Task:
    """Loads the task file in isolation and checks it has the three pieces."""
    try:
        module = loader.load_module(path, "task")
    except loader.SourceSyntaxError as e:
        raise TaskError("load_error", one_line(e.cause), traceback.format_exc()) from e
    except (Exception, SystemExit) as e:
        raise TaskError("load_error", one_line(e), traceback.format_exc()) from e
    model_cls = getattr(module, "Model", None)
    if not isinstance(model_cls, type):
        raise TaskError("missing_model", f"{path} defines no class Model")
    missing = [n for n in ("get_inputs", "get_init_inputs")
               if not callable(getattr(module, n, None))]
    if missing:
        raise TaskError("missing_get_inputs", f"{path} defines no {' or '.join(missing)}")
    return Task(path, module, model_cls, module.get_inputs, module.get_init_inputs)


def _reference_error(what: str, e: BaseException) -> TaskError:
    return TaskError("reference_error", f"{what} raised {one_line(e)}", traceback.format_exc())


def init_inputs(task: Task, seed: int) -> list[Any]:
    """`get_init_inputs()` drawn after seeding, as a list."""
    torch.manual_seed(seed)
    try:
        return list(task.get_init_inputs())
    except (Exception, SystemExit) as e:
        raise _reference_error("get_init_inputs()", e) from e


def build_reference(task: Task, init: list[Any], seed: int, plan: DevicePlan) -> torch.nn.Module:
    """`Model(*init)` constructed right after `torch.manual_seed(seed)`, on the device."""
    torch.manual_seed(seed)
    try:
        return task.model_cls(*values.clone(init)).to(plan.device)
    except (Exception, SystemExit) as e:
        raise _reference_error("constructing Model", e) from e


def draw_inputs(task: Task, seed: int, plan: DevicePlan) -> list[Any]:
    """`get_inputs()` drawn after `torch.manual_seed(seed)`, tensors moved to the device."""
    torch.manual_seed(seed)
    try:
        return values.to_device(list(task.get_inputs()), plan.device)
    except (Exception, SystemExit) as e:
        raise _reference_error("get_inputs()", e) from e


def run_reference(model: torch.nn.Module, inputs: list[Any], plan: DevicePlan) -> Any:
    """One forward call of the reference, finished on the device before returning."""
    try:
        with torch.no_grad():
            out = model(*inputs)
        plan.synchronize()
        return out
    except (Exception, SystemExit) as e:
        raise _reference_error("Model.forward", e) from e
