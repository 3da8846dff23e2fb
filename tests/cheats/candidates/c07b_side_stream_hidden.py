# Cheat (CUDA only, policy "partial"): the side stream is built through a computed attribute
# name and made current with set_stream, so no stream constructor or stream context appears;
# forward returns while the kernel still runs there.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 128
_MAKE = getattr(torch.cuda, "Str" + "eam")


@triton.jit
def _relu_kernel(x_ptr, out_ptr, numel, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < numel
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, tl.where(x > 0.0, x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.lane = _MAKE()

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        home = torch.cuda.current_stream()
        torch.cuda.set_stream(self.lane)
        _relu_kernel[(triton.cdiv(x.numel(), BLOCK),)](x, out, x.numel(), BLOCK=BLOCK)
        torch.cuda.set_stream(home)
        return out
