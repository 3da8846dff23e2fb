"""nn.AvgPool2d with kernel 5, stride 3, padding 2 (the padding counted in the divisor)."""
# H200 eager estimate: ~1.3 ms (reads 512M fp32 = 2 GiB, writes ~57M fp32 = 0.2 GiB; overlapping 5x5 windows run below peak: ~2.4 GB at ~1.8 TB/s; measured 1.3 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.pool = nn.AvgPool2d(kernel_size, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


batch_size = 64
channels = 128
height = 256
width = 256


def get_inputs():
    return [torch.randn(batch_size, channels, height, width)]


def get_init_inputs():
    return [5, 3, 2]
