"""`inspect`: loads a task, runs its reference once and describes it (see the protocol)."""
from __future__ import annotations

import sys
import time
from typing import Any

import torch

from . import trace, values
from .devices import DevicePlan, resolve
from .errors import TaskError
from .graph import describe_graph
from .task import build_reference, draw_inputs, init_inputs, load_task, run_reference


def _named_tensors(pairs: Any) -> list[dict[str, Any]]:
    return [{"name": name, "shape": list(t.shape), "dtype": values.dtype_name(t.dtype)}
            for name, t in pairs]


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Handles an inspect request; only RequestError (device unavailable) propagates.

    The reference runs once, on the drawn inputs themselves (no copies: at KernelBench's sizes
    each is gigabytes); the inputs are described before the call, which may change them, and
    the graph is exported from their shapes. `reference_ms` is that one call's wall time, lazy
    initialisation (the first launch of each kernel) included.
    """
    plan = resolve(request["device"], request["dsl"])
    seed = request["seed"]
    try:
        task = load_task(request["task_path"])
        trace.note(f"inspect on {plan.device_used}: task loaded")
        init = init_inputs(task, seed)
        model = build_reference(task, init, seed, plan)
        inputs = draw_inputs(task, seed, plan)
        trace.note(f"inputs drawn on the {task.drawn_on}")
        described = values.describe_all(inputs)
        start = time.perf_counter()
        outputs = values.flatten_outputs(run_reference(model, inputs, plan))
        reference_ms = (time.perf_counter() - start) * 1e3
        trace.note(f"reference ran once ({reference_ms:.1f} ms)")
    except TaskError as e:
        print(f"[akg_harness] inspect failed: {e.message}", file=sys.stderr)
        return {"ok": False, "error": {"kind": e.kind, "message": e.message}, "log": e.log}
    graph, graph_error = describe_graph(model, inputs)
    trace.note("graph described" + (f" ({graph['source']})" if graph else ""))
    if graph_error:
        print(f"[akg_harness] no graph: {graph_error}", file=sys.stderr)
    return {"ok": True, "device_used": plan.device_used,
            "triton_interpreter": plan.triton_interpreter,
            "inputs": described,
            "inputs_drawn_on": dict(task.draw),
            "init_inputs": values.describe_all(init),
            "outputs": values.describe_all(outputs),
            "parameters": _named_tensors(model.named_parameters()),
            "buffers": _named_tensors(model.named_buffers()),
            "reference_ms": reference_ms,
            "graph": graph, "graph_error": graph_error}
