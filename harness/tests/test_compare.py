"""compare.py: tolerances, NaN/Inf handling, exact shape and dtype, error numbers."""
import math

import pytest
import torch

from akg_harness.compare import (Tolerance, compare_outputs, compare_tensors,
                                 default_tolerance)

TOL = Tolerance(1e-4, 1e-4)


def test_default_tolerances_follow_the_protocol_per_dtype():
    assert default_tolerance(torch.float32) == Tolerance(1e-4, 1e-4)
    assert default_tolerance(torch.float16) == Tolerance(1e-2, 1e-2)
    assert default_tolerance(torch.bfloat16) == Tolerance(1e-2, 1e-2)
    assert default_tolerance(torch.float64) == Tolerance(1e-7, 1e-7)
    assert default_tolerance(torch.int64) == Tolerance(0.0, 0.0)


def test_identical_tensors_pass_with_zero_error():
    x = torch.randn(3, 5)
    result = compare_tensors(x.clone(), x, TOL)
    assert result.passed and result.mismatches == 0 and result.numel == 15
    assert result.max_abs_err == 0.0 and result.max_rel_err == 0.0


def test_error_within_atol_plus_rtol_times_reference_passes():
    expected = torch.tensor([1.0, 100.0], dtype=torch.float64)
    actual = expected + torch.tensor([1.5e-4, 1.0e-2], dtype=torch.float64)
    assert compare_tensors(actual, expected, TOL).passed  # 1e-4 + 1e-4 * 100 > 1e-2


def test_error_beyond_tolerance_counts_mismatches_and_reports_numbers():
    expected = torch.zeros(2, 3)
    actual = expected.clone()
    actual[1, 2] = 0.5
    result = compare_tensors(actual, expected, TOL, "output 0")
    assert not result.passed and result.mismatches == 1
    assert result.max_abs_err == pytest.approx(0.5)
    assert "output 0" in result.message and "[1, 2]" in result.message


def test_relative_error_ignores_zero_reference_elements():
    expected = torch.tensor([0.0, 2.0])
    actual = torch.tensor([1.0, 3.0])
    result = compare_tensors(actual, expected, TOL)
    assert result.max_rel_err == pytest.approx(0.5) and result.max_abs_err == 1.0


def test_nan_and_inf_in_the_same_places_pass():
    expected = torch.tensor([math.nan, math.inf, -math.inf, 1.0])
    assert compare_tensors(expected.clone(), expected, TOL).passed


@pytest.mark.parametrize("actual", [
    [1.0, math.inf, -math.inf, 1.0],          # NaN missing
    [math.nan, -math.inf, -math.inf, 1.0],    # Inf with the wrong sign
    [math.nan, math.inf, -math.inf, math.nan],  # extra NaN
])
def test_nan_or_inf_positions_that_disagree_fail(actual):
    expected = torch.tensor([math.nan, math.inf, -math.inf, 1.0])
    result = compare_tensors(torch.tensor(actual), expected, TOL)
    assert not result.passed and result.mismatches == 1


def test_shape_is_compared_exactly_not_after_flattening():
    x = torch.randn(4, 8)
    result = compare_tensors(x.reshape(-1), x, TOL)
    assert not result.passed and "shape [32] != expected [4, 8]" in result.message


def test_dtype_is_compared_exactly():
    x = torch.randn(4)
    result = compare_tensors(x.double(), x, TOL)
    assert not result.passed and "dtype float64 != expected float32" in result.message


def test_integer_outputs_compare_exactly():
    expected = torch.tensor([1, 2, 3])
    result = compare_tensors(torch.tensor([1, 2, 4]), expected, Tolerance(0.0, 0.0))
    assert not result.passed and result.mismatches == 1


def test_chunked_comparison_counts_across_chunks(monkeypatch):
    monkeypatch.setattr("akg_harness.compare.CHUNK_ELEMENTS", 7)
    expected = torch.zeros(50)
    actual = expected.clone()
    actual[[3, 20, 49]] = 1.0
    result = compare_tensors(actual, expected, TOL)
    assert result.mismatches == 3 and "first at [3]" in result.message


def test_output_count_mismatch_fails():
    result = compare_outputs([torch.zeros(2)], [torch.zeros(2), torch.zeros(2)], None, None)
    assert not result.passed and "1 outputs, expected 2" in result.message


def test_outputs_use_the_dtype_default_when_tolerance_is_null():
    expected = torch.ones(4, dtype=torch.float16)
    actual = expected + 5e-3  # inside fp16's 1e-2, far outside fp32's 1e-4
    assert compare_outputs([actual], [expected], None, None).passed
    assert not compare_outputs([actual], [expected], 1e-4, 1e-4).passed


def test_first_failing_output_is_named():
    a = [torch.zeros(2), torch.ones(2)]
    b = [torch.zeros(2), torch.zeros(2)]
    result = compare_outputs(a, b, None, None)
    assert result.message.startswith("output 1:") and result.numel == 4


def test_non_tensor_where_tensor_expected_fails():
    result = compare_outputs([3.0], [torch.zeros(())], None, None)
    assert not result.passed and "expected a tensor" in result.message


def _sprinkled(n, seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, generator=g)
    b = a + torch.randn(n, generator=g) * 1e-4
    for t in (a, b):
        pick = torch.randint(0, n, (n // 50,), generator=g)
        t[pick[: len(pick) // 3]] = float("nan")
        t[pick[len(pick) // 3: 2 * len(pick) // 3]] = float("inf")
        t[pick[2 * len(pick) // 3:]] = 0.0
    return a, b


@pytest.mark.parametrize("wide", [False, True])
def test_the_native_comparison_agrees_with_torch_element_rules(monkeypatch, wide):
    from akg_harness import fast_checks
    if fast_checks.load() is None:
        pytest.skip("no C++ compiler")
    a, b = _sprinkled(1 << 17, 3)
    if wide:
        b = b.double()
    tol = Tolerance(1e-4, 1e-4)
    native = compare_tensors(a, b.to(a.dtype) if not wide else b, tol) if not wide else None
    fast = fast_checks.compare(a, b, tol.atol, tol.rtol)
    monkeypatch.setattr(fast_checks, "compare", lambda *args: None)
    slow = compare_tensors(a, b.float(), tol) if not wide else None
    a64 = a.double()
    b64 = b.double()
    finite = torch.isfinite(a64) & torch.isfinite(b64)
    diff = (a64 - b64).abs().masked_fill(~finite, 0)
    bad = (finite & (diff > 1e-4 + 1e-4 * b64.abs())) | (
        ~finite & ~(torch.isnan(a64) & torch.isnan(b64)) & (a64 != b64))
    assert fast[0] == int(bad.sum()) and fast[1] == int(bad.nonzero()[0, 0])
    assert fast[2] == pytest.approx(float(diff.max()))
    live = torch.isfinite(b64) & (b64 != 0)
    assert fast[4] == int(live.sum())
    assert fast[5] == int((live & (a64.abs() <= 0.01 * b64.abs())).sum())
    if native is not None:
        assert (native.mismatches, native.max_abs_err, native.message) == (
            slow.mismatches, pytest.approx(slow.max_abs_err), slow.message)
