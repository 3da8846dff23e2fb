"""A transposed operand: A is stored [K, M] and the product is A.T @ B."""
# H200 eager estimate: ~2.7 ms (2*2048*4096*8192 = 137 GFLOP at ~50 TFLOP/s fp32; cuBLAS takes the transpose as a flag; measured 2.7 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a.T @ b


m = 2048
k = 8192
n = 4096


def get_inputs():
    return [torch.randn(k, m), torch.randn(k, n)]


def get_init_inputs():
    return []
