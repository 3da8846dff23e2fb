"""`verify`: judges a candidate against the task's reference (docs/HARNESS_PROTOCOL.md and
docs/INTEGRITY.md).

Order: load the task; compute trial 0's reference outputs (a broken task is found before any
candidate code runs); check the candidate's syntax and static integrity rules; install the
launch counters and record the runtime functions' identities; import the candidate (the
identities are checked again); then per trial t (seed + t, distribution t % 5) construct
ModelNew, call it twice with runtime checks, and on trial 0 once more with its kernels
skipped. Verification stops at the first failing trial.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from . import (candidate, compare, crash_context, distributions, exact_reference, fast_checks, runtime_proof,
               shape_trials, trace, trial, values)
from .devices import DevicePlan, resolve
from .errors import PASSED, REJECTED, CandidateError, RequestError
from .integrity.static_rules import check_source
from .reference_cache import ReferenceStore
from .request import OPTIONAL
from .runtime_guard import RuntimeGuard
from .task import load_task

# Test-only switches, read once when a verify starts (before any candidate code runs):
# `skip_static_rules` lets a fixture reach the runtime checks a static rule would stop first;
# `skip_runtime_proof` also lets pure-torch fixtures through (no launch counting, no no-op run).
TEST_HOOKS = {"skip_static_rules": False, "skip_runtime_proof": False}


@dataclass
class Report:
    plan: DevicePlan
    request: dict[str, Any]
    framework_ops: list[str] = field(default_factory=list)
    trials: list[trial.TrialRecord] = field(default_factory=list)
    proof: dict[str, Any] = field(default_factory=lambda: {"launches": 0, "kernels": {}})
    notes: list[str] = field(default_factory=list)
    first_dtype: torch.dtype | None = None  # of the reference's first tensor output
    tolerance_block: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    drawn_on: dict[str, str] = field(default_factory=dict)
    shape_general: dict[str, Any] = field(default_factory=dict)

    def tolerance(self) -> tuple[float | None, float | None]:
        """The request's atol/rtol, nulls filled with the default of the first tensor output
        (left null when no trial got as far as running the candidate)."""
        atol, rtol = self.request["atol"], self.request["rtol"]
        if self.trials and self.first_dtype is not None:
            tol = compare.resolve_tolerance(self.first_dtype, atol, rtol)
            return tol.atol, tol.rtol
        return atol, rtol

    def result(self, verdict: str, message: str, log: str = "", reason: str = ""
               ) -> dict[str, Any]:
        atol, rtol = self.tolerance()
        return {"verdict": verdict, "reason": reason, "message": message,
                "policy": self.request["policy"], "framework_ops": self.framework_ops,
                "device_used": self.plan.device_used,
                "triton_interpreter": self.plan.triton_interpreter,
                "trials": [t.to_json() for t in self.trials],
                "runtime_proof": self.proof,
                "atol": atol, "rtol": rtol,
                "tolerance": self.tolerance_block,
                "shape_general": self.shape_general or {
                    "status": "not_checked", "why": "the task's own trials did not pass",
                    "sizes": [], "constants": {}},
                "inputs_drawn_on": self.drawn_on,
                "memory": self.memory,
                "log": "\n".join(self.notes + ([log] if log else []))}


def static_check(source: str, request: dict[str, Any],
                 framework_ops: list[str] | None = None) -> None:
    """The static rules; raises CandidateError(rejected) naming every violation. The framework
    ops the source calls go into `framework_ops` first (a rejected verdict lists them too)."""
    try:
        static = check_source(source, request["dsl"], policy=request["policy"],
                              extra_glue=tuple(request["extra_glue"]))
    except ValueError as e:  # a DSL the rules do not know
        raise RequestError(str(e)) from e
    if framework_ops is not None:
        framework_ops[:] = list(static.framework_ops)
    if static.violations:
        first = static.violations[0]
        at = [f" (line {v.line})" if v.line else "" for v in static.violations]
        lines = [f"{v.reason}: {v.message}{w}" for v, w in zip(static.violations, at)]
        raise CandidateError(REJECTED, f"{first.message}{at[0]}", "\n".join(lines),
                             first.reason)


def _load(request: dict[str, Any], session: trial.Session, report: Report, skip: bool) -> type:
    """Static rules, hooks and the identity snapshot, then the import of the candidate."""
    path = request["candidate_path"]
    source = candidate.read_source(path)
    if skip:
        report.notes.append("[akg_harness] static rules skipped (test hook)")
    else:
        static_check(source, request, report.framework_ops)
    triton_dsl = request["dsl"].startswith("triton")
    guard = session.guard = RuntimeGuard()
    for cls in runtime_proof.install_triton_hooks(import_triton=triton_dsl):
        guard.watch(f"{cls.__module__}.{cls.__qualname__}", cls)
    model_new, module = candidate.load_candidate_module(path)
    for cls in runtime_proof.install_triton_hooks(import_triton=False):
        if not guard.watches(cls):
            guard.watch(f"{cls.__module__}.{cls.__qualname__}", cls)
    session.modules.append(module)
    crash_context.attach(runtime_proof.native_hooks(session.modules))
    session.counter = runtime_proof.LaunchCounter(session.modules)
    trial.check_guard(session)
    return model_new


def _tolerance_block(p: trial.Prepared, request: dict[str, Any]) -> dict[str, Any]:
    """Trial 0's tolerance per output, as the result reports it (docs/HARNESS_PROTOCOL.md)."""
    r, ex = p.record, p.reference.exact
    outputs = []
    extra = p.tolerances[0] or []
    for i, out in enumerate(p.reference.first):
        if not isinstance(out, torch.Tensor):
            continue
        more = extra[i] if i < len(extra) else None
        tol = compare.output_tolerance(out, request["atol"], request["rtol"], 1.0, more)
        outputs.append({"index": i, "ref_error": ex.ref_error[i] if ex.used else None,
                        "atol": tol.atol, "rtol": tol.rtol})
    return {"rule": exact_reference.RULE_EXACT if ex.used else exact_reference.RULE_DEFAULT,
            "why": "" if ex.used else r.exact_why, "k": exact_reference.K, "outputs": outputs}


