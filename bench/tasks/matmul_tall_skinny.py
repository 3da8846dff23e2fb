"""A matrix product at odd sizes (no dimension a multiple of 16): [8191, 1023] @ [1023, 4097]."""
# H200 eager estimate: ~1.6 ms (2*8191*1023*4097 = 68.7 GFLOP at ~44 TFLOP/s fp32, odd edges cost tile efficiency; measured 1.56 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, b)


m = 8191
k = 1023
n = 4097


def get_inputs():
    return [torch.randn(m, k), torch.randn(k, n)]


def get_init_inputs():
    return []
