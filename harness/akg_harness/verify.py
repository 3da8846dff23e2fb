"""`verify`: runs the reference and the candidate on the same seeded inputs and compares.

Per trial t (seed_t = seed + t): Model and ModelNew are each built right after
`torch.manual_seed(seed_t)`, inputs are drawn after it too; the candidate gets its own clone of
the inputs, a third clone proves afterwards that it left them alone, and the reference outputs
stay alive while the candidate runs (so a candidate returning uninitialised memory cannot land
on the freed reference result).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from . import candidate, compare, values
from .devices import DevicePlan, resolve
from .errors import CandidateError
from .task import Task, build_reference, draw_inputs, init_inputs, load_task, run_reference

PASSED = "passed"
WRONG_ANSWER = "wrong_answer"
MODIFIED_INPUTS = "candidate modified its inputs"


@dataclass
class TrialOutcome:
    seed: int
    comparison: compare.Comparison
    message: str = ""  # why the trial failed, when it did

    @property
    def passed(self) -> bool:
        return not self.message

    def to_json(self) -> dict[str, Any]:
        c = self.comparison
        return {"seed": self.seed, "max_abs_err": c.max_abs_err, "max_rel_err": c.max_rel_err,
                "mismatches": c.mismatches, "numel": c.numel, "passed": self.passed}


@dataclass
class Report:
    plan: DevicePlan
    atol: float | None
    rtol: float | None
    trials: list[TrialOutcome] = field(default_factory=list)

    def result(self, verdict: str, message: str, log: str = "") -> dict[str, Any]:
        return {"verdict": verdict, "message": message,
                "device_used": self.plan.device_used,
                "triton_interpreter": self.plan.triton_interpreter,
                "trials": [t.to_json() for t in self.trials],
                "atol": self.atol, "rtol": self.rtol, "log": log}


def _effective_tolerance(report: Report, reference_outputs: list[Any]) -> None:
    """Fills null atol/rtol in the report with the default for the first tensor output."""
    if report.atol is not None and report.rtol is not None:
        return
    for out in reference_outputs:
        if hasattr(out, "dtype"):
            tol = compare.resolve_tolerance(out.dtype, report.atol, report.rtol)
            report.atol, report.rtol = tol.atol, tol.rtol
            return


def _run_trial(task: Task, model_new: type, seed: int, plan: DevicePlan,
               request: dict[str, Any]) -> tuple[TrialOutcome, list[Any]]:
    init = init_inputs(task, seed)
    reference = build_reference(task, init, seed, plan)
    model = candidate.construct(model_new, init, seed, plan)
    inputs = draw_inputs(task, seed, plan)
    candidate_inputs = values.clone(inputs)
    pristine = values.clone(inputs)
    expected = values.flatten_outputs(run_reference(reference, inputs, plan))
    actual = values.flatten_outputs(candidate.call(model, candidate_inputs, plan))
    candidate.check_no_aliasing(actual, candidate_inputs)
    comparison = compare.compare_outputs(actual, expected, request["atol"], request["rtol"])
    message = comparison.message
    if not values.same_contents(candidate_inputs, pristine):
        message = MODIFIED_INPUTS
    return TrialOutcome(seed, comparison, message), expected


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Handles a verify request; TaskError (broken task) and RequestError propagate."""
    candidate.require_readable(request["candidate_path"])
    plan = resolve(request["device"], request["dsl"])
    task = load_task(request["task_path"])
    report = Report(plan, request["atol"], request["rtol"])
    try:
        model_new = candidate.load_candidate(request["candidate_path"])
        for t in range(request["trials"]):
            outcome, expected = _run_trial(task, model_new, request["seed"] + t, plan, request)
            _effective_tolerance(report, expected)
            report.trials.append(outcome)
            print(f"[akg_harness] verify trial {t}: "
                  f"{'passed' if outcome.passed else outcome.message}", file=sys.stderr)
            if not outcome.passed:
                return report.result(WRONG_ANSWER, outcome.message,
                                     "\n".join(outcome.comparison.details))
    except CandidateError as e:
        return report.result(e.verdict, e.message, e.log)
    worst = max(t.comparison.max_abs_err for t in report.trials)
    return report.result(PASSED, f"passed {len(report.trials)} trials "
                                 f"(max_abs_err {worst:.3g})")
