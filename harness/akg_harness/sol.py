"""Speed of light: the least time the reference's work can take on this device.

sol_ms = max(FLOPs / peak FLOP rate for each op's precision, minimal bytes / peak bandwidth).
FLOPs are what `torch.utils.flop_counter.FlopCounterMode` counts for one reference call (matrix
products, convolutions, attention; pure elementwise operators count 0). Minimal bytes are every
tensor the call reads read once (forward inputs, parameters and buffers) plus every output
written once. Peak rates come from the request (the agent's per-architecture table, or this
machine's `peaks` command); with no peak for a term, that term is left out, so sol_ms stays a
floor. float32 products where a TF32 rate is known (CUDA tensor cores) are held to the faster
of the fp32 rate and a third of the TF32 rate: three TF32 passes (Triton's tf32x3) reach
float32's accuracy at that rate, so a kernel that uses them is not faster than light. A measured median under sol_ms means the measurement or the kernel is wrong.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from . import values

FLOPS_SOURCE = "flop_counter"
BYTES_SOURCE = "inputs, parameters and buffers read once + outputs written once"

_SHORT = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16",
          torch.float64: "fp64"}
_MATMUL_OPS = {"mm", "addmm", "bmm", "baddbmm", "matmul", "_scaled_mm"}
_CONV_OPS = {"convolution", "convolution_backward", "_convolution"}


def _tf32_allowed(kind: str) -> bool:
    try:
        if kind == "matmul":
            return bool(torch.backends.cuda.matmul.allow_tf32)
        return bool(torch.backends.cudnn.allow_tf32)
    except Exception:  # noqa: BLE001 - an older or newer torch without the flag
        return False


def precision_key(op_name: str, dtype: torch.dtype | None, device_type: str) -> str:
    """The peak-table key for an op: fp32/tf32/bf16/fp16/fp64, else the dtype's name.

    float32 matrix products and convolutions on CUDA run on TF32 units when PyTorch allows it
    (cuBLAS: `torch.backends.cuda.matmul.allow_tf32`, default off; cuDNN:
    `torch.backends.cudnn.allow_tf32`, default on), so they are held to the tf32 rate then.
    """
    if dtype is None:
        return "unknown"
    key = _SHORT.get(dtype, values.dtype_name(dtype))
    if key == "fp32" and device_type == "cuda":
        if op_name in _MATMUL_OPS and _tf32_allowed("matmul"):
            return "tf32"
        if op_name in _CONV_OPS and _tf32_allowed("conv"):
            return "tf32"
    return key


class _PrecisionFlopCounter(FlopCounterMode):
    """FlopCounterMode that also files each counted op's FLOPs under its precision key."""

    def __init__(self, device_type: str) -> None:
        super().__init__(display=False)
        self.device_type = device_type
        self.by_precision: dict[str, int] = defaultdict(int)

    def _count_flops(self, func_packet: Any, out: Any, args: Any, kwargs: Any) -> Any:
        formula = self.flop_registry.get(func_packet)
        if formula is not None:
            try:
                flops = int(formula(*args, **kwargs, out_val=out))
            except Exception:  # noqa: BLE001 - the base class is the authority on the total
                flops = 0
            dtype = next((t.dtype for t in values.iter_tensors(list(args))
                          if t.is_floating_point()), None)
            name = getattr(func_packet, "__name__", str(func_packet))
            self.by_precision[precision_key(name, dtype, self.device_type)] += flops
        return super()._count_flops(func_packet, out, args, kwargs)


@dataclass
class WorkCount:
    """The reference's work for one call."""

    flops: int = 0
    flops_by_precision: dict[str, int] = field(default_factory=dict)
    flops_by_op: dict[str, int] = field(default_factory=dict)
    bytes_inputs: int = 0
    bytes_parameters: int = 0
    bytes_outputs: int = 0

    @property
    def bytes(self) -> int:
        return self.bytes_inputs + self.bytes_parameters + self.bytes_outputs


def _distinct_bytes(tensors: list[torch.Tensor], seen: set[tuple[int, int]]) -> int:
    """Bytes of tensors not already counted (the same memory passed twice counts once)."""
    total = 0
    for t in tensors:
        size = t.numel() * t.element_size()
        key = (t.data_ptr(), size)
        if size and key not in seen:
            seen.add(key)
            total += size
    return total


