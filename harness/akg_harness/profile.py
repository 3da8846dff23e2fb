"""`profile`: times the eager reference, its torch.compile baseline and the candidate in one
process on one device, and sets the result against the speed of light.

All three get the same seeded inputs (the candidate its own clones), several input sets used
in turn, and the same timer. Timing goes in two phases: first single-call samples (flush, one
call, device synchronised): torch.compile alone, then eager and the candidate in turn (A B A
B, akg_harness.interleave); then, when any subject is faster than `graph_below_us`, every
subject again with several calls per sample (a CUDA graph, or batched calls when capture
fails), so all of them are compared the same way. The speedup over eager divides by the run's
eager baseline (akg_harness.eager_baseline, with `eager_baseline_dir`), so every candidate of a
run on one device model is ranked by its own time; eager timed here only detects drift, and
a wide spread or a drift marks the numbers noisy (akg_harness.noise). Correctness is verify's
business and is not re-checked here. With `baseline_cache_dir`, torch.compile's measurements
are taken once per run and reused (akg_harness.baseline_cache).
"""
from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Callable

import torch

from . import candidate, child_link, interleave, noise, sol, timing, trace, values
from .baseline_cache import CompileCache, LazyCompiled, cache_key, phase_name
from .devices import DevicePlan, resolve
from .eager_baseline import EagerBaseline, settle
from .errors import CandidateError, TaskError, one_line
from .peaks import device_name
from .task import Task, build_reference, draw_inputs, init_inputs, load_task

EAGER = "eager"
TORCH_COMPILE = "torch_compile"
BASELINES = (EAGER, TORCH_COMPILE)
CANDIDATE = "candidate"

DEFAULTS: dict[str, Any] = {"baselines": list(BASELINES), "graph_below_us": 100.0,
                            "timing_mode": timing.AUTO, "input_sets": 3, "peaks": None,
                            "suspect_speedup": 10.0, "noisy_spread": noise.NOISY_SPREAD}
# Under Triton's interpreter times are not performance: one call of each subject shows that
# the candidate runs in a profile child (seconds, where 10 warm-ups + 100 runs took 38 s).
INTERPRETER_TIMING: dict[str, Any] = {"warmup_times": 0, "run_times": 1, "input_sets": 1,
                                      "timing_mode": timing.SINGLE}
INPUT_MEMORY_SHARE_CUDA = 0.4  # input sets (reference's and candidate's) fit in this share
INPUT_MEMORY_SHARE_CPU = 0.25  # of free device memory / physical memory
MAX_LOG_CHARS = 4000


class BaselineFailed(Exception):
    """The torch.compile baseline raised: recorded in the result, profiling goes on."""

    def __init__(self, message: str, log: str) -> None:
        super().__init__(message)
        self.message = message
        self.log = log


def _option(request: dict[str, Any], key: str) -> Any:
    """The request's value, or the default when absent or null."""
    value = request.get(key)
    return DEFAULTS[key] if value is None else value


def _error(verdict: str, message: str, log: str = "") -> dict[str, Any]:
    return {"ok": False, "error": {"kind": verdict, "message": message}, "log": log}


def _reference_call(model: torch.nn.Module) -> Callable[[list[Any]], Any]:
    def call(inputs: list[Any]) -> Any:
        try:
            return model(*inputs)
        except (Exception, SystemExit) as e:
            raise TaskError("reference_error", f"Model.forward raised {one_line(e)}",
                            traceback.format_exc()) from e
    return call


def _compiled_call(compiled: Callable[..., Any]) -> Callable[[list[Any]], Any]:
    def call(inputs: list[Any]) -> Any:
        try:
            return compiled(*inputs)
        except BaselineFailed:
            raise
        except (Exception, SystemExit) as e:
            raise BaselineFailed(f"torch.compile: {one_line(e)}",
                                 traceback.format_exc()[-MAX_LOG_CHARS:]) from e
    return call


def _candidate_call(model: Any) -> Callable[[list[Any]], Any]:
    """Like the reference's: a plain call, the guard only on the way out of a failure (a
    context manager around every call would cost the candidate host time the others lack)."""
    def call(inputs: list[Any]) -> Any:
        try:
            return model(*inputs)
        except (Exception, SystemExit):
            with candidate.guard("calling ModelNew"):
                raise
    return call


def _memory_budget(plan: DevicePlan) -> int:
    if plan.is_cuda:
        free, _ = torch.cuda.mem_get_info(plan.device)
        return int(free * INPUT_MEMORY_SHARE_CUDA)
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62
    return int(physical * INPUT_MEMORY_SHARE_CPU)


