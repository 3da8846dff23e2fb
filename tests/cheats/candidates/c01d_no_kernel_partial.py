# Cheat under policy "partial": no kernel at all, the whole answer is framework operators.
import torch
import torch.nn as nn
import triton  # noqa: F401  (looks like a Triton solution)


class ModelNew(nn.Module):
    def forward(self, x):
        return torch.clamp_min(x, 0.0)
