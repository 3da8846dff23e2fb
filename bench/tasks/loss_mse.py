"""Mean squared error between predictions and targets (F.mse_loss, mean reduction): a scalar."""
# H200 eager estimate: ~1.0 ms (reads two 256M fp32 tensors = 2 GiB, plus eager's 1 GiB elementwise temporary written and re-read: ~4.3 GB at ~4.2 TB/s; measured 1.0 ms)
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(pred, target)


rows = 16384
cols = 16384


def get_inputs():
    return [torch.randn(rows, cols), torch.randn(rows, cols)]


def get_init_inputs():
    return []
