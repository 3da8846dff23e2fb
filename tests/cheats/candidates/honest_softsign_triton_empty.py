# Honest: Triton softsign into a torch.empty output that the masked kernel writes in full
# (the grid rounds up, the mask covers the tail). Must pass.
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


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = 128

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        numel = x.numel()
        _softsign_kernel[(triton.cdiv(numel, self.block),)](x, out, numel, BLOCK=self.block)
        return out
