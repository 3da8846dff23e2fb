"""One verify trial: inputs of a distribution, two reference calls, two checked candidate calls.

`prepare` runs no candidate code (trial 0 is prepared before the candidate is even loaded);
`run` constructs ModelNew, calls it on the trial's inputs and again on fresh inputs written
into the same input tensors, and checks each call (docs/INTEGRITY.md, "Runtime checks").
Failures raise CandidateError with the verdict and reason code.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Iterator

import torch

from . import (candidate, compare, distributions, exact_reference, fast_checks, output_checks,
               poison, runtime_proof, values)
from .devices import DevicePlan
from .errors import (INPUTS_MODIFIED, KERNEL_DID_NOT_RUN, MISMATCH, NEAR_ZERO_OUTPUT,
                     PATCHED_RUNTIME, REJECTED, STALE_OUTPUT, UNWRITTEN_OUTPUT, WRONG_ANSWER,
                     CandidateError, TaskError)
from .reference_cache import ReferencePair, ReferenceStore
from .runtime_guard import RuntimeGuard
from .task import Task, build_reference, draw_inputs, init_inputs

SECOND_SEED_OFFSET = 1_000_003
FIRST_CALL = "first call"
SECOND_CALL = "second call on fresh inputs in the same tensors"
NOOP_CALL = "the call with the kernels skipped"


@dataclass
class TrialRecord:
    seed: int
    distribution: str
    second_seed: int
    skipped_distribution: str | None = None
    reference_cached: bool = False
    comparison: compare.Comparison = field(default_factory=compare.Comparison)
    launches: int = 0
    passed: bool = False
    atol_scale: list[float] | None = None  # per output, for a scaled distribution
    exact_why: str = ""       # why there is no float64 reference ("" when there is)
    sizes: str = ""           # a shape trial's sizes ("batch_size=7, dim=8191")
    ref_error: list[float] = field(default_factory=list)  # per output, max |ref32 - ref64|
    stage: str = ""           # the check running when the trial failed (what `run` was doing)

    def describe(self, with_stage: bool = True) -> str:
        """The trial in words, for the message of its failure: which call, inputs, seeds."""
        what = f"shape trial ({self.sizes})" if self.sizes else "trial"
        inputs = distributions.describe(self.distribution)
        if self.skipped_distribution:
            inputs += f", in place of {self.skipped_distribution} (outside the reference's domain)"
        seed = (f"seed {self.second_seed}, the first call's {self.seed} + "
                f"{SECOND_SEED_OFFSET}") if self.stage == SECOND_CALL else f"seed {self.seed}"
        stage = f", {self.stage}" if self.stage and with_stage else ""
        return f"{what} with inputs {inputs}, {seed}{stage}"

    def to_json(self) -> dict[str, Any]:
        c = self.comparison
        out = {"seed": self.seed, "distribution": self.distribution,
               "second_seed": self.second_seed, "reference_cached": self.reference_cached,
               "max_abs_err": c.max_abs_err, "max_rel_err": c.max_rel_err,
               "mismatches": c.mismatches, "numel": c.numel, "launches": self.launches,
               "passed": self.passed}
        if self.skipped_distribution:
            out["skipped_distribution"] = self.skipped_distribution
        if self.atol_scale:
            out["atol_scale"] = self.atol_scale
        if self.sizes:
            out["sizes"] = self.sizes
        if self.exact_why:
            out["exact_reference"] = self.exact_why
        else:
            out["ref_error"] = self.ref_error
        return out


@dataclass
class Prepared:
    record: TrialRecord
    init: list[Any]
    inputs: list[Any]          # the candidate's first-call inputs (a pristine copy below)
    pristine: list[Any]
    second: Draws              # the second call's inputs, taken when it comes
    reference: ReferencePair
    # Per call, per output: the float64 value to compare with and its atol (None: old rule).
    tolerances: tuple[list[compare.OutputTolerance | None] | None, ...] = (None, None)


@dataclass
class Session:
    """What every trial of one verify shares."""

    task: Task
    plan: DevicePlan
    store: ReferenceStore
    atol: float | None
    rtol: float | None
    enforce_proof: bool = True
    guard: RuntimeGuard | None = None
    counter: runtime_proof.LaunchCounter = field(default_factory=runtime_proof.LaunchCounter)
    modules: list[ModuleType] = field(default_factory=list)
    baseline_nonfinite: bool = False
    task_scales: list[float] = field(default_factory=list)  # trial 0's mean |output|


def _scales(outputs: list[Any]) -> list[float]:
    """Mean magnitude of each floating output over its finite elements (0.0 otherwise)."""
    found = []
    for out in outputs:
        total, count = 0.0, 0
        fast = fast_checks.mean_abs(out.detach().reshape(-1)) if isinstance(
            out, torch.Tensor) and out.is_floating_point() else None
        if fast is not None:
            found.append(fast)
            continue
        if isinstance(out, torch.Tensor) and (out.is_floating_point() or out.is_complex()):
            flat = out.detach().reshape(-1)
            step = compare.chunk_elements(flat)
            for start in range(0, flat.numel(), step):
                mags = flat[start:start + step].abs()
                finite = torch.isfinite(mags)
                total += float(torch.where(finite, mags, 0).sum(dtype=torch.float64))
                count += int(finite.sum())
        found.append(total / count if count else 0.0)
    return found


def _atol_scale(s: Session, scales: list[float]) -> list[float] | None:
    """Per output, how much larger this distribution's outputs are than the task's own:
    rounding errors grow with the magnitudes, so atol does too (never for `task`)."""
    ratios = [now / base if base > 0 and now > 0 else 1.0
              for now, base in zip(scales, s.task_scales)]
    return ratios if any(r != 1.0 for r in ratios) else None


def _has_nonfinite(outputs: list[Any]) -> bool:
    return any((t.is_floating_point() or t.is_complex()) and not bool(torch.isfinite(t).all())
               for t in values.iter_tensors(outputs))


class Draws:
    """The inputs of one seed and distribution; each `take()` is a set the caller owns (the
    reference or the candidate may change it). Inputs drawn on the device are drawn again for
    each take (milliseconds, and no copy waits in device memory); inputs drawn on the CPU are
    drawn once and cloned (a draw there costs seconds)."""

    def __init__(self, s: Session, seed: int, dist: str) -> None:
        self.s, self.seed, self.dist = s, seed, dist
        self.kept: list[Any] | None = None

    def _draw(self) -> list[Any]:
        return distributions.apply(self.dist, draw_inputs(self.s.task, self.seed, self.s.plan),
                                   self.seed)

    def take(self, last: bool = False) -> list[Any]:
        """A fresh set; `last` when no further take follows (the kept copy is handed out)."""
        if self.kept is not None:
            kept = self.kept
            if last:
                self.kept = None
                return kept
            return values.clone(kept)
        drawn = self._draw()
        if self.s.task.drawn_on != "device" and not last:
            self.kept = values.clone(drawn)
        return drawn


def _tolerances(pair: ReferencePair, scales: list[float], second: bool
                ) -> list[compare.OutputTolerance | None] | None:
    """Per output of one call: its float64 reference and the allowance for the float32
    reference's own error (None without a float64 reference)."""
    ex = pair.exact
    if not ex.used:
        return None
    wide = ex.second if second else ex.first
    narrow = pair.second if second else pair.first
    found: list[compare.OutputTolerance | None] = []
    for i, (n, w) in enumerate(zip(narrow, wide or [])):
        if w is None or not isinstance(n, torch.Tensor):
            found.append(None)
            continue
        err = ex.ref_error[i]
        found.append(compare.OutputTolerance(
            w, exact_reference.allowed(n.dtype, err, scales[i]),
            f"the larger of {exact_reference.K}x the float32 reference's own error of "
            f"{err:.2g} on these inputs (capped at {exact_reference.CAP_RTOLS} rtols of the "
            f"outputs' mean magnitude {scales[i]:.3g}, but at least "
            f"{exact_reference.OWN_ERRORS}x that error) and float32's reach there"))
    return found


