"""End-to-end: the builtin model's kernel plans on small variants of bench/tasks, on the CPU
(cpp), through the real binary and the harness's verifier: every task the builtin model
handles in this subset must be verified correct (one family each: reduce, argmax, normalize,
layer_norm with parameters, rms_norm, matmul with epilogue, Gemm + row sum, matrix-vector,
loss). Interpreted Triton is too slow for CI at these sizes; the GPU run is in
bench/results/2026-12-02-h200-kernel-plans."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, CPU_TARGET, FIXTURES, ROOT, cli_env

SUBSET = ["reduce_sum_last_dim", "reduce_argmax_last_dim", "normalize_softmax_last_dim",
          "normalize_layer_norm", "normalize_rms_norm", "matmul_linear_relu",
          "matmul_linear_row_sum", "matmul_matvec", "loss_huber", "reduce_mean_mid_dim",
          "scan_reverse_cumsum", "pool_maxpool2d_stride_pad", "pool_avgpool3d_ceil",
          "normalize_group_norm", "normalize_batch_norm2d", "loss_cross_entropy",
          "loss_kl_div_batchmean", "loss_triplet_margin", "conv_conv2d_3x3"]

# Tiny tasks for triton_cuda under Triton's interpreter (no GPU here): one per plan kind.
# Sizes reach __init__ through get_init_inputs, as in KernelBench: a copied __init__ that read
# a module constant would be shape-specific, and the shape trials would say so.
TINY = {
    "tiny_softmax": ("x = torch.softmax(x, dim=-1)", "[torch.randn(rows, cols)]", []),
    "tiny_layer_norm": ("x = self.ln(x)", "[torch.randn(rows, cols)]",
                        ["        self.ln = nn.LayerNorm(features)"]),
    "tiny_linear_relu": ("x = torch.relu(self.fc(x))", "[torch.randn(rows, cols)]",
                         ["        self.fc = nn.Linear(features, 24)"]),
    "tiny_argmax": ("x = torch.argmax(x, dim=1)", "[torch.randn(rows, cols)]", []),
    "tiny_cumsum": ("x = torch.cumsum(x, dim=1)", "[torch.randn(rows, cols)]", []),
    "tiny_maxpool2d": ("x = torch.relu(self.pool(x))", "[torch.randn(2, 3, rows + 5, cols)]",
                       ["        self.pool = nn.MaxPool2d(3, stride=2, padding=1, dilation=2)"]),
    "tiny_avgpool3d_ceil": ("x = self.pool(x)", "[torch.randn(2, 3, rows, 7, cols)]",
                            ["        self.pool = nn.AvgPool3d(3, stride=2, padding=1, ceil_mode=True,"
                             " count_include_pad=False)"]),
    "tiny_group_norm": ("x = self.gn(x)", "[torch.randn(2, 8, rows, cols)]",
                        ["        self.gn = nn.GroupNorm(4, 8)"]),
    "tiny_batch_norm": ("x = self.bn(x)", "[torch.randn(3, 4, rows, cols)]",
                        ["        self.bn = nn.BatchNorm2d(4)"]),
    "tiny_cross_entropy": ("x = torch.nn.functional.cross_entropy(x, t)",
                           "[torch.randn(rows, cols), torch.randint(0, cols, (rows,))]", []),
    "tiny_triu_matmul": ("x = torch.triu(torch.matmul(x, t))",
                         "[torch.randn(rows, cols), torch.randn(cols, rows)]", []),
    "tiny_attention": ("x = torch.nn.functional.scaled_dot_product_attention(x, t, t)",
                       "[torch.randn(2, rows, cols), torch.randn(2, rows + 3, cols)]", []),
    "tiny_conv2d_grouped": ("x = torch.relu(self.conv(x))", "[torch.randn(2, 4, rows, 9)]",
                            ["        self.conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)"]),
    "tiny_conv_transpose1d": ("x = self.conv(x)", "[torch.randn(2, 4, rows)]",
                              ["        self.conv = nn.ConvTranspose1d(4, 3, 3, stride=2, padding=1,"
                               " output_padding=1, dilation=2)"]),
    "tiny_masked_cumsum": ("x = torch.cumsum(x * t, dim=1)",
                           "[torch.randn(rows, cols), torch.rand(rows, cols) > 0.5]", []),
}


def tiny_task(body: str, inputs: str, init: list[str]) -> str:
    lines = ["import torch", "import torch.nn as nn", "", "rows = 6", "cols = 40", "", "",
             "class Model(nn.Module):", "    def __init__(self, features):", "        super().__init__()",
             *init, "", "    def forward(self, x, t=None):", f"        {body}", "        return x", "",
             "",
             "def get_inputs():", f"    return {inputs}", "", "", "def get_init_inputs():",
             "    return [cols]", ""]
    return "\n".join(lines)


def test_small_plan_suite_is_all_correct_on_cpu(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    for name in SUBSET:
        shutil.copy(ROOT / "bench" / "tasks" / "small" / f"{name}.py", suite)
    out = tmp_path / "out"
    p = subprocess.run([str(CLI), "bench", str(suite), *CPU_TARGET, "--config",
                        str(FIXTURES / "fast.yaml"), "--out", str(out), "--json"],
                       cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    rows = {r["task"]: r for r in json.loads(p.stdout)["tasks"]}
    assert set(rows) == set(SUBSET)
    for name, row in rows.items():
        assert row["handled"], f"{name} declined: {row.get('why')}"
        assert row["correct"], f"{name} not verified: {row.get('status')} {row.get('why')}"


def test_tiny_plans_are_correct_under_the_triton_interpreter(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    for name, (body, inputs, init) in TINY.items():
        (suite / f"{name}.py").write_text(tiny_task(body, inputs, init))
    out = tmp_path / "out"
    target = ["--framework", "torch", "--backend", "cuda", "--arch", "h100", "--dsl", "triton_cuda"]
    p = subprocess.run([str(CLI), "bench", str(suite), *target, "--config",
                        str(FIXTURES / "fast.yaml"), "--out", str(out), "--json"],
                       cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    rows = {r["task"]: r for r in json.loads(p.stdout)["tasks"]}
    assert set(rows) == set(TINY)
    for name, row in rows.items():
        assert row["correct"], f"{name}: {row.get('status')} {row.get('why')}"
