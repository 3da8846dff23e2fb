"""nn.AvgPool3d (kernel 3, stride 2) with ceil_mode=True: the last window on each axis hangs
over the edge (even extents) and averages only what it covers."""
# H200 eager estimate: ~2.3 ms (reads 512M fp32 = 2 GiB, writes ~1/8 of it; the 3-D window gathers run well below peak bandwidth: ~2.4 GB at ~1 TB/s; measured 2.3 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, kernel_size: int, stride: int):
        super().__init__()
        self.pool = nn.AvgPool3d(kernel_size, stride=stride, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


batch_size = 16
channels = 32
depth = 64
height = 128
width = 128


def get_inputs():
    return [torch.randn(batch_size, channels, depth, height, width)]


def get_init_inputs():
    return [3, 2]
