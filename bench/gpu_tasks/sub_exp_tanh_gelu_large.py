"""Two inputs through a longer chain: exp(-|a - b|) * tanh(a) + tanh-approximated GELU of b."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.exp(-torch.abs(a - b)) * torch.tanh(a) + F.gelu(b, approximate="tanh")


batch_size = 2048
dim = 65536


def get_inputs():
    return [torch.randn(batch_size, dim), torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
