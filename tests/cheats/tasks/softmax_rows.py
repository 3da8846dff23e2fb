"""KernelBench level 1 problem 23 (softmax), smaller: 16 rows of 1500 torch.rand values (no
power of two)."""
import torch
import torch.nn as nn


class Model(nn.Module):
    """Simple model that performs a Softmax activation."""

    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x, dim=1)


batch_size = 16
dim = 1500


def get_inputs():
    x = torch.rand(batch_size, dim)
    return [x]


def get_init_inputs():
    return []  # No special initialization inputs needed
