"""Shape trials: which constants vary, the sizes they take, and what the verdict says."""
from __future__ import annotations

import textwrap

import pytest
import torch

from akg_harness import shape_trials, verify
from akg_harness.errors import CandidateError, TaskError
from akg_harness.task import load_task

from conftest import fixture_path


def _task(tmp_path, body: str):
    path = tmp_path / "task.py"
    path.write_text("import torch\nimport torch.nn as nn\n\n" + textwrap.dedent(body))
    return load_task(str(path))


SUM_TASK = """
    class Model(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.dim = dim

        def forward(self, x):
            return torch.sum(x, dim=self.dim)

    batch_size = 16
    dim1 = 256
    input_shape = (4000, 2)
    reduce_dim = 1
    scale: float = 2.0

    def get_inputs():
        return [torch.rand(batch_size, dim1, *input_shape)]

    def get_init_inputs():
        return [reduce_dim]
"""


def test_only_constants_that_change_the_input_shapes_vary(tmp_path):
    task = _task(tmp_path, SUM_TASK)
    found, why = shape_trials.size_constants(task)
    # reduce_dim leaves get_inputs' shapes alone; floats and items <= 2 are no sizes.
    assert found == {"batch_size": 16, "dim1": 256, "input_shape[0]": 4000} and why == ""


def test_sizes_are_smaller_odd_and_the_module_is_restored(tmp_path):
    task = _task(tmp_path, SUM_TASK)
    found, _ = shape_trials.size_constants(task)
    first = next(shape_trials.plans(found))
    assert len(first) == shape_trials.TRIALS
    for sizes in first:
        for key, value in sizes.items():
            assert value < found[key] and value % 2 == 1 and value > 1
    with shape_trials.sized(task.module, first[0]):
        assert task.module.batch_size == 7 and task.module.input_shape == (1999, 2)
    assert task.module.batch_size == 16 and task.module.input_shape == (4000, 2)


CLASSES_TASK = """
    class Model(nn.Module):
        def forward(self, predictions, targets):
            return torch.nn.functional.cross_entropy(predictions, targets)

    batch_size = 64
    num_classes = 40
    input_shape = (num_classes,)
    dim = 1

    def get_inputs():
        return [torch.rand(batch_size, *input_shape),
                torch.randint(0, num_classes, (batch_size,))]

    def get_init_inputs():
        return []
"""


def test_a_value_range_equal_to_a_size_follows_it(tmp_path):
    # KernelBench 95: num_classes bounds the targets and equals input_shape[0], the class
    # count; shrinking the class count alone would draw targets past it, which on a GPU is a
    # device-side assertion in the reference that kills the process.
    task = _task(tmp_path, CLASSES_TASK)
    found, _ = shape_trials.size_constants(task)
    assert found == {"batch_size": 64, "input_shape[0]": 40, "num_classes": 40}
    for attempt in shape_trials.plans(found):
        for sizes in attempt:
            if "input_shape[0]" in sizes or "num_classes" in sizes:
                assert sizes["input_shape[0]"] == sizes["num_classes"]
    for sizes in next(shape_trials.plans(found)):
        with shape_trials.sized(task.module, sizes):
            predictions, targets = task.get_inputs()
            assert int(targets.max()) < predictions.shape[1]


def test_a_constant_get_inputs_does_not_read_stays_even_when_equal_to_a_size(tmp_path):
    task = _task(tmp_path, """
        class Model(nn.Module):
            def __init__(self, groups):
                super().__init__()
                self.groups = groups

            def forward(self, x):
                return x.view(x.shape[0], self.groups, -1).sum(-1)

        batch_size = 8
        features = 64
        groups = 8

        def get_inputs():
            return [torch.rand(batch_size, features)]

        def get_init_inputs():
            return [groups]
    """)
    found, _ = shape_trials.size_constants(task)
    assert found == {"batch_size": 8, "features": 64}


def test_a_task_without_size_constants_is_not_checked_and_says_why(tmp_path):
    task = _task(tmp_path, """
        class Model(nn.Module):
            def forward(self, x):
                return x * 2

        def get_inputs():
            return [torch.rand(12, 40)]

        def get_init_inputs():
            return []
    """)
    outcome = shape_trials.Outcome()
    shape_trials.run(task, shape_trials.VARY, lambda i, s: pytest.fail("no trial to run"),
                     outcome)
    assert outcome.status == shape_trials.NOT_CHECKED
    assert "no module-level integer constant" in outcome.why


