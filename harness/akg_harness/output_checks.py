"""Runtime checks on a candidate's outputs beyond the value comparison (docs/INTEGRITY.md).

Rejections raise CandidateError: outputs that are not plain tensors, outputs sharing storage
with an input or with the previous call's outputs. Wrong answers are returned as messages:
outputs that keep the harness's poison, outputs nearly all zero where the reference's are not,
and a second call whose outputs did not change where the reference's did.
"""
from __future__ import annotations

from typing import Any

import torch

from . import fast_checks, poison, values
from .compare import chunk_elements
from .errors import (OUTPUT_ALIASES_INPUT, OUTPUT_NOT_PLAIN_TENSOR, REJECTED, STALE_OUTPUT,
                     CandidateError)

NEAR_ZERO_RATIO = 0.01      # |candidate| <= 1% of |reference| counts as "zero"
NEAR_ZERO_FRACTION = 0.9    # ... at >= 90% of the elements where the reference is non-zero
STALE_FRACTION = 0.5        # of the mismatching elements, bit-identical to the first call's
_PLAIN_TYPES = (torch.Tensor, torch.nn.Parameter)


def check_plain(actual: list[Any], expected: list[Any]) -> None:
    """Where the reference returns a tensor, the candidate must return a plain strided
    torch.Tensor (a Parameter only where the reference's is one too), no subclass."""
    for i, (a, b) in enumerate(zip(actual, expected)):
        if not isinstance(b, torch.Tensor):
            continue
        ok = type(a) is torch.Tensor or (type(a) is type(b) and type(a) in _PLAIN_TYPES)
        if ok and a.layout != torch.strided and a.layout != b.layout:
            ok = False
        if not ok:
            what = type(a).__module__ + "." + type(a).__qualname__
            raise CandidateError(REJECTED, f"output {i} is of type {what}, not a plain "
                                 "torch.Tensor", reason=OUTPUT_NOT_PLAIN_TENSOR)


def check_storage(actual: list[Any], inputs: list[Any], previous: list[Any] | None = None
                  ) -> None:
    """No output may share storage with an input (or with the previous call's outputs)."""
    others = [("an input", t) for t in values.iter_tensors(inputs)]
    others += [("the previous call's output", t) for t in values.iter_tensors(previous or [])]
    for i, out in enumerate(actual):
        if not isinstance(out, torch.Tensor):
            continue
        for what, other in others:
            if values.shares_memory(out, other):
                if what == "an input":
                    raise CandidateError(REJECTED, f"output {i} shares storage with an input",
                                         reason=OUTPUT_ALIASES_INPUT)
                raise CandidateError(
                    REJECTED, f"output {i} shares storage with the previous call's output "
                    "(results cached across calls)", reason=STALE_OUTPUT)


def _floating(a: Any, b: Any) -> bool:
    return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
            and a.shape == b.shape and a.dtype == b.dtype and a.numel() > 0)


def _chunks(a: torch.Tensor, b: torch.Tensor) -> Any:
    a_flat, b_flat = a.detach().reshape(-1), b.detach().reshape(-1)
    step = chunk_elements(b_flat)
    for start in range(0, b_flat.numel(), step):
        yield a_flat[start:start + step], b_flat[start:start + step]


def unwritten(actual: list[Any], expected: list[Any]) -> str | None:
    """A message when an output keeps the poison bits where the reference does not."""
    for i, (a, b) in enumerate(zip(actual, expected)):
        if not _floating(a, b) or a.device.type != b.device.type:
            continue
        count = 0
        for ac, bc in _chunks(a, b):
            count += int((poison.is_poison(ac) & ~poison.is_poison(bc)).sum().item())
        if count:
            return (f"output {i}: {count} of {b.numel()} elements still hold the poison "
                    "pattern the harness put into the memory the call allocated (never "
                    "written)")
    return None


def near_zero(actual: list[Any], expected: list[Any]) -> str | None:
    """A message when a floating output is nearly all zero where the reference's is not."""
    for i, (a, b) in enumerate(zip(actual, expected)):
        if not _floating(a, b) or not (b.is_floating_point() or b.is_complex()):
            continue
        fast = fast_checks.compare(a.detach().reshape(-1), b.detach().reshape(-1), 0.0, 0.0)
        nonzero, small = (fast[4], fast[5]) if fast is not None else (0, 0)
        for ac, bc in _chunks(a, b) if fast is None else ():
            work = torch.complex128 if ac.is_complex() else torch.float64
            a64, b64 = ac.to(work), bc.to(work)
            live = torch.isfinite(b64) & (b64 != 0)
            nonzero += int(live.sum().item())
            small += int((live & (a64.abs() <= NEAR_ZERO_RATIO * b64.abs())).sum().item())
        if nonzero and small >= NEAR_ZERO_FRACTION * nonzero:
            return (f"output {i}: {small} of the {nonzero} elements where the reference is "
                    f"non-zero are (nearly) zero in the candidate's output")
    return None


def _bits_equal(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if a.is_floating_point() or a.is_complex():
        return (a == b) | (torch.isnan(a) & torch.isnan(b))
    return a == b


def stale(second: list[Any], first: list[Any], failed: list[int], expected_second: list[Any],
          expected_first: list[Any]) -> str | None:
    """A message when the second call's failing outputs equal the first call's outputs at
    most of the elements where the reference's two outputs differ."""
    for i in failed:
        a2, a1, b2, b1 = second[i], first[i], expected_second[i], expected_first[i]
        if not (_floating(a2, a1) and _floating(b2, b1) and a2.shape == b2.shape):
            continue
        changed = kept = 0
        for (c2, c1), (r2, r1) in zip(_chunks(a2, a1), _chunks(b2, b1)):
            moved = ~_bits_equal(r2, r1)
            changed += int(moved.sum().item())
            kept += int((moved & _bits_equal(c2, c1)).sum().item())
        if changed and kept >= STALE_FRACTION * changed:
            return (f"output {i}: on new inputs the candidate's output kept its previous "
                    f"values at {kept} of the {changed} elements where the reference's "
                    "changed (results cached across calls?)")
    return None


def same_outputs(a: list[Any], b: list[Any]) -> bool:
    """Bit-for-bit equal tensors (NaN equals NaN) and equal other values."""
    return len(a) == len(b) and all(values.same_contents(x, y) for x, y in zip(a, b))