def _memory(plan: DevicePlan, p: trial.Prepared) -> dict[str, Any]:
    """The verify's peak device memory beside the sizes it is made of (bytes)."""
    ex = p.reference.exact
    found: dict[str, Any] = {
        "inputs_bytes": values.total_bytes(p.inputs),
        "outputs_bytes": values.total_bytes(p.reference.first),
        "float64_reference_bytes": values.total_bytes([ex.first or [], ex.second or []])}
    if plan.is_cuda:
        found["peak_bytes"] = torch.cuda.max_memory_allocated(plan.device)
        found["device_total_bytes"] = torch.cuda.mem_get_info(plan.device)[1]
    return found


def _shape_trials(session: trial.Session, model_new: type, request: dict[str, Any],
                  report: Report) -> None:
    """The shape trials (akg_harness.shape_trials) after the task's own trials passed."""
    outcome = shape_trials.Outcome()
    first = request["trials"]

    def run_trial(i: int, sizes: str) -> None:
        p = trial.prepare(session, first + i, request["seed"] + first + i, distributions.TASK)
        p.record.sizes = sizes
        report.trials.append(p.record)
        trial.run(session, model_new, p, noop_check=False)
        trace.note(f"verify shape trial {i} ({sizes}): passed")

    try:
        shape_trials.run(session.task, request["shapes"], run_trial, outcome)
    finally:
        report.shape_general = outcome.to_json()
    if outcome.status != shape_trials.YES:
        trace.note(f"shape-general: not checked ({outcome.why})")