def test_shapes_task_checks_nothing(tmp_path):
    outcome = shape_trials.Outcome()
    shape_trials.run(_task(tmp_path, SUM_TASK), shape_trials.TASK,
                     lambda i, s: pytest.fail("no trial to run"), outcome)
    assert (outcome.status, outcome.why) == ("not_checked", "verify_settings.shapes is task")


def test_a_reference_that_raises_at_odd_sizes_gets_gentler_ones(tmp_path):
    task = _task(tmp_path, SUM_TASK)
    seen = []

    def trial(i, sizes):
        if task.module.dim1 % 8:
            raise TaskError("reference_error", "view needs a multiple of 8")
        seen.append(sizes)
    outcome = shape_trials.Outcome()
    shape_trials.run(task, shape_trials.VARY, trial, outcome)
    assert outcome.status == "yes" and len(seen) == 2
    assert all(v % 8 == 0 and v % 16 for s in outcome.sizes for v in
               [int(x.split("=")[1]) for x in s.split(", ") if x.startswith("dim1")])


def test_a_reference_that_always_raises_is_not_checked(tmp_path):
    def trial(i, sizes):
        raise TaskError("reference_error", "Model.forward raised ValueError: no")
    outcome = shape_trials.Outcome()
    shape_trials.run(_task(tmp_path, SUM_TASK), shape_trials.VARY, trial, outcome)
    assert outcome.status == "not_checked" and outcome.why.startswith("the reference raised at")


def test_a_candidate_failing_there_is_shape_specific_and_names_the_sizes(tmp_path):
    def trial(i, sizes):
        raise CandidateError("runtime_error", "calling ModelNew: AssertionError")
    outcome = shape_trials.Outcome()
    with pytest.raises(CandidateError) as e:
        shape_trials.run(_task(tmp_path, SUM_TASK), shape_trials.VARY, trial, outcome)
    assert (e.value.verdict, e.value.reason) == ("wrong_answer", "shape_specific")
    assert "batch_size=7" in e.value.message and "batch_size=16" in e.value.message
    assert outcome.status == "no" and outcome.sizes == [e.value.message.split("(")[1]
                                                        .split(";")[0]]


def test_a_rejection_in_a_shape_trial_stays_a_rejection(tmp_path):
    def trial(i, sizes):
        raise CandidateError("rejected", "candidate modified its inputs", reason="inputs_modified")
    with pytest.raises(CandidateError) as e:
        shape_trials.run(_task(tmp_path, SUM_TASK), shape_trials.VARY, trial,
                         shape_trials.Outcome())
    assert e.value.reason == "inputs_modified"


def test_verify_runs_the_shape_trials_after_the_task_trials(tmp_path):
    task = tmp_path / "relu_sized.py"
    task.write_text(textwrap.dedent("""
        import torch

        class Model(torch.nn.Module):
            def forward(self, x):
                return torch.relu(x)

        batch_size = 8
        dim = 48

        def get_inputs():
            return [torch.randn(batch_size, dim)]

        def get_init_inputs():
            return []
    """))
    result = verify.run({"task_path": str(task), "candidate_path":
                         fixture_path("runtime/cpp_relu_ok.py"), "dsl": "cpp", "device": "cpu",
                         "seed": 3, "trials": 1})
    assert result["verdict"] == "passed", result["message"]
    shape = result["shape_general"]
    assert shape["status"] == "yes" and shape["constants"] == {"batch_size": 8, "dim": 48}
    assert shape["sizes"] == ["batch_size=3, dim=23", "batch_size=1, dim=15"]
    assert [t.get("sizes") for t in result["trials"]] == [None] + shape["sizes"]
    off = verify.run({"task_path": str(task), "candidate_path":
                      fixture_path("runtime/cpp_relu_ok.py"), "dsl": "cpp", "device": "cpu",
                      "seed": 3, "trials": 1, "shapes": "task"})
    assert off["shape_general"]["status"] == "not_checked" and len(off["trials"]) == 1


def test_meta_draws_touch_no_memory(tmp_path):
    task = _task(tmp_path, SUM_TASK.replace("batch_size = 16", "batch_size = 1 << 40"))
    found, _ = shape_trials.size_constants(task)  # a terabyte-sized input, on meta
    assert found["batch_size"] == 1 << 40
    assert torch.empty(0).device.type == "cpu"  # the default device is back
