"""The float64 reference and the tolerance it gives (docs/INTEGRITY.md, "Tolerance").

Rounding makes torch's own float32 result differ from the exact one, and by much more than
1e-5 for a matmul or sum of a few hundred terms; an honest kernel that accumulates in another
order (or in double) differs from torch's result by about as much. So verify also runs the
reference in float64, on float64 copies of the same inputs with the same weights (a deep copy
of the reference model, `.double()`), and compares the candidate with that. Per output,
E = max |ref32 - ref64| is the reference's own error on the trial's inputs, and an element
passes when

    |cand - ref64| <= max(min(K * E, cap), 2 * E, floor, atol * atol_scale) + rtol * |ref64|

with cap = CAP_RTOLS * rtol_default(dtype) * mean |ref| (so a wildly inaccurate reference
never multiplies its error up beyond low-precision arithmetic's reach; but never less than
2 * E, OWN_ERRORS: where float32 itself cannot do better, as in a KL divergence of
near-equal distributions, a kernel as accurate as the reference errs by its own E too) and
floor = FLOOR_RTOLS * rtol_default(dtype) * mean |ref|, the trial's own magnitudes: torch is
sometimes far more accurate than plain float32 (its CPU cumsum carries a double, so E is one
rounding, while an honest float32 running sum over 4000 terms errs 16-28 E near the zero
crossings), and float32 arithmetic cannot promise less than a few hundred ulps of the outputs'
scale there. The floor shrinks with the outputs (the `small` trial's purpose survives) and
stays 30-70x under what float16 or bfloat16 arithmetic errs by. Where the float64
reference cannot be had (forward casts dtypes itself or raises in float64, or it does not fit
the memory), the float32 reference is compared with the old rule, and `why` says so.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from typing import Any

import torch

from . import compare, fast_checks, values
from .devices import DevicePlan
from .errors import is_out_of_memory, one_line

K = 16              # multiples of the float32 reference's own error an honest kernel may have
CAP_RTOLS = 10      # ... capped at this many default rtols of the output's mean magnitude
FLOOR_RTOLS = 0.1   # float32's own reach: this many default rtols of the mean magnitude
OWN_ERRORS = 2      # never less than this many E: the reference's rounding and a kernel's
MEMORY_MARGIN = 1.25
_WIDER = {torch.float32: torch.float64, torch.float16: torch.float64,
          torch.bfloat16: torch.float64, torch.complex64: torch.complex128}
RULE_EXACT = "reference_error"
RULE_DEFAULT = "dtype_default"


@dataclass
class ExactPair:
    """The float64 outputs of both reference calls of a trial (None where an output is not
    compared with a float64 value: integers, non-tensors), or why there are none."""

    first: list[Any] | None = None
    second: list[Any] | None = None
    why: str = ""
    ref_error: list[float] = field(default_factory=list)  # E per output, both calls

    @property
    def used(self) -> bool:
        return self.first is not None


def widened(dtype: torch.dtype) -> torch.dtype | None:
    """The dtype the float64 reference has for an output of `dtype` (None: no widening)."""
    return _WIDER.get(dtype)


def widen(inputs: list[Any]) -> list[Any]:
    """Float64 (complex128) copies of the floating tensors among `inputs`; other values stay."""
    return values.map_tensors(inputs, lambda t: t.detach().to(widened(t.dtype))
                              if widened(t.dtype) is not None else t)


def needed_bytes(inputs: list[Any], outputs: list[Any]) -> int:
    """Memory the float64 reference takes (its inputs while it runs and both calls' outputs,
    float64 copies), plus what must stay free for the candidate's own inputs and outputs."""
    wide_in = sum(t.numel() * 8 for t in values.iter_tensors(inputs) if widened(t.dtype))
    wide_out = sum(t.numel() * 8 for t in values.iter_tensors(outputs) if widened(t.dtype))
    candidate = 2 * (values.total_bytes(inputs) + values.total_bytes(outputs))
    return int((wide_in + 2 * wide_out) * MEMORY_MARGIN) + candidate


