"""nn.Linear followed by ReLU (a GEMM with a pointwise epilogue)."""
# H200 eager estimate: ~4.2 ms (2*4096*4096*6144 = 206 GFLOP at ~50 TFLOP/s fp32, plus a 100 MiB ReLU pass; measured 4.2 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.linear(x))


batch_size = 4096
in_features = 4096
out_features = 6144


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
