"""nn.ConvTranspose2d, kernel 4, stride 2, padding 1 (2x upsampling), 128 -> 64 channels."""
# H200 eager estimate: ~1.5 ms (2*32*128*128*128*64*16 = 137 GFLOP on TF32 tensor cores (cuDNN's default allow_tf32) at ~95 TFLOP/s, output 0.5 GiB; measured 1.45 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 padding: int):
        super().__init__()
        self.deconv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=stride,
                                         padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.deconv(x)


batch_size = 32
in_channels = 128
out_channels = 64
height = 128
width = 128


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, 4, 2, 1]
