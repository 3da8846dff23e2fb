"""nn.Linear then a sum over the output features (a GEMM whose result is reduced per row)."""
# H200 eager estimate: ~2.9 ms (2*8192*4096*2048 = 137 GFLOP at ~48 TFLOP/s fp32, plus a 64 MiB row reduction; measured 2.85 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).sum(dim=1, keepdim=True)


batch_size = 8192
in_features = 4096
out_features = 2048


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