def free_bytes(plan: DevicePlan) -> int:
    if plan.is_cuda:
        free, _ = torch.cuda.mem_get_info(plan.device)
        cached = torch.cuda.memory_reserved(plan.device) - torch.cuda.memory_allocated(plan.device)
        return int(free + cached)
    try:  # MemAvailable counts the page cache the kernel would give back; free pages do not
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def fits(plan: DevicePlan, inputs: list[Any], outputs_like: list[Any]) -> str:
    """"" when the float64 reference fits the memory, else why not (outputs estimated by
    `outputs_like`, the inputs for an elementwise task: the reference has not run yet)."""
    need, free = needed_bytes(inputs, outputs_like), free_bytes(plan)
    if need <= free:
        return ""
    return (f"the float64 reference does not fit: it needs {need / 2**30:.2f} GiB, "
            f"{free / 2**30:.2f} GiB free")


def double_model(model: torch.nn.Module) -> tuple[torch.nn.Module | None, str]:
    """A float64 copy of the reference model, made before it is first called (a forward that
    changes the model's state, like BatchNorm's running statistics, does so in both)."""
    try:
        return copy.deepcopy(model).double(), ""
    except Exception as e:  # noqa: BLE001 - any failure means the old rule
        return None, f"the reference model cannot be copied to float64: {one_line(e)}"


def _check_dtypes(wide: list[Any], narrow: list[Any]) -> str:
    if len(wide) != len(narrow):
        return "the reference returns another number of outputs in float64"
    for i, (w, n) in enumerate(zip(wide, narrow)):
        if not isinstance(n, torch.Tensor) or widened(n.dtype) is None:
            continue
        if not isinstance(w, torch.Tensor) or w.shape != n.shape or w.dtype != widened(n.dtype):
            got = values.dtype_name(w.dtype) if isinstance(w, torch.Tensor) else type(w).__name__
            return (f"forward casts dtypes itself: output {i} is {got} when run in float64, "
                    f"{values.dtype_name(n.dtype)} otherwise")
    return ""


def run_double(model64: torch.nn.Module, wide_inputs: list[Any], narrow: list[Any],
               plan: DevicePlan) -> tuple[list[Any] | None, str]:
    """The float64 model on `widen(inputs)`; outputs aligned with `narrow` (the float32
    reference's), None where not widened; or (None, why) when it cannot be had."""
    try:
        with torch.no_grad():
            raw = model64(*wide_inputs)
        plan.synchronize()
        del wide_inputs
    except (Exception, SystemExit) as e:
        if is_out_of_memory(e):
            if plan.is_cuda:
                torch.cuda.empty_cache()
            return None, f"the float64 reference ran out of memory: {one_line(e)[:120]}"
        return None, f"the reference raised in float64: {one_line(e)}"
    wide = values.flatten_outputs(raw)
    why = _check_dtypes(wide, narrow)
    if why:
        return None, why
    return [w if isinstance(n, torch.Tensor) and widened(n.dtype) is not None else None
            for w, n in zip(wide, narrow)], ""


def reference_error(narrow: Any, wide: Any) -> float:
    """max |ref32 - ref64| over the elements where both are finite (0 for no tensor)."""
    if not isinstance(narrow, torch.Tensor) or not isinstance(wide, torch.Tensor):
        return 0.0
    worst = 0.0
    a = torch.view_as_real(narrow) if narrow.is_complex() else narrow
    b = torch.view_as_real(wide) if wide.is_complex() else wide
    a, b = a.detach().reshape(-1), b.detach().reshape(-1)
    fast = fast_checks.compare(a, b, float("inf"), 0.0)
    if fast is not None:
        return fast[2]
    step = compare.chunk_elements(a)
    for start in range(0, a.numel(), step):
        x = a[start:start + step].to(torch.float64)
        y = b[start:start + step]
        diff = (x - y).abs()
        diff = torch.where(torch.isfinite(diff), diff, 0.0)
        if diff.numel():
            worst = max(worst, float(diff.max()))
    return worst


def allowed(dtype: torch.dtype, ref_error: float, mean_abs: float) -> float:
    """The reference-error part of an output's atol: K * E capped, or the floor (see the
    module's doc)."""
    rtol = compare.default_tolerance(dtype).rtol
    return max(min(K * ref_error, CAP_RTOLS * rtol * mean_abs), OWN_ERRORS * ref_error,
               FLOOR_RTOLS * rtol * mean_abs)
