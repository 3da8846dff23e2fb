"""verify's trials: input distributions, the domain fallback, the reference cache, requests."""
import pytest
import torch

from akg_harness import distributions, verify
from akg_harness.errors import RequestError
from akg_harness.request import parse_request
from conftest import fixture_path


def _request(candidate, task, **overrides):
    return {"task_path": fixture_path(f"runtime/{task}"),
            "candidate_path": fixture_path(f"runtime/{candidate}"),
            "dsl": "cpp", "device": "cpu", "seed": 11, **overrides}


def test_distributions_transform_only_floating_tensors_and_are_deterministic():
    inputs = [torch.randn(64, 32), torch.arange(6), 0.5, torch.ones(3, dtype=torch.float16)]
    for name in distributions.DISTRIBUTIONS[1:]:
        a = distributions.apply(name, inputs, seed=5)
        b = distributions.apply(name, inputs, seed=5)
        assert torch.equal(a[0], b[0]) and torch.equal(a[3], b[3])
        assert a[1] is inputs[1] and a[2] == 0.5 and a[3].dtype == torch.float16
        assert not torch.equal(a[0], inputs[0])
    uniform = distributions.apply("uniform", inputs, seed=5)[0]
    assert -1 <= uniform.min() and uniform.max() <= 1
    assert not torch.equal(uniform, distributions.apply("uniform", inputs, seed=6)[0])
    large = distributions.apply("large", inputs, seed=5)[0]
    assert torch.allclose(large, inputs[0] * 1000)
    zeros = distributions.apply("signed_zeros", inputs, seed=5)[0]
    is_zero = zeros == 0
    assert 0.05 < is_zero.float().mean() < 0.15
    negative = torch.signbit(zeros[is_zero])
    assert bool(negative.any()) and bool((~negative).any())
    assert distributions.apply("task", inputs, seed=5) is inputs


def test_scaled_distributions_scale_atol_with_the_outputs():
    result = verify.run(_request("cpp_relu_ok.py", "relu64_task.py"))
    assert result["verdict"] == "passed", result["message"]
    scales = {t["distribution"]: t.get("atol_scale") for t in result["trials"]}
    assert scales["task"] is None
    # (each trial draws its own inputs, so the ratios are near, not at, the scale factors)
    assert scales["large"] == [pytest.approx(1e3, rel=0.2)]
    assert scales["small"] == [pytest.approx(1e-3, rel=0.2)]
    assert 0.5 < scales["uniform"][0] < 0.8  # E relu(U(-1,1)) / E relu(N(0,1)) = 0.627


def test_a_distribution_outside_the_operator_domain_falls_back_to_the_task_inputs():
    result = verify.run(_request("cpp_sqrt_ok.py", "sqrt_task.py"))
    assert result["verdict"] == "passed", result["message"]
    trials = result["trials"]
    assert [t["distribution"] for t in trials] == ["task", "task", "large", "task", "small"]
    assert [t.get("skipped_distribution") for t in trials] == [
        None, "uniform", None, "signed_zeros", None]


def test_the_reference_cache_is_hit_on_the_second_verify_with_the_same_result(tmp_path):
    request = _request("cpp_relu_ok.py", "relu64_task.py", trials=3,
                       reference_cache_dir=str(tmp_path / "refs"))
    first = verify.run(dict(request))
    second = verify.run(dict(request))
    assert first["verdict"] == second["verdict"] == "passed"
    assert [t["reference_cached"] for t in first["trials"]] == [False] * 3
    assert [t["reference_cached"] for t in second["trials"]] == [True] * 3
    assert len(list((tmp_path / "refs").glob("ref_*.pt"))) == 3
    strip = lambda r: {**r, "log": "", "trials": [{**t, "reference_cached": None}  # noqa: E731
                                                   for t in r["trials"]]}
    assert strip(first) == strip(second)


def test_a_cached_reference_is_what_the_candidate_is_judged_against(tmp_path):
    cache = str(tmp_path / "refs")
    verify.run(_request("cpp_relu_ok.py", "relu64_task.py", trials=1, reference_cache_dir=cache))
    path = next((tmp_path / "refs").glob("ref_*.pt"))
    entry = torch.load(path, weights_only=True)
    entry["exact"]["first"][0].fill_(7.0)  # tamper with the stored float64 reference: now
    torch.save(entry, path)                # every answer is wrong
    result = verify.run(_request("cpp_relu_ok.py", "relu64_task.py", trials=1,
                                 reference_cache_dir=cache))
    assert (result["verdict"], result["reason"]) == ("wrong_answer", "mismatch")
    entry["exact"]["first"] = None  # without one, the float32 reference is the judge
    entry["exact"]["why"] = "tampered"
    entry["first"][0].fill_(7.0)
    torch.save(entry, path)
    result = verify.run(_request("cpp_relu_ok.py", "relu64_task.py", trials=1,
                                 reference_cache_dir=cache))
    assert result["trials"][0]["reference_cached"] is True
    assert (result["verdict"], result["reason"]) == ("wrong_answer", "mismatch")


def test_verify_request_defaults_and_checks():
    base = {"task_path": "/t.py", "candidate_path": "/c.py", "dsl": "cpp", "device": "cpu",
            "seed": 0}
    request = parse_request("verify", base)
    assert (request["trials"], request["policy"], request["reference_cache_dir"],
            request["extra_glue"]) == (5, "strict", None, [])
    request = parse_request("verify", {**base, "policy": "partial", "extra_glue": ["torch.cat"],
                                       "reference_cache_dir": "/tmp/refs", "trials": 2})
    assert (request["policy"], request["extra_glue"], request["trials"]) == (
        "partial", ["torch.cat"], 2)
    for change, needle in [({"policy": "loose"}, "'policy'"),
                           ({"extra_glue": "torch.cat"}, "'extra_glue'"),
                           ({"reference_cache_dir": "refs"}, "absolute path")]:
        with pytest.raises(RequestError, match=needle):
            parse_request("verify", {**base, **change})
