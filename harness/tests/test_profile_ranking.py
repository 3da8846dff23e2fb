"""Rankings noise cannot fool: eager and the candidate timed in turn, one eager baseline per
run and key that every speedup divides by, drift against it re-timed, wide spreads and drift
reported as noisy."""
import json

import pytest

from akg_harness import interleave, noise, profile, timing
from akg_harness.eager_baseline import EagerBaseline
from conftest import profile_request


class _OrderTimer:
    method = "fake"
    supports_graphs = False

    def __init__(self):
        self.order = []

    def time_call(self, fn):
        fn()
        return 1.0


def test_eager_and_the_candidate_are_sampled_in_turn():
    timer, seen = _OrderTimer(), []
    subjects = [timing.Subject(name, lambda inputs, n=name: seen.append(n), [[]])
                for name in ("eager", "candidate")]
    measured = interleave.time_interleaved(timer, subjects, 3)
    assert seen == ["eager", "candidate"] * 3
    assert [len(m.times_ms) for m in measured] == [3, 3]


def test_a_candidate_that_raises_while_interleaved_is_the_candidates_error():
    from akg_harness.errors import CandidateError

    def boom(inputs):
        raise IndexError("bad launch")
    subjects = [timing.Subject("eager", lambda inputs: None, [[]]),
                timing.Subject("candidate", boom, [[]])]
    with pytest.raises(CandidateError, match="calling ModelNew: IndexError: bad launch"):
        interleave.time_interleaved(_OrderTimer(), subjects, 2)


def test_spread_and_drift_rules():
    quiet = {"median_ms": 1.0, "p10_ms": 0.98, "p90_ms": 1.03}
    assert noise.wide("candidate", quiet, 1.5) is None
    wide = {"median_ms": 1.0, "p10_ms": 0.25, "p90_ms": 8.3}
    assert noise.wide("eager", wide, 1.5) == "eager p90/p10 33.20 > 1.5"
    assert noise.drift({"median_ms": 1.02}, quiet) is None  # inside the floor of 5%
    assert "vs the run's baseline 1 ms" in noise.drift({"median_ms": 2.0}, quiet)


def test_the_first_claim_wins(tmp_path):
    a, b = EagerBaseline(str(tmp_path), {"k": 1}), EagerBaseline(str(tmp_path), {"k": 1})
    first, reused = a.claim("single", timing.Measured([1.0, 1.1]))
    assert not reused and first.times_ms == [1.0, 1.1]
    second, reused = b.claim("single", timing.Measured([5.0]))
    assert reused and second.times_ms == [1.0, 1.1]
    assert EagerBaseline(str(tmp_path), {"k": 2}).get("single") is None  # another key
    assert EagerBaseline(None, {"k": 1}).claim("single", timing.Measured([3.0]))[1] is False


def test_the_runs_first_profile_sets_the_baseline_and_later_ones_divide_by_it(tmp_path):
    request = profile_request("relu_task.py", "relu_ok.py", run_times=5,
                              eager_baseline_dir=str(tmp_path))
    first = profile.run(request)
    assert first["ok"], first
    base = first["eager_baseline"]
    assert base["runs"] == 10 and base["reused"] is False  # twice the timed runs
    second = profile.run(request)
    assert second["eager_baseline"]["reused"] is True
    assert second["eager_baseline"]["median_ms"] == base["median_ms"]
    assert second["speedup_vs_eager"] == pytest.approx(
        base["median_ms"] / second["candidate"]["median_ms"])
    assert "speedup_vs_eager_interleaved" in second and isinstance(second["noisy"], list)


def test_eager_that_drifted_from_the_baseline_is_retimed_then_called_noisy(tmp_path):
    request = profile_request("relu_task.py", "relu_ok.py", run_times=5,
                              eager_baseline_dir=str(tmp_path))
    first = profile.run(request)
    path = next(tmp_path.glob("eager_*.json"))
    entry = json.loads(path.read_text())
    entry["phases"]["single"]["times_ms"] = [1000.0] * 10  # a baseline no eager call matches
    path.write_text(json.dumps(entry))
    later = profile.run(request)
    assert later["eager_baseline"]["retimed"] is True
    assert any("vs the run's baseline 1000 ms" in r for r in later["noisy"]), later["noisy"]
    # A baseline 1000x too slow makes a huge speedup over it, but eager beside the kernel
    # disagrees: no suspicion (which would cost a re-verification) from one yardstick alone.
    assert later["speedup_vs_eager"] > 100 and later["suspect"] == []
    assert first["eager_baseline"]["reused"] is False


def test_without_a_baseline_folder_the_profiles_own_eager_is_the_yardstick():
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=5))
    assert result["eager_baseline"]["runs"] == 5 and result["eager_baseline"]["reused"] is False
    assert result["speedup_vs_eager"] == pytest.approx(result["speedup_vs_eager_interleaved"])


def _measured(times):
    return timing.Measured(list(times), timing.SINGLE, 1, 1, sorted(times)[len(times) // 2])


def test_a_wide_candidate_is_retimed_once_and_keeps_its_narrower_measurement():
    from akg_harness.eager_baseline import settle
    measured = {"eager": _measured([1.0, 1.01, 0.99]),
                "candidate": _measured([0.5, 4.0, 0.5, 6.0, 0.5])}
    calls = []

    def retime():
        calls.append("retime")
        measured["candidate"] = _measured([0.5, 0.51, 0.49])
        measured["eager"] = _measured([1.0, 1.02, 0.98])
    out = settle(measured, EagerBaseline(None, {}), "single", retime, lambda: None, 1.5)
    assert calls == ["retime"] and out["baseline"]["retimed"] is True
    assert measured["candidate"].times_ms == [0.5, 0.51, 0.49] and out["noisy"] == []


def test_quiet_numbers_are_not_retimed_and_not_noisy():
    from akg_harness.eager_baseline import settle
    measured = {"eager": _measured([1.0, 1.01, 0.99]), "candidate": _measured([0.5, 0.51, 0.5])}
    out = settle(measured, EagerBaseline(None, {}), "single",
                 lambda: pytest.fail("retimed"), lambda: None, 1.5)
    assert out["noisy"] == [] and out["baseline"]["retimed"] is False


def test_the_runs_first_baseline_takes_a_second_batch_when_the_first_is_wide(tmp_path):
    from akg_harness.eager_baseline import settle
    batches = iter([_measured([8.0, 0.2, 8.0]), _measured([1.0, 1.0, 1.01]),
                    _measured([1.0, 0.99, 1.0])])
    measured = {"eager": _measured([0.2, 8.3, 0.2]), "candidate": _measured([0.5, 0.5, 0.5])}
    out = settle(measured, EagerBaseline(str(tmp_path), {"k": 1}), "single", lambda: None,
                 lambda: next(batches), 1.5)
    assert out["baseline"]["median_ms"] == 1.0 and out["baseline"]["runs"] == 6
