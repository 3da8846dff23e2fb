"""Compares candidate outputs with reference outputs.

A value mismatch is `|a - b| > atol + rtol * |b|` (b the reference's value: its float64 one
where verify has it, see akg_harness.exact_reference), or NaN/Inf positions that disagree (NaN
matches NaN, +Inf matches +Inf). Shape and dtype must match the reference's exactly. Work goes
in chunks so a multi-gigabyte output needs only a bounded amount of extra memory.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from . import fast_checks, mismatch_report
from .errors import (DEVICE_MISMATCH, DTYPE_MISMATCH, MISMATCH, OUTPUT_COUNT, SHAPE_MISMATCH)
from .values import dtype_name

CHUNK_ELEMENTS = 1 << 22         # on the CPU: a chunk's float64 temporaries stay in cache
DEVICE_CHUNK_ELEMENTS = 1 << 26  # on a GPU: 512 MB float64 temporaries, few launches and syncs


def chunk_elements(t: torch.Tensor) -> int:
    """Elements per chunk of the checks that walk a whole output (a 6 GiB output in 4 M
    chunks cost 0.5 s of launches and host syncs per comparison on an H200)."""
    return DEVICE_CHUNK_ELEMENTS if t.device.type == "cuda" else CHUNK_ELEMENTS

# (atol, rtol) when the request leaves them null.
_DEFAULTS: dict[torch.dtype, tuple[float, float]] = {
    torch.float64: (1e-7, 1e-7),
    torch.complex128: (1e-7, 1e-7),
    torch.float32: (1e-4, 1e-4),
    torch.complex64: (1e-4, 1e-4),
    torch.float16: (1e-2, 1e-2),
    torch.bfloat16: (1e-2, 1e-2),
}
_LOW_PRECISION = (1e-2, 1e-2)  # float8 and other narrow floats


@dataclass(frozen=True)
class Tolerance:
    atol: float
    rtol: float


def default_tolerance(dtype: torch.dtype) -> Tolerance:
    """The protocol's per-dtype default; integers and bool compare exactly."""
    if dtype in _DEFAULTS:
        return Tolerance(*_DEFAULTS[dtype])
    if dtype.is_floating_point:
        return Tolerance(*_LOW_PRECISION)
    return Tolerance(0.0, 0.0)


def resolve_tolerance(dtype: torch.dtype, atol: float | None, rtol: float | None) -> Tolerance:
    default = default_tolerance(dtype)
    return Tolerance(default.atol if atol is None else float(atol),
                     default.rtol if rtol is None else float(rtol))


@dataclass
class Comparison:
    """The outcome for one output, or the sum over all outputs of a trial."""

    passed: bool = True
    max_abs_err: float = 0.0
    max_rel_err: float = 0.0    # over elements whose reference is finite and non-zero
    mismatches: int = 0
    numel: int = 0
    message: str = ""           # names the first offending output; empty when passed
    reason: str = ""            # the reason code of the first failure (docs/INTEGRITY.md)
    details: list[str] = field(default_factory=list)
    failed_outputs: list[int] = field(default_factory=list)  # indices, in order


def _as_real(t: torch.Tensor) -> torch.Tensor:
    return torch.view_as_real(t) if t.is_complex() else t


def _chunk_stats(a: torch.Tensor, b: torch.Tensor, tol: Tolerance, exact: bool
                 ) -> tuple[torch.Tensor, float, float]:
    """Mismatch mask and the largest absolute and relative errors of one chunk."""
    a64, b64 = a.to(torch.float64), b.to(torch.float64)
    finite = torch.isfinite(a64) & torch.isfinite(b64)
    diff = (a64 - b64).abs().masked_fill_(~finite, 0.0)
    if exact:
        bad = a != b
    else:
        both_nan = torch.isnan(a64) & torch.isnan(b64)
        bad = (finite & (diff > tol.atol + tol.rtol * b64.abs())) | (
            ~finite & ~both_nan & (a64 != b64))
    rel_ok = finite & (b64 != 0)
    rel = torch.where(rel_ok, diff / b64.abs().masked_fill(~rel_ok, 1.0), 0.0)
    max_abs = diff.max().item() if diff.numel() else 0.0
    max_rel = rel.max().item() if rel.numel() else 0.0
    return bad, max_abs, max_rel


