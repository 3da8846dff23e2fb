"""Matrix-vector product A @ x: memory-bound, every element of A read once."""
# H200 eager estimate: ~0.56 ms (reads A, 512M fp32 = 2 GiB, at ~3.9 TB/s; 1 GFLOP is nothing; measured 0.56 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, x)


m = 32768
k = 16384


def get_inputs():
    return [torch.randn(m, k), torch.randn(k)]


def get_init_inputs():
    return []
