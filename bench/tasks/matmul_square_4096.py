"""Square float32 matrix product C = A @ B."""
# H200 eager estimate: ~2.8 ms (2*4096^3 = 137 GFLOP at ~50 TFLOP/s fp32, no tensor cores; measured 2.8 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, b)


size = 4096


def get_inputs():
    return [torch.randn(size, size), torch.randn(size, size)]


def get_init_inputs():
    return []
