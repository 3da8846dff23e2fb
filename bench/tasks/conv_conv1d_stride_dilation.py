"""nn.Conv1d with kernel 5, stride 2, dilation 2 and padding 4 (length halves), 256 -> 256 channels."""
# H200 eager estimate: ~2.2 ms (2*64*256*8192*256*5 = 137 GFLOP on TF32 tensor cores (cuDNN's default allow_tf32) at ~60 TFLOP/s for this strided, dilated shape; measured 2.2 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 dilation: int, padding: int):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride,
                              dilation=dilation, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


batch_size = 64
in_channels = 256
out_channels = 256
length = 16384


def get_inputs():
    return [torch.randn(batch_size, in_channels, length)]


def get_init_inputs():
    return [in_channels, out_channels, 5, 2, 2, 4]
