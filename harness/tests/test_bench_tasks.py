"""The benchmark suite bench/tasks/: its small variants are what make_small.py writes, each
small variant runs on the CPU and gives a finite, repeatable answer, and the GPU-sized tasks
keep their inputs under 8 GiB (measured on the meta device, so nothing is allocated)."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
import torch

from akg_harness import shape_trials, values
from akg_harness.task import load_task

REPO = Path(__file__).resolve().parents[2]
TASKS = REPO / "bench" / "tasks"
SMALL = TASKS / "small"
GIB = 2 ** 30
INPUT_LIMIT = 8 * GIB
FAMILIES = {"pointwise": 6, "reduce": 7, "normalize": 8, "matmul": 9, "pool": 4, "scan": 3,
            "loss": 5, "conv": 3}
ESTIMATE = re.compile(r"^# H200 eager estimate: ~[0-9.]+ ms \(.+\)$", re.M)


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_small = _load(TASKS / "make_small.py", "bench_tasks_make_small")
GPU_FILES = make_small.task_files()
NAMES = [p.stem for p in GPU_FILES]


def _nbytes(drawn) -> int:
    return sum(t.numel() * t.element_size() for t in values.iter_tensors(list(drawn)))


def test_suite_covers_the_families():
    counts = {f: sum(n.startswith(f + "_") for n in NAMES) for f in FAMILIES}
    assert counts == FAMILIES
    assert len(NAMES) == sum(FAMILIES.values()) >= 44


def test_make_small_regenerates_the_committed_files():
    wanted = make_small.generate()
    assert sorted(p.name for p in wanted) == sorted(p.name for p in SMALL.glob("*.py"))
    for path, text in wanted.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is out of date"
    assert make_small.main(["--check"]) == 0


def test_every_task_has_a_small_variant_and_back():
    assert sorted(NAMES) == sorted(p.stem for p in SMALL.glob("*.py"))
    assert sorted(NAMES) == sorted(make_small.SMALL)


@pytest.mark.parametrize("name", NAMES)
def test_gpu_task_states_its_estimate(name):
    text = (TASKS / f"{name}.py").read_text(encoding="utf-8")
    assert len(ESTIMATE.findall(text)) == 1


@pytest.mark.parametrize("name", NAMES)
def test_gpu_sizes_stay_under_8_gib_and_vary(name):
    task = load_task(str(TASKS / f"{name}.py"))
    with torch.device("meta"):
        inputs = task.get_inputs()
        model = task.model_cls(*task.get_init_inputs())
    size = _nbytes(inputs)
    assert 0 < size < INPUT_LIMIT, f"{name}: inputs are {size / GIB:.2f} GiB"
    params = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    assert size + params < INPUT_LIMIT
    # The harness's shape trials find the size constants (read at call time), and every one
    # of them has a small value, so no small variant keeps a GPU-sized axis.
    constants, why = shape_trials.size_constants(task)
    assert constants, why
    assert set(constants) <= set(make_small.SMALL[name]), set(constants)


@pytest.mark.parametrize("name", NAMES)
def test_small_variant_runs_on_the_cpu(name):
    task = load_task(str(SMALL / f"{name}.py"))

    def run():
        torch.manual_seed(1234)
        model = task.model_cls(*task.get_init_inputs())
        inputs = task.get_inputs()
        with torch.no_grad():
            return model(*inputs), _nbytes(inputs)

    out, size = run()
    assert 0 < size <= 16 * 2 ** 20, f"{name}: small inputs are {size} bytes"
    outs = list(values.iter_tensors([out]))
    assert outs, f"{name}: forward returned no tensor"
    for t in outs:
        assert t.device.type == "cpu"
        if t.is_floating_point():
            assert torch.isfinite(t).all(), f"{name}: non-finite output"
    again, _ = run()
    for a, b in zip(outs, values.iter_tensors([again])):
        assert torch.equal(a, b), f"{name}: not deterministic under one seed"
    # Each listed small constant is read when get_inputs/get_init_inputs run.
    for const, value in make_small.SMALL[name].items():
        before = ([list(t.shape) for t in values.iter_tensors(list(_meta(task)))],
                  list(task.get_init_inputs()))
        with shape_trials.sized(task.module, {const: value + 2}):
            after = ([list(t.shape) for t in values.iter_tensors(list(_meta(task)))],
                     list(task.get_init_inputs()))
        assert before != after, f"{name}: {const} is not read at call time"


def _meta(task):
    with torch.device("meta"):
        return task.get_inputs()