def count_work(model: torch.nn.Module, inputs: list[Any], device_type: str) -> WorkCount:
    """Runs `model(*inputs)` once under the FLOP counter and counts the minimal bytes.

    The call's exceptions propagate (the caller decides whose fault they are).
    """
    counter = _PrecisionFlopCounter(device_type)
    with torch.no_grad(), counter:
        out = model(*inputs)
    flops = int(counter.get_total_flops())
    by_precision = {k: v for k, v in counter.by_precision.items() if v}
    if sum(by_precision.values()) != flops:  # formula disagreement: one bucket, the inputs' type
        first = next((t for t in values.iter_tensors(inputs) if t.is_floating_point()), None)
        key = precision_key("", first.dtype if first is not None else None, device_type)
        by_precision = {key: flops} if flops else {}
    by_op = {str(op): int(n) for op, n in counter.get_flop_counts().get("Global", {}).items()
             if n}
    seen: set[tuple[int, int]] = set()
    state = list(model.parameters()) + list(model.buffers())
    return WorkCount(
        flops=flops, flops_by_precision=by_precision, flops_by_op=by_op,
        bytes_inputs=_distinct_bytes(list(values.iter_tensors(inputs)), seen),
        bytes_parameters=_distinct_bytes(state, seen),
        bytes_outputs=_distinct_bytes(list(values.iter_tensors(values.flatten_outputs(out))),
                                      set()))


def speed_of_light(work: WorkCount, peaks: dict[str, Any] | None) -> dict[str, Any]:
    """The `sol` block of a profile result, without the fractions (see `add_fractions`)."""
    result: dict[str, Any] = {
        "flops": work.flops, "flops_source": FLOPS_SOURCE,
        "flops_by_precision": work.flops_by_precision, "flops_by_op": work.flops_by_op,
        "bytes": work.bytes, "bytes_source": BYTES_SOURCE,
        "bytes_detail": {"inputs": work.bytes_inputs, "parameters": work.bytes_parameters,
                         "outputs": work.bytes_outputs},
        "compute_ms": None, "memory_ms": None, "sol_ms": None, "bound": None,
        "peaks_used": None, "missing_peaks": []}
    if not peaks:
        result["missing_peaks"] = ["bandwidth_gbs", *sorted(work.flops_by_precision)]
        return result
    bandwidth = peaks.get("bandwidth_gbs")
    table = peaks.get("tflops") or {}
    used: dict[str, Any] = {"bandwidth_gbs": bandwidth, "tflops": {}}
    missing: list[str] = []
    if bandwidth:
        result["memory_ms"] = work.bytes / (bandwidth * 1e6)  # GB/s = 1e6 bytes per ms
    else:
        missing.append("bandwidth_gbs")
    compute_ms = 0.0
    for key, flops in sorted(work.flops_by_precision.items()):
        rate = table.get(key)
        if key == "fp32" and table.get("tf32"):
            rate = max(rate or 0.0, table["tf32"] / 3)
        if rate:
            used["tflops"][key] = rate
            compute_ms += flops / (rate * 1e9)  # TFLOP/s = 1e9 FLOPs per ms
        else:
            missing.append(key)
    result["compute_ms"] = compute_ms
    terms = {"memory": result["memory_ms"], "compute": compute_ms}
    known = {k: v for k, v in terms.items() if v is not None}
    if known and max(known.values()) > 0:
        result["bound"] = max(known, key=lambda k: known[k])
        result["sol_ms"] = known[result["bound"]]
    result["peaks_used"] = used
    result["missing_peaks"] = missing
    return result


def fraction(sol_ms: float | None, median_ms: float | None) -> float | None:
    """sol_ms / median: 1.0 runs at the speed of light, above 1.0 is impossible."""
    if not sol_ms or not median_ms:
        return None
    return sol_ms / median_ms


def suspect_reasons(candidate_median_ms: float | None, sol_ms: float | None,
                    speedup_vs_eager: float | None, suspect_speedup: float) -> list[str]:
    """Why the candidate's time should not be believed before it is re-verified."""
    reasons = []
    if sol_ms and candidate_median_ms is not None and candidate_median_ms < sol_ms:
        reasons.append(f"candidate median {candidate_median_ms:.4g} ms is below the speed of "
                       f"light {sol_ms:.4g} ms")
    if speedup_vs_eager is not None and speedup_vs_eager > suspect_speedup:
        reasons.append(f"speedup vs eager {speedup_vs_eager:.3g}x exceeds "
                       f"suspect_speedup {suspect_speedup:g}x")
    return reasons
