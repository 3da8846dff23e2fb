"""ELU of a feature map plus a per-channel bias (broadcast over batch and space)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return F.elu(x + bias, alpha=self.alpha)


batch_size = 128
channels = 128
height = 128
width = 128


def get_inputs():
    return [torch.randn(batch_size, channels, height, width), torch.randn(channels, 1, 1)]


def get_init_inputs():
    return [0.5]
