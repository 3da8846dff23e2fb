"""nn.InstanceNorm2d (no affine, no running stats): each (sample, channel) plane normalized alone."""
# H200 eager estimate: ~1.25 ms (runs as batch_norm over a [1, N*C, H, W] view: stats + normalize over 1 GiB: ~3.2 GB at ~2.6 TB/s; measured 1.24 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, channels: int, eps: float):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


batch_size = 128
channels = 128
height = 128
width = 128


def get_inputs():
    return [torch.randn(batch_size, channels, height, width)]


def get_init_inputs():
    return [channels, 1e-5]
