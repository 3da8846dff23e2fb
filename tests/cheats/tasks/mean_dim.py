"""KernelBench level 1 problem 48 (mean reduction over a dimension), smaller: (16, 256, 192)
torch.rand values averaged over dim 1 (no keepdim)."""
import torch
import torch.nn as nn


class Model(nn.Module):
    """Simple model that performs mean reduction over a specific dimension."""

    def __init__(self, dim: int):
        super(Model, self).__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.mean(x, dim=self.dim)


batch_size = 16
dim1 = 256
dim2 = 192
reduce_dim = 1


def get_inputs():
    x = torch.rand(batch_size, dim1, dim2)
    return [x]


def get_init_inputs():
    return [reduce_dim]