def _name_failed_trial(report: Report, request: dict[str, Any], message: str) -> str:
    """The message prefixed with the trial that failed (which one, its inputs, seed and call),
    when one was running; the trials that passed are in the log already."""
    failed = report.trials[-1] if report.trials and not report.trials[-1].passed else None
    if failed is None:
        return message
    # "constructing ModelNew: ..." already names its stage
    text = failed.describe(with_stage=not message.startswith(failed.stage or "\0"))
    if not failed.sizes:
        index = sum(1 for t in report.trials if not t.sizes) - 1
        text = text.replace("trial", f"trial {index} (of trials 0-{request['trials'] - 1})", 1)
    return f"{text}: {message}"


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Handles a verify request; TaskError (broken task) and RequestError propagate."""
    skip_static = bool(TEST_HOOKS["skip_static_rules"] or TEST_HOOKS["skip_runtime_proof"])
    skip_proof = bool(TEST_HOOKS["skip_runtime_proof"])
    defaults = {k: d for k, (_, d) in OPTIONAL["verify"].items()}
    request = {**defaults, **{k: v for k, v in request.items() if v is not None}}
    prove = not skip_proof and request["dsl"] in runtime_proof.COUNTED_DSLS
    candidate.require_readable(request["candidate_path"])
    plan = resolve(request["device"], request["dsl"])
    task = load_task(request["task_path"])
    store = ReferenceStore(task, plan, request["reference_cache_dir"])
    session = trial.Session(task, plan, store, request["atol"], request["rtol"],
                            enforce_proof=prove)
    report = Report(plan, request)
    if not plan.is_cuda:
        fast_checks.load()  # before any candidate code runs (see fast_checks)
    if plan.is_cuda:
        try:
            torch.cuda.reset_peak_memory_stats(plan.device)
        except RuntimeError:  # "Invalid device argument": nothing allocated yet, peak is 0
            pass
    trace.note(f"verify on {plan.device_used}: task loaded")
    prepared = trial.prepare(session, 0, request["seed"])
    report.drawn_on = dict(task.draw)
    trace.note("trial 0's reference outputs ready"
               + (" (from the run's cache)" if prepared.record.reference_cached else "")
               + f", inputs drawn on the {task.drawn_on}"
               + ("" if prepared.reference.exact.used
                  else f"; no float64 reference: {prepared.reference.exact.why}"))
    report.first_dtype = next((o.dtype for o in prepared.reference.first
                               if isinstance(o, torch.Tensor)), None)
    report.tolerance_block = _tolerance_block(prepared, request)
    try:
        model_new = _load(request, session, report, skip_static)
        trace.note("candidate checked and imported")
        for t in range(request["trials"]):
            if t:
                del prepared  # frees the last trial's tensors before drawing new ones
                prepared = trial.prepare(session, t, request["seed"] + t)
            report.trials.append(prepared.record)
            trial.run(session, model_new, prepared, noop_check=(t == 0))
            trace.note(f"verify trial {t} ({prepared.record.distribution}): passed")
        report.memory = _memory(plan, prepared)  # the peak so far: shape trials are smaller
        del prepared
        _shape_trials(session, model_new, request, report)
    except CandidateError as e:
        report.memory = report.memory or _memory(plan, prepared)
        report.proof = session.counter.proof()
        message = _name_failed_trial(report, request, e.message)
        trace.note(f"verify: {e.verdict} ({e.reason}): {message}")
        return report.result(e.verdict, message, e.log, e.reason)
    report.proof = session.counter.proof()
    if "peak_bytes" in report.memory:
        m = report.memory
        trace.note(f"peak device memory {m['peak_bytes'] / 2**30:.2f} GiB (inputs "
                   f"{m['inputs_bytes'] / 2**30:.2f}, outputs {m['outputs_bytes'] / 2**30:.2f}, "
                   f"float64 reference {m['float64_reference_bytes'] / 2**30:.2f} GiB)")
    worst = max(t.comparison.max_abs_err for t in report.trials)
    return report.result(PASSED, f"passed {len(report.trials)} trials "
                                 f"(max_abs_err {worst:.3g})")