def _draw(s: Session, seed: int, second_seed: int, dist: str, init: list[Any]
          ) -> tuple[list[Any], list[Any], Draws, ReferencePair]:
    first, second = Draws(s, seed, dist), Draws(s, second_seed, dist)

    def build() -> torch.nn.Module:  # build_reference clones `init`: it stays the trial's
        return build_reference(s.task, init, seed, s.plan)

    pair = s.store.pair(seed, second_seed, dist, init, first.take, second.take, build)
    mine = first.take(last=True)
    return mine, values.clone(mine), second, pair


def prepare(s: Session, t: int, seed: int, distribution: str | None = None) -> Prepared:
    """Inputs and reference outputs of trial t (in distribution t % 5 unless one is given);
    falls back to the task's own distribution where another one leaves the reference's
    domain (NaN/Inf the task's inputs do not give, or an exception)."""
    dist = distribution or distributions.for_trial(t)
    record = TrialRecord(seed, dist, seed + SECOND_SEED_OFFSET)
    init = init_inputs(s.task, seed)
    try:
        drawn = _draw(s, seed, record.second_seed, dist, init)
        outside = (dist != distributions.TASK and not s.baseline_nonfinite
                   and _has_nonfinite([drawn[3].first, drawn[3].second]))
    except TaskError as e:
        if dist == distributions.TASK or e.kind == "out_of_memory":
            raise
        outside = True
    if outside:
        record.distribution, record.skipped_distribution = distributions.TASK, dist
        drawn = None  # frees the other distribution's tensors first
        drawn = _draw(s, seed, record.second_seed, distributions.TASK, init)
    inputs, pristine, second, pair = drawn
    scales = _scales(pair.first)
    if t == 0:
        s.baseline_nonfinite = _has_nonfinite([pair.first, pair.second])
        s.task_scales = scales
    elif record.distribution != distributions.TASK:
        record.atol_scale = _atol_scale(s, scales)
    record.reference_cached = pair.cached
    record.exact_why = pair.exact.why
    record.ref_error = list(pair.exact.ref_error)
    tolerances = (_tolerances(pair, scales, False), _tolerances(pair, scales, True))
    return Prepared(record, init, inputs, pristine, second, pair, tolerances)


