"""Reversed (suffix) cumulative sum: flip, cumsum, flip back — three eager kernels, one scan."""
# H200 eager estimate: ~2.6 ms (two flips and a scan, each reads+writes 256M fp32 = 2 GiB: ~6.4 GB at ~2.5 TB/s; measured 2.6 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x.flip(self.dim), dim=self.dim).flip(self.dim)


rows = 16384
cols = 16384


def get_inputs():
    return [torch.randn(rows, cols)]


def get_init_inputs():
    return [-1]
