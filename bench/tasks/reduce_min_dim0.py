"""Minimum values over dim 0 (torch.min with a dim, values only): a reduction across rows."""
# H200 eager estimate: ~0.65 ms (reads 512M fp32 = 2 GiB once; eager also finds indices: ~2.2 GB at ~3.3 TB/s; measured 0.65 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.min(x, dim=self.dim).values


rows = 16384
cols = 32768


def get_inputs():
    return [torch.randn(rows, cols)]


def get_init_inputs():
    return [0]