def check_guard(s: Session) -> None:
    """patched_runtime when a watched runtime function differs from its recorded identity."""
    changes = s.guard.changes() if s.guard else []
    if changes:
        raise CandidateError(REJECTED, f"the candidate replaced runtime functions: "
                             f"{'; '.join(changes[:3])}", "\n".join(changes), PATCHED_RUNTIME)


@contextlib.contextmanager
def hidden(reference: ReferencePair) -> Iterator[None]:
    """The reference's outputs stay allocated during a candidate call (so its allocations
    cannot land on them) but scrambled with a random key (so it cannot copy them)."""
    key = int.from_bytes(os.urandom(8), "little") | 1
    values.xor_bits(reference.all_outputs(), key)
    try:
        yield
    finally:
        values.xor_bits(reference.all_outputs(), key)


def _checked_call(s: Session, model: Any, inputs: list[Any], pristine: list[Any],
                  expected: list[Any], previous: list[Any] | None, record: TrialRecord,
                  reference: ReferencePair) -> list[Any]:
    before = s.counter.snapshot()
    with hidden(reference), poison.poisoned(s.plan.device, expected):
        raw = candidate.call(model, inputs, s.plan)
    launches = s.counter.since(before)
    record.launches += sum(launches.values())
    check_guard(s)
    outputs = values.flatten_outputs(raw)
    output_checks.check_plain(outputs, expected)
    output_checks.check_storage(outputs, inputs, previous)
    if not values.same_contents(inputs, pristine):
        raise CandidateError(REJECTED, "candidate modified its inputs", reason=INPUTS_MODIFIED)
    if s.enforce_proof and not launches:
        raise CandidateError(REJECTED, "no custom kernel launch was counted during forward "
                             "(the kernel never ran)", reason=KERNEL_DID_NOT_RUN)
    return outputs


