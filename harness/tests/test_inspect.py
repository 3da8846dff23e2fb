"""inspect: descriptions, graph nodes and roles, fallback to torch.fx, error kinds."""
import pytest

from akg_harness import inspect_task
from conftest import inspect_request


def _nodes(result):
    return {n["name"]: n for n in result["graph"]["nodes"]}


def test_relu_task_is_described_with_an_aten_graph():
    result = inspect_task.run(inspect_request("relu_task.py"))
    assert result["ok"] and result["device_used"] == "cpu" and result["graph_error"] is None
    assert result["inputs"] == [{"index": 0, "kind": "tensor", "shape": [4, 8],
                                 "dtype": "float32"}]
    assert result["outputs"][0]["shape"] == [4, 8]
    assert result["reference_ms"] >= 0
    nodes = _nodes(result)
    assert result["graph"]["source"] == "torch.export"
    assert nodes["x"]["role"] == "user_input" and nodes["x"]["index"] == 0
    assert nodes["relu"]["target"] == "aten.relu.default"
    assert nodes["relu"]["args"] == [{"node": "x"}] and nodes["relu"]["shape"] == [4, 8]
    assert nodes["output"]["args"] == [[{"node": "relu"}]]


def test_broadcast_add_keeps_both_input_shapes():
    result = inspect_task.run(inspect_request("add_broadcast_task.py"))
    shapes = [i["shape"] for i in result["inputs"]]
    assert shapes == [[4, 8], [8]]
    add = next(n for n in result["graph"]["nodes"] if n["op"] == "call_function")
    assert add["target"] == "aten.add.Tensor" and add["shape"] == [4, 8]


def test_parameters_buffers_scalars_and_kwargs_are_described():
    result = inspect_task.run(inspect_request("linear_gelu_task.py"))
    assert result["init_inputs"] == [
        {"index": 0, "kind": "scalar", "value": 8, "type": "int"},
        {"index": 1, "kind": "scalar", "value": 6, "type": "int"}]
    assert result["inputs"][1] == {"index": 1, "kind": "scalar", "value": 2.0, "type": "float"}
    assert {p["name"]: p["shape"] for p in result["parameters"]} == {
        "linear.weight": [6, 8], "linear.bias": [6]}
    assert result["buffers"] == [{"name": "shift", "shape": [6], "dtype": "float32"}]
    placeholders = [n for n in result["graph"]["nodes"] if n["op"] == "placeholder"]
    roles = {(n["role"], n.get("target"), n.get("index")) for n in placeholders}
    assert roles == {("parameter", "linear.weight", None), ("parameter", "linear.bias", None),
                     ("buffer", "shift", None), ("user_input", None, 0),
                     ("user_input", None, 1)}
    calls = {n["target"]: n for n in result["graph"]["nodes"] if n["op"] == "call_function"}
    assert calls["aten.gelu.default"]["kwargs"] == {"approximate": "tanh"}
    assert calls["aten.mul.Tensor"]["args"][1] == 2.0


def test_falls_back_to_torch_fx_when_export_fails():
    result = inspect_task.run(inspect_request("fx_only_task.py"))
    assert result["ok"] and result["graph_error"] is None
    graph = result["graph"]
    assert graph["source"] == "torch.fx" and graph["export_error"].startswith("torch.export")
    targets = [n.get("target") for n in graph["nodes"]]
    assert any(t and t.endswith("host_double") for t in targets)
    relu = next(n for n in graph["nodes"] if n.get("target") == "torch.relu")
    assert relu["shape"] == [4, 8]


@pytest.mark.parametrize("task, kind, needle", [
    ("import_fails_task.py", "load_error", "ModuleNotFoundError"),
    ("no_such_task_file.py", "load_error", "FileNotFoundError"),
    ("no_model_task.py", "missing_model", "Model"),
    ("no_get_inputs_task.py", "missing_get_inputs", "get_inputs"),
    ("forward_raises_task.py", "reference_error", "ValueError: the reference is broken"),
])
def test_broken_tasks_give_the_matching_error_kind(task, kind, needle):
    result = inspect_task.run(inspect_request(task))
    assert result["ok"] is False
    assert result["error"]["kind"] == kind and needle in result["error"]["message"]
    assert "\n" not in result["error"]["message"]
