"""Batched matrix product: [B, M, K] @ [B, K, N] with torch.bmm."""
# H200 eager estimate: ~2.8 ms (2*32*1024*2048*1024 = 137 GFLOP at ~49 TFLOP/s fp32, no tensor cores; measured 2.8 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.bmm(a, b)


batch_size = 32
m = 1024
k = 2048
n = 1024


def get_inputs():
    return [torch.randn(batch_size, m, k), torch.randn(batch_size, k, n)]


def get_init_inputs():
    return []
