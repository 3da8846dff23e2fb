"""Log-softmax over the last dimension, with rows too long (32768) for one pass in shared memory."""
# H200 eager estimate: ~1.6 ms (reads+writes 512M fp32 = 4 GiB; rows of 32768 are read more than once: ~4.3-6.4 GB at ~3-4 TB/s; measured 1.6 ms)
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(x, dim=self.dim)


rows = 16384
cols = 32768


def get_inputs():
    return [torch.randn(rows, cols)]


def get_init_inputs():
    return [-1]
