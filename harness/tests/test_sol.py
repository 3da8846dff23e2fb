"""Speed of light: FLOP and byte counts, the floor, its fractions, and the suspect flags."""
from __future__ import annotations

import textwrap

import pytest
import torch

from akg_harness import profile, sol
from conftest import profile_request

MATMUL_TASK = '''
import torch

class Model(torch.nn.Module):
    def forward(self, a, b):
        return a @ b

def get_inputs():
    return [torch.randn(64, 64), torch.randn(64, 64)]

def get_init_inputs():
    return []
'''
MATMUL_CANDIDATE = '''
import torch

class ModelNew(torch.nn.Module):
    def forward(self, a, b):
        return torch.mm(a, b)
'''
# 2 * 64^3 FLOPs; three 64x64 float32 tensors of 16 KiB each.
MATMUL_FLOPS, MATMUL_BYTES = 2 * 64 ** 3, 3 * 64 * 64 * 4


@pytest.fixture
def matmul_files(tmp_path):
    task, cand = tmp_path / "mm_task.py", tmp_path / "mm_new.py"
    task.write_text(textwrap.dedent(MATMUL_TASK))
    cand.write_text(textwrap.dedent(MATMUL_CANDIDATE))
    return str(task), str(cand)


def test_matmul_floor_is_compute_bound_with_these_peaks():
    # 1 GB/s moves 1e6 bytes a ms; 0.001 TFLOP/s does 1e6 FLOPs a ms.
    class MatMul(torch.nn.Module):
        def forward(self, a, b):
            return a @ b
    work = sol.count_work(MatMul(), [torch.randn(64, 64), torch.randn(64, 64)], "cpu")
    assert work.flops == MATMUL_FLOPS and work.flops_by_precision == {"fp32": MATMUL_FLOPS}
    assert (work.bytes_inputs, work.bytes_parameters, work.bytes_outputs) == (32768, 0, 16384)
    block = sol.speed_of_light(work, {"bandwidth_gbs": 1, "tflops": {"fp32": 0.001}})
    assert block["memory_ms"] == pytest.approx(MATMUL_BYTES / 1e6)
    assert block["compute_ms"] == pytest.approx(MATMUL_FLOPS / 1e6)
    assert block["sol_ms"] == pytest.approx(0.524288) and block["bound"] == "compute"
    assert block["flops_source"] == "flop_counter" and block["missing_peaks"] == []
    assert block["peaks_used"] == {"bandwidth_gbs": 1, "tflops": {"fp32": 0.001}}


def test_float32_products_are_held_to_a_third_of_tf32_where_that_is_faster():
    # H200-like: 67 TFLOP/s fp32, 494 tf32 -> three TF32 passes (tf32x3) at 164.7 beat fp32
    work = sol.WorkCount(flops=10 ** 12, flops_by_precision={"fp32": 10 ** 12})
    block = sol.speed_of_light(work, {"bandwidth_gbs": 4800, "tflops": {"fp32": 67, "tf32": 494}})
    assert block["compute_ms"] == pytest.approx(1e12 / (494 / 3 * 1e9))
    assert block["peaks_used"]["tflops"]["fp32"] == pytest.approx(494 / 3)
    # a slow TF32 unit (or none) leaves the fp32 rate
    slow = sol.speed_of_light(work, {"bandwidth_gbs": 4800, "tflops": {"fp32": 67, "tf32": 90}})
    assert slow["compute_ms"] == pytest.approx(1e12 / 67e9)


def test_parameters_count_once_and_elementwise_ops_count_no_flops():
    model = torch.nn.Linear(8, 6)
    x = torch.randn(4, 8)
    work = sol.count_work(model, [x], "cpu")
    assert work.flops == 2 * 4 * 8 * 6
    assert work.bytes_parameters == (8 * 6 + 6) * 4 and work.bytes_outputs == 4 * 6 * 4

    class Add(torch.nn.Module):
        def forward(self, a, b):
            return a + b
    add = sol.count_work(Add(), [x, x], "cpu")  # the same tensor twice: read once
    assert add.flops == 0 and add.bytes_inputs == x.numel() * 4
    assert add.bytes == 2 * x.numel() * 4
    block = sol.speed_of_light(add, {"bandwidth_gbs": 2, "tflops": {}})
    assert block["bound"] == "memory" and block["compute_ms"] == 0.0
    assert block["sol_ms"] == pytest.approx(add.bytes / 2e6)


