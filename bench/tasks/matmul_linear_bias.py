"""nn.Linear with bias: x @ W.T + b."""
# H200 eager estimate: ~2.9 ms (2*8192*2048*4096 = 137 GFLOP at ~48 TFLOP/s fp32; the bias rides in the GEMM epilogue; measured 2.9 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


batch_size = 8192
in_features = 2048
out_features = 4096


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
