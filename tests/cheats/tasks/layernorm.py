"""KernelBench level 1 problem 40 (LayerNorm), smaller: (4, 8, 32, 32) torch.rand values
normalised over the trailing (features, dim1, dim2) = 8192 elements; the init input
(normalized_shape) comes from the same module constants as the input's shape, so varying them
changes the model's weight and bias too."""
import torch
import torch.nn as nn


class Model(nn.Module):
    """Simple model that performs Layer Normalization."""

    def __init__(self, normalized_shape: tuple):
        super(Model, self).__init__()
        self.ln = nn.LayerNorm(normalized_shape=normalized_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(x)


batch_size = 4
features = 8
dim1 = 32
dim2 = 32


def get_inputs():
    x = torch.rand(batch_size, features, dim1, dim2)
    return [x]


def get_init_inputs():
    return [(features, dim1, dim2)]