def test_missing_peaks_leave_their_term_out():
    work = sol.WorkCount(flops=10 ** 9, flops_by_precision={"bf16": 10 ** 9},
                         bytes_inputs=10 ** 6)
    assert sol.speed_of_light(work, None)["sol_ms"] is None
    no_bf16 = sol.speed_of_light(work, {"bandwidth_gbs": 1000, "tflops": {"fp32": 50}})
    assert no_bf16["missing_peaks"] == ["bf16"] and no_bf16["sol_ms"] == pytest.approx(1e-3)
    no_bandwidth = sol.speed_of_light(work, {"tflops": {"bf16": 1000}})
    assert no_bandwidth["missing_peaks"] == ["bandwidth_gbs"]
    assert no_bandwidth["sol_ms"] == pytest.approx(1e-3) and no_bandwidth["bound"] == "compute"


def test_precision_keys_follow_dtype_and_tf32_switches():
    assert sol.precision_key("mm", torch.bfloat16, "cuda") == "bf16"
    assert sol.precision_key("mm", torch.float16, "cpu") == "fp16"
    assert sol.precision_key("mm", torch.float32, "cpu") == "fp32"
    matmul_before, conv_before = (torch.backends.cuda.matmul.allow_tf32,
                                  torch.backends.cudnn.allow_tf32)
    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        assert sol.precision_key("addmm", torch.float32, "cuda") == "fp32"
        torch.backends.cuda.matmul.allow_tf32 = True
        assert sol.precision_key("addmm", torch.float32, "cuda") == "tf32"
        torch.backends.cudnn.allow_tf32 = True
        assert sol.precision_key("convolution", torch.float32, "cuda") == "tf32"
        assert sol.precision_key("convolution", torch.float32, "cpu") == "fp32"
        torch.backends.cudnn.allow_tf32 = False
        assert sol.precision_key("convolution", torch.float32, "cuda") == "fp32"
    finally:
        torch.backends.cuda.matmul.allow_tf32 = matmul_before
        torch.backends.cudnn.allow_tf32 = conv_before


def test_suspect_reasons():
    assert sol.suspect_reasons(1.0, 0.5, 2.0, 10) == []
    below = sol.suspect_reasons(0.4, 0.5, 2.0, 10)
    assert len(below) == 1 and "below the speed of light" in below[0]
    fast = sol.suspect_reasons(1.0, None, 12.5, 10)
    assert len(fast) == 1 and "exceeds suspect_speedup 10x" in fast[0]
    assert len(sol.suspect_reasons(0.1, 0.5, 50.0, 10)) == 2
    assert sol.fraction(0.5, 2.0) == 0.25 and sol.fraction(None, 2.0) is None


def test_profile_reports_sol_and_flags_a_candidate_under_it(matmul_files):
    task, cand = matmul_files
    request = {**profile_request("relu_task.py", "relu_ok.py", run_times=3),
               "task_path": task, "candidate_path": cand,
               "peaks": {"bandwidth_gbs": 1, "tflops": {"fp32": 1e-6}}}
    result = profile.run(request)
    block = result["sol"]
    assert (block["flops"], block["bytes"]) == (MATMUL_FLOPS, MATMUL_BYTES)
    assert block["sol_ms"] == pytest.approx(524.288) and block["bound"] == "compute"
    # A 64x64 matmul takes microseconds, far under a floor computed for 1 MFLOP/s.
    assert any("below the speed of light" in r for r in result["suspect"])
    assert block["fraction_of_sol_candidate"] == pytest.approx(
        block["sol_ms"] / result["candidate"]["median_ms"])
    assert block["fraction_of_sol_eager"] == pytest.approx(
        block["sol_ms"] / result["reference"]["median_ms"])
    assert block["fraction_of_sol_torch_compile"] is None


def test_profile_flags_speedups_over_the_threshold_and_not_under_it():
    honest = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=15,
                                         peaks={"bandwidth_gbs": 1e9}))
    assert honest["suspect"] == []
    assert honest["sol"]["sol_ms"] < honest["candidate"]["median_ms"]
    flagged = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=3,
                                          suspect_speedup=1e-6))
    assert any("exceeds suspect_speedup" in r for r in flagged["suspect"])
    assert flagged["sol"]["sol_ms"] is None and "bandwidth_gbs" in flagged["sol"]["missing_peaks"]
