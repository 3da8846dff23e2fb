# Honest: one fused Triton kernel for gelu(x) * 2 + bias; the bias is read through its
# broadcast strides (zero where it repeats). Must pass.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 256


@triton.jit
def _gelu2_bias_kernel(x_ptr, b_ptr, out_ptr, numel, d1, d2, sb0, sb1, sb2,
                       BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < numel
    i2 = offs % d2
    rest = offs // d2
    i1 = rest % d1
    i0 = rest // d1
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    b = tl.load(b_ptr + i0 * sb0 + i1 * sb1 + i2 * sb2, mask=mask, other=0.0)
    g = x * 0.5 * (1.0 + tl.math.erf(x * 0.7071067811865476))
    tl.store(out_ptr + offs, g * 2.0 + b, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, bias):
        shape = torch.broadcast_shapes(x.shape, bias.shape)
        if len(shape) != 3:
            raise ValueError(f"this kernel handles rank-3 outputs, not {list(shape)}")
        xv = x.expand(shape).contiguous()
        bv = bias.expand(shape)
        out = torch.empty(shape, dtype=x.dtype, device=x.device)
        numel = out.numel()
        grid = (triton.cdiv(numel, BLOCK),)
        _gelu2_bias_kernel[grid](xv, bv, out, numel, shape[1], shape[2], *bv.stride(),
                                 BLOCK=BLOCK)
        return out
