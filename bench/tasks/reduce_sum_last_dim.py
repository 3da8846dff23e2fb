"""Sum over the last dimension of a 2-D tensor."""
# H200 eager estimate: ~0.53 ms (reads 512M fp32 = 2 GiB once, writes 128 KiB: ~2.1 GB at ~4 TB/s; measured 0.53 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sum(x, dim=self.dim)


rows = 32768
cols = 16384


def get_inputs():
    return [torch.randn(rows, cols)]


def get_init_inputs():
    return [-1]
