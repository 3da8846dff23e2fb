"""What a failed value comparison tells the model: the kinds of offending elements (NaN or
infinity where the reference has none, and the reverse), the worst finite element and the
first few offending indices with their values, beside the tolerance and why it has its value.

Only a failed comparison pays for this (one more pass over the output: native on the CPU,
chunked torch elsewhere).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from . import fast_checks

FIRST = fast_checks.DETAIL_FIRST


@dataclass
class Detail:
    """Flat indices count the real view's elements (a complex element is two)."""

    got_nan: int = 0          # the candidate has NaN where the reference has not
    got_inf: int = 0          # an infinity where the reference has a finite value or the other
    lost_nonfinite: int = 0   # a finite value where the reference has NaN or an infinity
    worst: int = -1           # the largest finite |got - expected|; -1 when none is finite
    first: list[int] = field(default_factory=list)


def _chunk(a: torch.Tensor, b: torch.Tensor, atol: float, rtol: float, exact: bool,
           start: int, d: Detail, worst_abs: float) -> float:
    a64, b64 = a.to(torch.float64), b.to(torch.float64)
    fa, fb = torch.isfinite(a64), torch.isfinite(b64)
    finite = fa & fb
    diff = (a64 - b64).abs().masked_fill_(~finite, -1.0)
    an, bn = torch.isnan(a64), torch.isnan(b64)
    d.got_nan += int((an & ~bn).sum().item())
    d.got_inf += int((torch.isinf(a64) & ~bn & (a64 != b64)).sum().item())
    d.lost_nonfinite += int((fa & ~fb).sum().item())
    if diff.numel():
        top = float(diff.max().item())
        if top >= 0 and top > worst_abs:
            worst_abs, d.worst = top, start + int(diff.argmax().item())
    if len(d.first) < FIRST:
        if exact:
            bad = a != b
        else:
            bad = (finite & (diff > atol + rtol * b64.abs())) | (~finite & ~(an & bn)
                                                                  & (a64 != b64))
        d.first += [start + int(i) for i in bad.nonzero()[:FIRST - len(d.first), 0].tolist()]
    return worst_abs


def collect(a_flat: torch.Tensor, b_flat: torch.Tensor, atol: float, rtol: float,
            exact: bool, first_bad: int, step: int) -> Detail:
    """The detail of a failed comparison of two flat tensors (`exact`: integers, a != b)."""
    fast = None if exact else fast_checks.details(a_flat, b_flat, atol, rtol, first_bad)
    if fast is not None:
        return Detail(fast[0], fast[1], fast[2], fast[3], fast[4])
    d, worst_abs = Detail(), -1.0
    for start in range(0, b_flat.numel(), step):
        worst_abs = _chunk(a_flat[start:start + step], b_flat[start:start + step], atol, rtol,
                           exact, start, d, worst_abs)
    return d


def _index_text(flat_index: int, shape: torch.Size) -> str:
    coords = []
    for size in reversed(shape):
        coords.append(flat_index % size)
        flat_index //= size
    return str(list(reversed(coords)))


def _pair(actual: torch.Tensor, expected: torch.Tensor, flat: int) -> str:
    if actual.is_complex():
        flat //= 2  # the flat index counted real and imaginary parts separately
    got = actual.reshape(-1)[flat].item()
    want = expected.reshape(-1)[flat].item()
    return f"{_index_text(flat, expected.shape)}: got {got}, expected {want}"


def kinds_text(d: Detail, mismatches: int) -> str:
    """'; 954981 are NaN where the reference is not' and the like ('' for value errors)."""
    parts = []
    if d.got_nan:
        parts.append(f"{d.got_nan} NaN where the reference is not NaN")
    if d.got_inf:
        parts.append(f"{d.got_inf} infinite where the reference is not that infinity")
    if d.lost_nonfinite:
        parts.append(f"{d.lost_nonfinite} finite where the reference is NaN or infinite")
    if not parts:
        return ""
    rest = mismatches - d.got_nan - d.got_inf - d.lost_nonfinite
    if rest > 0:
        parts.append(f"{rest} beyond the tolerance")
    return " (" + ", ".join(parts) + ")"


def message(name: str, mismatches: int, numel: int, max_abs: float, max_rel: float,
            atol: float, rtol: float, why: str, actual: torch.Tensor,
            expected: torch.Tensor, d: Detail) -> str:
    """The one-paragraph mismatch message of one output."""
    against = " from the float64 reference" if expected.dtype == torch.float64 and \
        actual.dtype != torch.float64 else ""
    why_text = f" ({why})" if why else ""
    text = (f"{name}: {mismatches} of {numel} elements differ{against}"
            f"{kinds_text(d, mismatches)}; max_abs_err {max_abs:.3g}, max_rel_err "
            f"{max_rel:.3g} over the elements finite in both; atol {atol:.3g}{why_text}, "
            f"rtol {rtol:g}")
    if d.worst >= 0 and max_abs > 0:
        text += f"; worst at {_pair(actual, expected, d.worst)}"
    if d.first:
        pairs = [_pair(actual, expected, i) for i in d.first]
        text += "; first at " + "; ".join(pairs)
    return text
