"""nn.MaxPool2d with kernel 3, stride 2, padding 1 (overlapping windows) over a feature map."""
# H200 eager estimate: ~2.1 ms (reads 512M fp32 = 2 GiB, writes 128M fp32 = 0.5 GiB + eager's int64 indices 1 GiB: ~3.8 GB at ~1.8 TB/s; measured 2.1 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.pool = nn.MaxPool2d(kernel_size, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


batch_size = 64
channels = 128
height = 256
width = 256


def get_inputs():
    return [torch.randn(batch_size, channels, height, width)]


def get_init_inputs():
    return [3, 2, 1]
