"""The reference's operator graph as JSON, for the builtin model and the prompts.

torch.export gives aten-level nodes with shapes from fake tensors and a signature that says
which placeholders are user inputs, parameters, buffers or constants. When export fails (data-
dependent control flow, unsupported Python), torch.fx.symbolic_trace gives Python-level nodes,
with shapes from a ShapeProp run. See docs/HARNESS_PROTOCOL.md, `inspect`, for the encoding.
"""
from __future__ import annotations

import inspect
import math
from typing import Any

import torch
import torch.fx
import torch.utils._pytree as pytree
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

from .errors import one_line
from .values import dtype_name

_ROLES = {"USER_INPUT": "user_input", "PARAMETER": "parameter", "BUFFER": "buffer",
          "CONSTANT_TENSOR": "constant"}
_REPR_TYPES = (torch.dtype, torch.memory_format, torch.layout)


def encode_arg(arg: Any) -> Any:
    """A node argument as JSON: node references, scalars, lists, else a repr."""
    if isinstance(arg, torch.fx.Node):
        return {"node": arg.name}
    if arg is None or isinstance(arg, (bool, int, str)):
        return arg
    if isinstance(arg, float):
        return arg if math.isfinite(arg) else {"repr": repr(arg)}
    if isinstance(arg, (list, tuple)):
        return [encode_arg(a) for a in arg]
    if isinstance(arg, dict):
        return {str(k): encode_arg(v) for k, v in arg.items()}
    if isinstance(arg, _REPR_TYPES):
        return {"repr": str(arg)}
    return {"repr": repr(arg)}


def _dim(size: Any) -> int | str:
    try:
        return int(size)
    except (TypeError, ValueError, RuntimeError):  # an unbacked symbolic size
        return str(size)


def _tensor_fields(shape: Any, dtype: torch.dtype) -> dict[str, Any]:
    return {"shape": [_dim(s) for s in shape], "dtype": dtype_name(dtype)}


def _value_fields(value: Any) -> dict[str, Any]:
    """shape/dtype for a tensor value, `value` for a scalar, `outputs` for a tuple."""
    if isinstance(value, torch.Tensor):
        return _tensor_fields(value.shape, value.dtype)
    if isinstance(value, TensorMetadata):
        return _tensor_fields(value.shape, value.dtype)
    if isinstance(value, (bool, int, float)) and not isinstance(value, torch.SymInt):
        return {"value": encode_arg(value)}
    if isinstance(value, (list, tuple)) and value:
        parts = [_value_fields(v) for v in value]
        if all("shape" in p for p in parts):
            return {"outputs": parts}
    return {}


def _target_name(node: torch.fx.Node) -> str:
    target = node.target
    if isinstance(target, str):
        return target
    if isinstance(target, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
        return str(target)
    try:
        return torch.fx.node._get_qualified_name(target)
    except Exception:  # a private helper; fall back to a readable name
        module = getattr(target, "__module__", None) or "builtins"
        return f"{module}.{getattr(target, '__qualname__', repr(target))}"


def _node_json(node: torch.fx.Node, value: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": node.name, "op": node.op}
    if node.op == "output":
        entry["args"] = encode_arg(list(node.args))
        return entry
    if node.op != "placeholder":
        entry["target"] = _target_name(node)
        entry["args"] = encode_arg(list(node.args))
        entry["kwargs"] = encode_arg(dict(node.kwargs))
    entry.update(_value_fields(value))
    return entry


def _leaf_arg_indexes(inputs: list[Any]) -> list[int]:
    """For each pytree leaf of the forward's arguments, the argument it came from."""
    indexes: list[int] = []
    for i, arg in enumerate(inputs):
        indexes.extend([i] * len(pytree.tree_leaves(arg)))
    return indexes


def from_export(model: torch.nn.Module, inputs: list[Any]) -> dict[str, Any]:
    program = torch.export.export(model, tuple(inputs))
    specs = {s.arg.name: s for s in program.graph_signature.input_specs
             if hasattr(s.arg, "name")}
    user_names = [s.arg.name for s in program.graph_signature.input_specs
                  if s.kind.name == "USER_INPUT" and hasattr(s.arg, "name")]
    leaves = _leaf_arg_indexes(inputs)
    arg_index = leaves if len(leaves) == len(user_names) else list(range(len(user_names)))
    nodes = []
    for node in program.graph.nodes:
        entry = _node_json(node, node.meta.get("val"))
        spec = specs.get(node.name) if node.op == "placeholder" else None
        if spec is not None:
            role = _ROLES.get(spec.kind.name, spec.kind.name.lower())
            placeholder = {"name": node.name, "op": node.op, "role": role}
            if role == "user_input":
                placeholder["index"] = arg_index[user_names.index(node.name)]
            elif spec.target is not None:
                placeholder["target"] = spec.target
            entry = {**placeholder, **{k: v for k, v in entry.items() if k not in placeholder}}
        nodes.append(entry)
    return {"source": "torch.export", "nodes": nodes}


def _trace(model: torch.nn.Module, inputs: list[Any]) -> torch.fx.GraphModule:
    try:
        return torch.fx.symbolic_trace(model)
    except Exception:
        # Control flow on a non-tensor argument: trace again with those arguments fixed.
        params = list(inspect.signature(model.forward).parameters)
        concrete = {params[i]: v for i, v in enumerate(inputs)
                    if i < len(params) and not isinstance(v, torch.Tensor)}
        if not concrete:
            raise
        return torch.fx.symbolic_trace(model, concrete_args=concrete)


def from_fx(model: torch.nn.Module, inputs: list[Any]) -> dict[str, Any]:
    traced = _trace(model, inputs)
    try:
        with torch.no_grad():
            ShapeProp(traced).propagate(*inputs)
    except Exception:  # shapes are a courtesy here; the nodes alone still help
        pass
    nodes, index = [], 0
    for node in traced.graph.nodes:
        entry = _node_json(node, node.meta.get("tensor_meta"))
        if node.op == "placeholder":
            entry = {"name": node.name, "op": node.op, "role": "user_input", "index": index,
                     **{k: v for k, v in entry.items() if k not in ("name", "op")}}
            index += 1
        nodes.append(entry)
    return {"source": "torch.fx", "nodes": nodes}


def describe_graph(model: torch.nn.Module, inputs: list[Any]
                   ) -> tuple[dict[str, Any] | None, str | None]:
    """(graph, None) from torch.export, else from torch.fx; (None, why) when both fail.

    A graph from the fallback carries `export_error`, the reason torch.export gave up.
    """
    try:
        return from_export(model, inputs), None
    except Exception as e:
        export_error = f"torch.export: {one_line(e)}"
    try:
        graph = from_fx(model, inputs)
        graph["export_error"] = export_error
        return graph, None
    except Exception as e:
        return None, f"{export_error}; torch.fx: {one_line(e)}"
