"""nn.MaxPool1d (kernel 4, stride 2, padding 1) over [N, C, L] sequences."""
# H200 eager estimate: ~1.5 ms (reads 256M fp32 = 1 GiB, writes 128M fp32 values + eager's 128M int64 indices = 1.5 GiB: ~2.7 GB at ~1.8 TB/s; measured 1.5 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.pool = nn.MaxPool1d(kernel_size, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


batch_size = 32
channels = 256
length = 32768


def get_inputs():
    return [torch.randn(batch_size, channels, length)]


def get_init_inputs():
    return [4, 2, 1]