def draw_input_sets(task: Task, seed: int, plan: DevicePlan, wanted: int) -> list[list[Any]]:
    """Input sets drawn with seeds seed, seed+1, ... (set 0 is verify's first trial's inputs),
    as many as asked for while two copies of them (reference's and candidate's) fit the
    memory budget; at least one."""
    first = draw_inputs(task, seed, plan)
    per_set = 2 * timing.set_bytes(first)
    count = wanted if per_set == 0 else max(1, min(wanted, _memory_budget(plan) // per_set))
    return [first] + [draw_inputs(task, seed + j, plan) for j in range(1, count)]


def _torch_compile(model: torch.nn.Module) -> Any:
    try:
        return torch.compile(model)
    except (Exception, SystemExit) as e:
        raise BaselineFailed(f"torch.compile: {one_line(e)}",
                             traceback.format_exc()[-MAX_LOG_CHARS:]) from e


def _compile_baseline(reference: torch.nn.Module, sets: list[list[Any]], plan: DevicePlan
                      ) -> tuple[timing.Subject, LazyCompiled]:
    """torch.compile (default mode) of the reference, compiled by its first (untimed) call."""
    lazy = LazyCompiled(reference, plan, _torch_compile)
    return timing.Subject(TORCH_COMPILE, _compiled_call(lazy), sets), lazy


def _compile_now(subject: timing.Subject, lazy: LazyCompiled) -> None:
    if lazy.fn is None:
        subject.call(subject.sets[0])
        trace.note(f"torch.compile baseline compiled in {lazy.compile_s:.2f} s")


def _ratio(numerator: dict[str, Any] | None, denominator: dict[str, Any] | None) -> float | None:
    if not numerator or not denominator or "median_ms" not in numerator:
        return None
    if not denominator.get("median_ms"):
        return None
    return numerator["median_ms"] / denominator["median_ms"]


def _count_work(reference: torch.nn.Module, inputs: list[Any], plan: DevicePlan
                ) -> sol.WorkCount | str:
    try:
        return sol.count_work(reference, inputs, plan.device.type)
    except (Exception, SystemExit) as e:  # the reference ran fine before: the counter's fault
        return f"counting the reference's work failed: {one_line(e)}"


class _Session:
    """The subjects of one profile request and their measurements."""

    def __init__(self, timer: timing.Timer, request: dict[str, Any], plan: DevicePlan) -> None:
        self.timer, self.request, self.plan = timer, request, plan
        self.subjects: list[timing.Subject] = []
        self.measured: dict[str, timing.Measured] = {}
        self.compile_error: dict[str, str] | None = None
        self.compile_cache: CompileCache | None = None
        self.lazy: LazyCompiled | None = None
        self.reused = False  # the reported torch.compile measurement is an earlier profile's
        # Set by time_all for its final phase: its name, a re-time of eager and the candidate,
        # and more eager-only samples (settle_baseline).
        self.phase = phase_name(False)
        self.retime: Callable[[], None] = lambda: None
        self.eager_more: Callable[[], timing.Measured] = lambda: timing.Measured([])

    @property
    def compile_s(self) -> float | None:
        if self.lazy is not None and self.lazy.compile_s is not None:
            return self.lazy.compile_s
        return self.compile_cache.compile_s if self.compile_cache else None

    def _drop_compile(self, e: BaselineFailed) -> None:
        self.compile_error = {"error": e.message, "log": e.log}
        if self.compile_cache is not None:
            self.compile_cache.put_error(self.compile_error)
        self.subjects = [s for s in self.subjects if s.name != TORCH_COMPILE]
        self.measured.pop(TORCH_COMPILE, None)
        print(f"[akg_harness] torch.compile baseline failed: {e.message}", file=sys.stderr)

    def _compile_phase(self, subject: timing.Subject, phase: str,
                       work: Callable[[timing.Subject], timing.Measured]) -> None:
        """torch.compile's measurement of one phase: the run's earlier one when the cache has
        it, else compiled (if not yet) and measured here, then kept for later profiles."""
        assert self.compile_cache is not None and self.lazy is not None
        cached = self.compile_cache.get(phase)
        if cached is not None:
            self.measured[TORCH_COMPILE] = cached
            self.reused = True
            return
        self.reused = False
        _compile_now(subject, self.lazy)
        self.measured[TORCH_COMPILE] = work(subject)
        self.plan.synchronize()
        self.compile_cache.put(phase, self.measured[TORCH_COMPILE], self.lazy.compile_s)

    def _each(self, work: Callable[[timing.Subject], timing.Measured],
              phase: Callable[[timing.Subject], str], names: tuple[str, ...] = BASELINES + (
                  CANDIDATE,)) -> None:
        for subject in [s for s in self.subjects if s.name in names]:
            try:
                if subject.name == TORCH_COMPILE and self.compile_cache is not None:
                    self._compile_phase(subject, phase(subject), work)
                elif subject.name == CANDIDATE:
                    with candidate.guard("calling ModelNew"):
                        self.measured[subject.name] = work(subject)
                        self.plan.synchronize()
                else:
                    self.measured[subject.name] = work(subject)
                    self.plan.synchronize()
            except BaselineFailed as e:
                self._drop_compile(e)

    def _interleaved(self, warmup: int, runs: int) -> None:
        """Eager and the candidate single-call, their samples in turn (akg_harness.interleave)."""
        pair = [s for s in self.subjects if s.name in (EAGER, CANDIDATE)]
        for subject in pair:
            if subject.name == CANDIDATE:
                with candidate.guard("calling ModelNew"):
                    timing.warm_up(subject, warmup)
            else:
                timing.warm_up(subject, warmup)
        for subject, measured in zip(pair, interleave.time_interleaved(self.timer, pair, runs)):
            self.measured[subject.name] = measured
        self.plan.synchronize()

    def time_all(self) -> None:
        """Phase one single-call (torch.compile alone, then eager and the candidate in turn);
        phase two multi-call for all when `wants_multi` says so. `retime` repeats the final
        phase's eager and candidate measurements (drift, below)."""
        warmup, runs = self.request["warmup_times"], self.request["run_times"]

        def single(subject: timing.Subject) -> timing.Measured:
            timing.warm_up(subject, warmup)
            return timing.time_single(self.timer, subject, runs)
        self._each(single, lambda subject: phase_name(False), (TORCH_COMPILE,))
        self._interleaved(warmup, runs)
        self.phase = phase_name(False)
        self.retime = lambda: self._interleaved(0, runs)
        self.eager_more = lambda: timing.time_single(self.timer, self._subject(EAGER), runs)
        mode = _option(self.request, "timing_mode")
        medians = [m.single_median_ms or 0.0 for m in self.measured.values()]
        if not timing.wants_multi(mode, medians, float(_option(self.request, "graph_below_us")),
                                  self.timer):
            return
        prefer_graph = mode != timing.BATCHED

        def calls(subject: timing.Subject) -> int:
            return timing.calls_per_sample(self.measured[subject.name].single_median_ms or 0.0)

        def multi(subject: timing.Subject) -> timing.Measured:
            first = self.measured[subject.name].single_median_ms or 0.0
            return timing.time_multi(self.timer, subject, runs, calls(subject), prefer_graph,
                                     first)
        self._each(multi, lambda subject: phase_name(True, calls(subject), prefer_graph))
        self.phase = phase_name(True, calls(self._subject(EAGER)), prefer_graph)
        self.retime = lambda: self._each(multi, lambda s: "", (EAGER, CANDIDATE))
        self.eager_more = lambda: multi(self._subject(EAGER))

    def _subject(self, name: str) -> timing.Subject:
        return next(s for s in self.subjects if s.name == name)

    def settle_baseline(self, store: EagerBaseline, spread_limit: float) -> dict[str, Any]:
        """The run's eager baseline for the final phase and why the numbers are noisy
        (akg_harness.eager_baseline.settle)."""
        def retime() -> None:
            self.retime()
            self.plan.synchronize()

        def eager_more() -> timing.Measured:
            more = self.eager_more()
            self.plan.synchronize()
            return more
        return settle(self.measured, store, self.phase, retime, eager_more, spread_limit)


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Handles a profile request; TaskError (broken task) and RequestError propagate."""
    candidate.require_readable(request["candidate_path"])
    plan = resolve(request["device"], request["dsl"])
    if plan.triton_interpreter:
        request = {**request, **INTERPRETER_TIMING}
        trace.note("Triton interpreter: one call of each, not timed for performance")
    task = load_task(request["task_path"])
    seed = request["seed"]
    init = init_inputs(task, seed)
    reference = build_reference(task, init, seed, plan)
    trace.note(f"profile on {plan.device_used}: reference built")
    try:
        model_new = candidate.load_candidate(request["candidate_path"])
        model = candidate.construct(model_new, init, seed, plan)
    except CandidateError as e:
        return _error(e.verdict, e.message, e.log)
    trace.note("candidate imported and constructed")
    reference_sets = draw_input_sets(task, seed, plan, int(_option(request, "input_sets")))
    candidate_sets = [values.clone(s) for s in reference_sets]
    work = _count_work(reference, reference_sets[0], plan)
    performance_valid = not plan.triton_interpreter
    timer = timing.make_timer(plan.device)
    trace.note(f"profiling with {timer.method}, {len(reference_sets)} input sets")

    session = _Session(timer, request, plan)
    key = cache_key(request["task_path"], plan, request, reference_sets, timer.method)
    session.subjects.append(timing.Subject(EAGER, _reference_call(reference), reference_sets))
    wanted = _option(request, "baselines")
    if TORCH_COMPILE in wanted:
        if not performance_valid:
            session.compile_error = {"error": "not measured: timings are not valid under the "
                                              "Triton interpreter"}
        else:
            session.compile_cache = CompileCache(request.get("baseline_cache_dir"), key)
            subject, session.lazy = _compile_baseline(reference, reference_sets, plan)
            if session.compile_cache.error is not None:  # failed earlier in this run
                session.compile_error = {**session.compile_cache.error, "reused": True}
            else:
                session.subjects.append(subject)
                if session.compile_cache.get(phase_name(False)) is None:
                    try:  # before anything is timed, as the measurements' order wants
                        _compile_now(subject, session.lazy)
                    except BaselineFailed as e:
                        session._drop_compile(e)
                else:
                    trace.note("torch.compile baseline: measured in an earlier profile of "
                               "this run")
    session.subjects.append(timing.Subject(CANDIDATE, _candidate_call(model), candidate_sets))
    child_link.before_timing()
    try:
        session.time_all()
    except CandidateError as e:
        return _error(e.verdict, e.message, e.log)

    store = EagerBaseline(request.get("eager_baseline_dir") if performance_valid else None, key)
    try:
        ranking = session.settle_baseline(store, float(_option(request, "noisy_spread")))
    except CandidateError as e:
        return _error(e.verdict, e.message, e.log)
    trace.note("timing done" + (f"; noisy: {'; '.join(ranking['noisy'])}"
                                if ranking["noisy"] else ""))
    ref_stats = session.measured[EAGER].stats()
    cand_stats = session.measured[CANDIDATE].stats()
    baselines: dict[str, Any] = {EAGER: ref_stats}
    compile_stats = None
    if TORCH_COMPILE in wanted:
        if TORCH_COMPILE in session.measured:
            compile_stats = {**session.measured[TORCH_COMPILE].stats(),
                             "compile_s": session.compile_s,
                             "reused": session.reused}
            baselines[TORCH_COMPILE] = compile_stats
        else:
            baselines[TORCH_COMPILE] = session.compile_error or {"error": "not measured"}
    speedup = _ratio(ranking["baseline"], cand_stats)  # the run's yardstick (eager_baseline)

    if isinstance(work, str):
        sol_block: dict[str, Any] = {"error": work, "sol_ms": None}
    else:
        sol_block = sol.speed_of_light(work, _option(request, "peaks"))
    sol_ms = sol_block.get("sol_ms")
    sol_block["fraction_of_sol_candidate"] = sol.fraction(sol_ms, cand_stats["median_ms"])
    sol_block["fraction_of_sol_eager"] = sol.fraction(sol_ms, ref_stats["median_ms"])
    sol_block["fraction_of_sol_torch_compile"] = sol.fraction(
        sol_ms, compile_stats["median_ms"] if compile_stats else None)
    # Too good to trust only when both yardsticks say so: a slow stretch of the machine under
    # either eager measurement (the run's baseline, this profile's own) must not make a suspect.
    here = _ratio(ref_stats, cand_stats)
    cautious = min(speedup, here) if speedup is not None and here is not None else speedup
    suspect = (sol.suspect_reasons(cand_stats["median_ms"], sol_ms, cautious,
                                   float(_option(request, "suspect_speedup")))
               if performance_valid else [])
    return {"ok": True, "device_used": plan.device_used,
            "triton_interpreter": plan.triton_interpreter,
            "device_name": device_name(plan.device), "torch_version": torch.__version__,
            "timing_method": timer.method,
            "performance_valid": performance_valid,
            "threads": torch.get_num_threads(),
            "input_sets": len(reference_sets),
            "graph_below_us": float(_option(request, "graph_below_us")),
            "timing_mode_requested": _option(request, "timing_mode"),
            "reference": ref_stats, "candidate": cand_stats,
            "baselines": baselines,
            "speedup_vs_eager": speedup,
            "eager_baseline": ranking["baseline"],
            "speedup_vs_eager_interleaved": here,
            "noisy": ranking["noisy"],
            "speedup_vs_torch_compile": _ratio(compile_stats, cand_stats),
            "sol": sol_block,
            "suspect": suspect}
