"""KernelBench level 1 problem 1 (square matrix multiplication) at N = 512, fp32, inputs
torch.rand as in current KernelBench.

Torch's own float32 product misses the exact one by ~1.4e-5 on the `uniform` trial, while the
old atol scaled by mean |output| (U(-1,1) outputs are ~20x smaller than rand's) was 4.7e-6
there: honest float32 and double-accumulating kernels failed on 1-4 of 262,144 elements.
"""
import torch
import torch.nn as nn


class Model(nn.Module):
    """Simple model that performs a single square matrix multiplication (C = A * B)."""

    def __init__(self):
        super(Model, self).__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        return torch.matmul(A, B)


N = 512


def get_inputs():
    A = torch.rand(N, N)
    B = torch.rand(N, N)
    return [A, B]


def get_init_inputs():
    return []  # No special initialization inputs needed
