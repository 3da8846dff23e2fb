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
          "matmul_linear_row_sum", "matmul_matvec", "loss_huber", "reduce_mean_mid_dim"]


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