def _judge(s: Session, outputs: list[Any], expected: list[Any], p: Prepared,
           first_call: bool) -> compare.Comparison:
    record = p.record
    c = compare.compare_outputs(outputs, expected, s.atol, s.rtol, record.atol_scale,
                                p.tolerances[0 if first_call else 1])
    record.comparison = c if first_call else _merge(record.comparison, c)
    if not c.passed:
        unwritten = output_checks.unwritten(outputs, expected)
        if unwritten and c.reason == MISMATCH:
            c.message, c.reason = unwritten, UNWRITTEN_OUTPUT
        return c
    zero = output_checks.near_zero(outputs, expected)
    if zero:
        c.passed, c.message, c.reason = False, zero, NEAR_ZERO_OUTPUT
    return c


def _merge(first: compare.Comparison, second: compare.Comparison) -> compare.Comparison:
    """Errors over both calls; counts of the call that decided (the second when it failed)."""
    merged = second if not second.passed else first
    return compare.Comparison(merged.passed, max(first.max_abs_err, second.max_abs_err),
                              max(first.max_rel_err, second.max_rel_err), merged.mismatches,
                              merged.numel, merged.message, merged.reason, merged.details)


def _fail(c: compare.Comparison) -> CandidateError:
    return CandidateError(WRONG_ANSWER, c.message, "\n".join(c.details or [c.message]), c.reason)


def _noop_check(s: Session, model: Any, p: Prepared, outputs: list[Any]) -> None:
    """Runs the first call again with every counted launch skipped: the outputs must change."""
    inputs = values.clone(p.pristine)
    try:
        with runtime_proof.noop(s.modules), hidden(p.reference), \
                poison.poisoned(s.plan.device, p.reference.first):
            before = s.counter.snapshot()
            raw = candidate.call(model, inputs, s.plan)
            skipped = s.counter.since(before, record=False)
    except CandidateError:
        return  # it cannot do without its kernels
    check_guard(s)
    if skipped and output_checks.same_outputs(values.flatten_outputs(raw), outputs):
        raise CandidateError(REJECTED, "the outputs are the same when the custom kernels are "
                             f"skipped ({', '.join(sorted(skipped))}): they do no real work",
                             reason=KERNEL_DID_NOT_RUN)


def run(s: Session, model_new: type, p: Prepared, noop_check: bool) -> None:
    """Runs the candidate on a prepared trial; raises CandidateError on any failure."""
    r, ref = p.record, p.reference
    r.stage = "constructing ModelNew"
    model = candidate.construct(model_new, p.init, r.seed, s.plan)
    check_guard(s)
    r.stage = FIRST_CALL
    first = _checked_call(s, model, p.inputs, p.pristine, ref.first, None, r, ref)
    c = _judge(s, first, ref.first, p, True)
    if not c.passed:
        raise _fail(c)
    second_inputs = p.second.take(last=True)
    if values.same_structure(p.inputs, second_inputs):
        values.copy_into(p.inputs, second_inputs)  # same storage: catches pointer-keyed caches
        second_inputs = p.inputs
    pristine = values.clone(second_inputs)
    r.stage = SECOND_CALL
    second = _checked_call(s, model, second_inputs, pristine, ref.second, first, r, ref)
    del pristine
    c = _judge(s, second, ref.second, p, False)
    if not c.passed:
        why = (output_checks.stale(second, first, c.failed_outputs, ref.second, ref.first)
               if c.reason == MISMATCH else None)
        if why:
            raise CandidateError(REJECTED, why, "\n".join(c.details), STALE_OUTPUT)
        raise _fail(c)
    if noop_check and s.enforce_proof:
        r.stage = NOOP_CALL
        _noop_check(s, model, p, first)
    r.passed, r.stage = True, ""
