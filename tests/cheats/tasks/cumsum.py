"""KernelBench level 1 problem 89 (cumsum), smaller: 32 rows of 4000 torch.rand values,
scanned along dim 1. input_shape is derived from the integer input_size (KernelBench writes the
tuple literally), and dim is a constant that does not change the shapes."""
import torch
import torch.nn as nn


class Model(nn.Module):
    """A simple model that performs a cumulative sum (prefix sum) operation along a specified
    dimension."""

    def __init__(self, dim):
        super(Model, self).__init__()
        self.dim = dim

    def forward(self, x):
        return torch.cumsum(x, dim=self.dim)


batch_size = 32
input_size = 4000
input_shape = (input_size,)
dim = 1


def get_inputs():
    return [torch.rand(batch_size, *input_shape)]


def get_init_inputs():
    return [dim]
