# Honest: Triton softsign whose forward builds a small launch-plan object per call (its
# __init__ sets attributes on the plan, not on the module). Must pass: the plan's `self` is
# not ModelNew's state.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _softsign_kernel(x_ptr, out_ptr, numel, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < numel
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, x / (1.0 + tl.abs(x)), mask=mask)


class _LaunchPlan:
    """Grid and block for one call."""

    def __init__(self, numel, block=128):
        self.numel = numel
        self.block = block
        self.grid = (triton.cdiv(numel, block),)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        plan = _LaunchPlan(x.numel())
        _softsign_kernel[plan.grid](x, out, plan.numel, BLOCK=plan.block)
        return out
