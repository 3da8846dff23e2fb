"""The building blocks of verify's runtime checks, one by one."""
import platform

import pytest
import torch

from akg_harness import output_checks, poison, runtime_guard, values

FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.complex64]


@pytest.mark.parametrize("dtype", FLOATS)
def test_poison_patterns_are_nan_and_recognised(dtype):
    t = torch.empty(8, dtype=dtype)
    poison.fill(t.view(torch.uint8).reshape(-1), dtype)
    assert bool(torch.isnan(t).all()) and bool(poison.is_poison(t).all())
    assert not bool(poison.is_poison(torch.randn(64).to(dtype)).any())
    assert poison.is_poison(t).shape == t.shape


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's M_PERTURB")
@pytest.mark.parametrize("shape", [(3,), (4, 8), (64, 64), (512, 512)])
def test_cpu_allocations_inside_the_poisoned_block_hold_poison(shape):
    reference = torch.randn(shape)
    with poison.poisoned(torch.device("cpu"), [reference]):
        fresh = torch.empty(shape)
    assert bool(poison.is_poison(fresh).any())
    after = torch.empty(1 << 16)  # the perturbation ends with the block
    assert not bool(poison.is_poison(after).all())


def test_xor_bits_scrambles_every_dtype_and_twice_restores():
    tensors = [torch.randn(4, 5), torch.randn(6).half(), torch.randn(3, dtype=torch.complex128),
               torch.arange(7, dtype=torch.uint8), torch.randn(5, 3).t(), torch.ones(2, 3, 4)[0]]
    originals = [t.clone() for t in tensors]
    values.xor_bits(tensors + [tensors[0], 1.5], 0xDEADBEEFCAFEF00D)
    assert all(not torch.equal(t, o) for t, o in zip(tensors, originals))
    values.xor_bits(tensors + [tensors[0], 1.5], 0xDEADBEEFCAFEF00D)
    assert all(values.same_contents(t, o) for t, o in zip(tensors, originals))


def test_storage_overlap_sees_views_and_not_clones():
    x = torch.randn(8, 8)
    assert values.shares_memory(x[2:4], x) and values.shares_memory(x.t(), x[7])
    assert not values.shares_memory(x.clone(), x)
    assert not values.shares_memory(torch.empty(0), x)


def test_near_zero_and_stale_rules():
    ref = torch.randn(100) * 1e-6
    assert output_checks.near_zero([torch.zeros(100)], [ref])
    assert output_checks.near_zero([ref.clone()], [ref]) is None
    first, ref2 = torch.randn(100), torch.randn(100)
    assert output_checks.stale([first.clone()], [first], [0], [ref2], [first])
    assert output_checks.stale([ref2.clone()], [first], [0], [ref2], [first]) is None


def test_runtime_guard_sees_replaced_and_added_functions(monkeypatch):
    guard = runtime_guard.RuntimeGuard()
    assert guard.changes() == []
    monkeypatch.setattr(torch, "allclose", lambda *a, **k: True)
    assert "__eq__" not in vars(torch.Tensor)
    torch.Tensor.__eq__ = lambda a, b: True
    try:
        changes = guard.changes()
    finally:
        del torch.Tensor.__eq__  # back to the inherited one
    assert "torch.allclose was replaced" in changes
    assert "torch.Tensor.__eq__ was added" in changes
