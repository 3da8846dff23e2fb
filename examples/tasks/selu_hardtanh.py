"""SELU followed by a clamp to [-1, 1] (nn.Hardtanh)."""
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.selu = nn.SELU()
        self.clamp = nn.Hardtanh(min_val=-1.0, max_val=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.clamp(self.selu(x))


batch_size = 64
dim = 65536


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
