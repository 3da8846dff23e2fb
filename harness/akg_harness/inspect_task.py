"""`inspect`: loads a task, runs its reference once and describes it (see the protocol)."""
from __future__ import annotations

import sys
import time
from typing import Any

import torch

from . import values
from .devices import DevicePlan, resolve
from .errors import TaskError
from .graph import describe_graph
from .task import build_reference, draw_inputs, init_inputs, load_task, run_reference


def _named_tensors(pairs: Any) -> list[dict[str, Any]]:
    return [{"name": name, "shape": list(t.shape), "dtype": values.dtype_name(t.dtype)}
            for name, t in pairs]


def _time_one_call(model: torch.nn.Module, inputs: list[Any], plan: DevicePlan) -> float:
    """Wall milliseconds of one warm call (the first call paid for lazy initialisation)."""
    start = time.perf_counter()
    run_reference(model, inputs, plan)
    return (time.perf_counter() - start) * 1e3


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Handles an inspect request; only RequestError (device unavailable) propagates."""
    plan = resolve(request["device"], request["dsl"])
    seed = request["seed"]
    try:
        task = load_task(request["task_path"])
        init = init_inputs(task, seed)
        model = build_reference(task, init, seed, plan)
        inputs = draw_inputs(task, seed, plan)
        outputs = values.flatten_outputs(run_reference(model, values.clone(inputs), plan))
        reference_ms = _time_one_call(model, values.clone(inputs), plan)
    except TaskError as e:
        print(f"[akg_harness] inspect failed: {e.message}", file=sys.stderr)
        return {"ok": False, "error": {"kind": e.kind, "message": e.message}, "log": e.log}
    graph, graph_error = describe_graph(model, inputs)
    if graph_error:
        print(f"[akg_harness] no graph: {graph_error}", file=sys.stderr)
    return {"ok": True, "device_used": plan.device_used,
            "triton_interpreter": plan.triton_interpreter,
            "inputs": values.describe_all(inputs),
            "init_inputs": values.describe_all(init),
            "outputs": values.describe_all(outputs),
            "parameters": _named_tensors(model.named_parameters()),
            "buffers": _named_tensors(model.named_buffers()),
            "reference_ms": reference_ms,
            "graph": graph, "graph_error": graph_error}
