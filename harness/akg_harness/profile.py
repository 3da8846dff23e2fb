"""`profile`: times the eager reference and the candidate in one process on one device.

Both get the same seeded inputs (the candidate its own clone) and the same timer; the
reference goes first. Correctness is verify's business and is not re-checked here.
"""
from __future__ import annotations

import sys
import traceback
from typing import Any

import torch

from . import candidate, timing, values
from .devices import resolve
from .errors import CandidateError, TaskError, one_line
from .task import build_reference, draw_inputs, init_inputs, load_task


def _time_reference(timer: timing.Timer, model: torch.nn.Module, inputs: list[Any],
                    request: dict[str, Any]) -> list[float]:
    try:
        return timing.measure(timer, lambda: model(*inputs),
                              request["warmup_times"], request["run_times"])
    except (Exception, SystemExit) as e:
        raise TaskError("reference_error", f"Model.forward raised {one_line(e)}",
                        traceback.format_exc()) from e


def _error(verdict: str, message: str, log: str = "") -> dict[str, Any]:
    return {"ok": False, "error": {"kind": verdict, "message": message}, "log": log}


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Handles a profile request; TaskError (broken task) and RequestError propagate."""
    candidate.require_readable(request["candidate_path"])
    plan = resolve(request["device"], request["dsl"])
    task = load_task(request["task_path"])
    seed = request["seed"]
    init = init_inputs(task, seed)
    reference = build_reference(task, init, seed, plan)
    try:
        model_new = candidate.load_candidate(request["candidate_path"])
        model = candidate.construct(model_new, init, seed, plan)
    except CandidateError as e:
        return _error(e.verdict, e.message, e.log)
    inputs = draw_inputs(task, seed, plan)
    candidate_inputs = values.clone(inputs)
    timer = timing.make_timer(plan.device)
    print(f"[akg_harness] profiling on {plan.device_used} with {timer.method}", file=sys.stderr)
    reference_ms = _time_reference(timer, reference, inputs, request)
    try:
        with candidate.guard("calling ModelNew"):
            candidate_ms = timing.measure(timer, lambda: model(*candidate_inputs),
                                          request["warmup_times"], request["run_times"])
            plan.synchronize()
    except CandidateError as e:
        return _error(e.verdict, e.message, e.log)
    ref_stats, cand_stats = timing.summarize(reference_ms), timing.summarize(candidate_ms)
    speedup = ref_stats["median_ms"] / cand_stats["median_ms"] if cand_stats["median_ms"] else None
    return {"ok": True, "device_used": plan.device_used,
            "triton_interpreter": plan.triton_interpreter,
            "timing_method": timer.method,
            "performance_valid": not plan.triton_interpreter,
            "threads": torch.get_num_threads(),
            "reference": ref_stats, "candidate": cand_stats,
            "speedup_vs_eager": speedup}