def compare_tensors(actual: torch.Tensor, expected: torch.Tensor, tol: Tolerance,
                    name: str = "output", exact: torch.Tensor | None = None,
                    why_atol: str = "") -> Comparison:
    """Compares one candidate tensor with the reference tensor: shape, dtype and device with
    `expected`, values with `exact` (the float64 reference) when given, else `expected`.
    `why_atol` explains the atol in a mismatch message."""
    result = Comparison(numel=expected.numel())
    problem, reason = None, ""
    if actual.shape != expected.shape:
        problem = f"shape {list(actual.shape)} != expected {list(expected.shape)}"
        reason = SHAPE_MISMATCH
    elif actual.dtype != expected.dtype:
        problem = f"dtype {dtype_name(actual.dtype)} != expected {dtype_name(expected.dtype)}"
        reason = DTYPE_MISMATCH
    elif actual.device.type != expected.device.type:
        problem = f"on device {actual.device.type}, expected {expected.device.type}"
        reason = DEVICE_MISMATCH
    if problem:
        result.passed, result.mismatches, result.reason = False, result.numel, reason
        result.message = f"{name}: {problem}"
        return result
    integral = not (expected.is_floating_point() or expected.is_complex())
    target = expected if exact is None or integral else exact
    a_flat = _as_real(actual.detach()).reshape(-1)
    b_flat = _as_real(target.detach()).reshape(-1)
    first_bad = -1
    fast = None if integral else fast_checks.compare(a_flat, b_flat, tol.atol, tol.rtol)
    if fast is not None:
        result.mismatches, first, result.max_abs_err, result.max_rel_err = fast[:4]
        first_bad = first if result.mismatches else -1
    step = chunk_elements(b_flat)
    for start in range(0, b_flat.numel() if fast is None else 0, step):
        bad, max_abs, max_rel = _chunk_stats(a_flat[start:start + step],
                                             b_flat[start:start + step], tol, integral)
        result.max_abs_err = max(result.max_abs_err, max_abs)
        result.max_rel_err = max(result.max_rel_err, max_rel)
        count = int(bad.sum().item())
        if count and first_bad < 0:
            first_bad = start + int(bad.nonzero()[0, 0].item())
        result.mismatches += count
    if result.mismatches:
        result.passed, result.reason = False, MISMATCH
        detail = mismatch_report.collect(a_flat, b_flat, tol.atol, tol.rtol, integral,
                                         max(first_bad, 0), step)
        result.message = mismatch_report.message(
            name, result.mismatches, result.numel, result.max_abs_err, result.max_rel_err,
            tol.atol, tol.rtol, why_atol, actual, target, detail)
    return result


def _compare_other(actual: Any, expected: Any, tol: Tolerance, name: str) -> Comparison:
    """A non-tensor output (a Python number, None, ...)."""
    result = Comparison(numel=1)
    if isinstance(actual, torch.Tensor) or isinstance(expected, torch.Tensor):
        ok = False
        want = "a tensor" if isinstance(expected, torch.Tensor) else type(expected).__name__
        result.message = f"{name}: got {type(actual).__name__}, expected {want}"
    elif isinstance(expected, float) and isinstance(actual, (int, float)):
        ok = (math.isnan(expected) and math.isnan(actual)) or (
            abs(actual - expected) <= tol.atol + tol.rtol * abs(expected))
        result.max_abs_err = abs(actual - expected) if math.isfinite(actual - expected) else 0.0
    else:
        ok = type(actual) is type(expected) and actual == expected
    if not ok:
        result.passed, result.mismatches, result.reason = False, 1, MISMATCH
        result.message = result.message or f"{name}: got {actual!r}, expected {expected!r}"
    return result


@dataclass
class OutputTolerance:
    """What verify adds per output: its float64 reference value and the reference-error part
    of its atol (akg_harness.exact_reference), the reason for that atol in words."""

    exact: torch.Tensor | None = None
    ref_atol: float = 0.0
    why: str = ""


def output_tolerance(expected: torch.Tensor, atol: float | None, rtol: float | None,
                     scale: float = 1.0, extra: OutputTolerance | None = None) -> Tolerance:
    """The atol/rtol of one output: the default (or requested) atol times the trial's scale,
    raised to the reference-error allowance where verify has one."""
    tol = resolve_tolerance(expected.dtype, atol, rtol)
    scaled = tol.atol * scale
    return Tolerance(max(scaled, extra.ref_atol) if extra else scaled, tol.rtol)


def atol_reason(dtype: torch.dtype, atol: float | None, scale: float,
                extra: OutputTolerance | None, tol: Tolerance) -> str:
    """Why an output's atol has its value, in words (docs/INTEGRITY.md, "Tolerance")."""
    if extra is not None and tol.atol == extra.ref_atol and extra.why:
        return extra.why
    if not (dtype.is_floating_point or dtype.is_complex):
        return "integers compare exactly"
    base = "the requested atol" if atol is not None else f"the {dtype_name(dtype)} default"
    if scale != 1.0:
        base += (f" times {scale:.3g}, this trial's outputs being {scale:.3g}x the task's own "
                 "in mean magnitude")
    if extra is not None:
        base += (f", above the allowance for the reference's own error "
                 f"({extra.ref_atol:.2g})")
    return base


def compare_outputs(actual: list[Any], expected: list[Any], atol: float | None,
                    rtol: float | None, atol_scale: list[float] | None = None,
                    extra: list[OutputTolerance | None] | None = None) -> Comparison:
    """Compares flattened output lists; the summary's message names the first failure.

    `atol_scale[i]` multiplies output i's atol (verify's scaled input distributions);
    `extra[i]` compares output i with its float64 reference under a raised atol.
    """
    total = Comparison()
    if len(actual) != len(expected):
        total.passed, total.reason = False, OUTPUT_COUNT
        total.message = f"candidate returned {len(actual)} outputs, expected {len(expected)}"
        return total
    for i, (a, b) in enumerate(zip(actual, expected)):
        name = f"output {i}"
        if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
            scale = atol_scale[i] if atol_scale and i < len(atol_scale) else 1.0
            more = extra[i] if extra and i < len(extra) else None
            tol = output_tolerance(b, atol, rtol, scale, more)
            one = compare_tensors(a, b, tol, name, more.exact if more else None,
                                  atol_reason(b.dtype, atol, scale, more, tol))
        else:
            one = _compare_other(a, b, resolve_tolerance(torch.float32, atol, rtol), name)
        total.max_abs_err = max(total.max_abs_err, one.max_abs_err)
        total.max_rel_err = max(total.max_rel_err, one.max_rel_err)
        total.mismatches += one.mismatches
        total.numel += one.numel
        if not one.passed:
            total.details.append(one.message)
            total.failed_outputs.append(i)
            if total.passed:
                total.passed, total.message, total.reason = False, one.message, one.reason
    return total
