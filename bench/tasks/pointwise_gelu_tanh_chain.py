"""Tanh-approximated GELU, then an affine map and a tanh: a chain of pointwise ops."""
# H200 eager estimate: ~1.05 ms (4 eager kernels, each reads+writes 128M fp32 = 1 GiB: ~4.3 GB at ~4 TB/s; measured 1.05 ms)
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self, scale: float, shift: float):
        super().__init__()
        self.scale = scale
        self.shift = shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.gelu(x, approximate="tanh")
        return torch.tanh(y * self.scale + self.shift)


rows = 8192
cols = 16384


def get_inputs():
    return [torch.randn(rows, cols)]


def get_init_inputs():
    return [1.5, -0.25]
