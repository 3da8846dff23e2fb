"""torch.matmul with broadcast batch dimensions: [P, 1, M, K] @ [1, Q, K, N] -> [P, Q, M, N]."""
# H200 eager estimate: ~3.1 ms (2*4*8*1024*2048*1024 = 137 GFLOP at ~49 TFLOP/s, plus expanding both operands to 32 batches: ~0.8 GB of copies; measured 3.1 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, b)


outer = 4
heads = 8
m = 1024
k = 2048
n = 1024


def get_inputs():
    return [torch.randn(outer, 1, m, k), torch.randn(1, heads, k, n)]


def get_init_inputs():
    return []
