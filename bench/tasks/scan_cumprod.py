"""Cumulative product along the last dimension of per-step keep factors 1 - rate * sigmoid(x)
(a survival / discount curve). The factors lie in (1 - rate, 1), so the product stays a normal
float32 for any input values (0.99^4096 ~ 1e-18)."""
# H200 eager estimate: ~2.6 ms (sigmoid, mul, rsub and the scan over 256M fp32, each reads+writes 2 GiB: ~8.6 GB at ~3.3 TB/s; measured 2.6 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, rate: float, dim: int):
        super().__init__()
        self.rate = rate
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumprod(1.0 - self.rate * torch.sigmoid(x), dim=self.dim)


rows = 65536
cols = 4096


def get_inputs():
    return [torch.randn(rows, cols)]


def get_init_inputs():
    return [0.01, -1]
