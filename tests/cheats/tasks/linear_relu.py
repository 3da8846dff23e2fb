"""Linear layer followed by ReLU (a level-2 style fused chain); the weights are parameters."""
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.linear(x))


def get_inputs():
    return [torch.randn(20, 24)]


def get_init_inputs():
    return [24, 18]
