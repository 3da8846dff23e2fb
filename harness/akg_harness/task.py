"""A task file: `Model`, `get_inputs`, `get_init_inputs`, and running its reference.

Every failure here is the task's fault, so each raises TaskError with the inspect error kind;
running out of device memory while drawing inputs or running the reference is the kind
`out_of_memory`, with the sizes and the free memory in its message.

Inputs are drawn on the device where the plan has one: `get_inputs()` runs with the device as
torch's default device after `torch.manual_seed(seed)` (which seeds the device's generator too),
so a multi-gigabyte `torch.rand(...)` takes milliseconds instead of seconds on the CPU plus a
copy. A task whose `get_inputs()` cannot run that way (it raises there) is drawn on the CPU and
copied, for the rest of the process, and `Task.drawn_on` says which was used. The default-device
context covers `get_inputs()` only: never building `Model` or `ModelNew`, whose parameters
would otherwise change.
"""
from __future__ import annotations

import hashlib
import traceback
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable

import torch

from . import loader, values
from .devices import DevicePlan
from .errors import TaskError, is_out_of_memory, one_line


@dataclass(frozen=True)
class Task:
    path: str
    module: ModuleType
    model_cls: type
    get_inputs: Callable[[], Any]
    get_init_inputs: Callable[[], Any]
    # How inputs were drawn: "device", "cpu" (no device, or its draw raised: why), None yet.
    draw: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def drawn_on(self) -> str:
        return self.draw.get("where", "")


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
        if is_out_of_memory(e):
            raise out_of_memory("constructing Model", plan, e) from e
        raise _reference_error("constructing Model", e) from e


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def out_of_memory(what: str, plan: DevicePlan, e: BaseException,
                  needed_bytes: int | None = None) -> TaskError:
    """The task's own work does not fit: a task error that gives the sizes and free memory."""
    free = ""
    if plan.is_cuda:
        try:
            avail, total = torch.cuda.mem_get_info(plan.device)
            held = torch.cuda.memory_allocated(plan.device)
            free = (f"; {_gib(avail)} free of {_gib(total)} on the device, {_gib(held)} held "
                    "by the harness")
        except Exception:  # noqa: BLE001 - the message is best effort
            pass
    need = f" (the inputs alone are {_gib(needed_bytes)})" if needed_bytes else ""
    return TaskError("out_of_memory", f"{what} ran out of memory{need}{free}: "
                     f"{one_line(e)[:160]}; make the task's sizes smaller",
                     traceback.format_exc())


def _draw_on_device(task: Task, plan: DevicePlan) -> list[Any] | None:
    """get_inputs() under the device as default device; None when it raised there."""
    try:
        with torch.device(plan.device):
            drawn = list(task.get_inputs())
        return values.to_device(drawn, plan.device)
    except (Exception, SystemExit) as e:
        if is_out_of_memory(e):
            raise out_of_memory("get_inputs() on the device", plan, e) from e
        task.draw.update(where="cpu", why=f"get_inputs() raised on the device: {one_line(e)}")
        return None


def draw_inputs(task: Task, seed: int, plan: DevicePlan) -> list[Any]:
    """`get_inputs()` drawn after `torch.manual_seed(seed)`, on the plan's device (see the
    module's doc), tensors on that device."""
    torch.manual_seed(seed)
    if plan.is_cuda and task.draw.get("where") != "cpu":
        drawn = _draw_on_device(task, plan)
        if drawn is not None:
            task.draw["where"] = "device"
            return drawn
        torch.manual_seed(seed)
    task.draw.setdefault("where", "cpu")
    try:
        host = list(task.get_inputs())
    except (Exception, SystemExit) as e:
        if is_out_of_memory(e):
            raise out_of_memory("get_inputs()", plan, e) from e
        raise _reference_error("get_inputs()", e) from e
    try:
        return values.to_device(host, plan.device)
    except (Exception, SystemExit) as e:
        if is_out_of_memory(e):
            raise out_of_memory("copying the inputs to the device", plan, e,
                                values.total_bytes(host)) from e
        raise _reference_error("moving get_inputs()'s values to the device", e) from e


def run_reference(model: torch.nn.Module, inputs: list[Any], plan: DevicePlan) -> Any:
    """One forward call of the reference, finished on the device before returning."""
    try:
        with torch.no_grad():
            out = model(*inputs)
        plan.synchronize()
        return out
    except (Exception, SystemExit) as e:
        if is_out_of_memory(e):
            raise out_of_memory("Model.forward", plan, e, values.total_bytes(inputs)) from e
        raise _reference_error("Model.forward", e) from e
