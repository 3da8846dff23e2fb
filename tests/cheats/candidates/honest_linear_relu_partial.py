# Honest under policy "partial": keeps the framework's matmul and fuses bias + ReLU into one
# Triton epilogue kernel. Must pass and list the remaining framework operator.
import torch
import torch.nn as nn
import triton
import triton.language as tl

BLOCK = 128


@triton.jit
def _bias_relu_kernel(y_ptr, bias_ptr, out_ptr, numel, n_cols, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < numel
    y = tl.load(y_ptr + offs, mask=mask, other=0.0)
    b = tl.load(bias_ptr + offs % n_cols, mask=mask, other=0.0)
    v = y + b
    tl.store(out_ptr + offs, tl.where(v > 0.0, v, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)  # same parameters as the reference

    def forward(self, x):
        y = torch.matmul(x, self.linear.weight.t()).contiguous()
        out = torch.empty_like(y)
        numel = y.numel()
        _bias_relu_kernel[(triton.cdiv(numel, BLOCK),)](y, self.linear.bias, out, numel,
                                                        y.shape[-1], BLOCK=BLOCK)
        return out
