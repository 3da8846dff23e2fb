"""nn.Conv2d 3x3, padding 1, 128 -> 128 channels, with bias."""
# H200 eager estimate: ~1.8 ms (2*64*128*128*128*128*9 = 309 GFLOP on TF32 tensor cores (cuDNN's default allow_tf32) at ~170 TFLOP/s; measured 1.8 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


batch_size = 64
in_channels = 128
out_channels = 128
height = 128
width = 128


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, 3, 1]
