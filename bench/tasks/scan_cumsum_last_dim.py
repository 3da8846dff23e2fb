"""Inclusive prefix sum (cumsum) along the last dimension."""
# H200 eager estimate: ~1.15 ms (reads+writes 256M fp32 = 2 GiB, a row-wise scan below peak bandwidth: ~2.1 GB at ~1.9 TB/s; measured 1.16 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x, dim=self.dim)


rows = 16384
cols = 16384


def get_inputs():
    return [torch.randn(rows, cols)]


def get_init_inputs():
    return [-1]
