"""KernelBench level 1 problem 47 (sum reduction over a dimension), smaller: (32, 256, 256)
torch.rand values summed over dim 1 with keepdim (256 terms reduced, 256 kept). reduce_dim is
an integer constant that does not change get_inputs()'s shapes (shape trials must keep it)."""
import torch
import torch.nn as nn


class Model(nn.Module):
    """Simple model that performs sum reduction over a specified dimension."""

    def __init__(self, dim: int):
        super(Model, self).__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sum(x, dim=self.dim, keepdim=True)


batch_size = 32
dim1 = 256
dim2 = 256
reduce_dim = 1


def get_inputs():
    x = torch.rand(batch_size, dim1, dim2)
    return [x]


def get_init_inputs():
    return [reduce_dim]
