"""Times the pieces a verify is made of, at a task's own size, on one device: drawing the
inputs (get_inputs() on the CPU and the copy, or on the device), the reference call, saving a
reference-cache entry, the scrambling of the reference outputs (hidden()), the chunked
comparison, and a float64 reference. One JSON line per piece, then the peak device memory.

    PYTHONPATH=harness python bench/gpu/verify_probe.py TASK.py [cuda|cpu]
"""
from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
import time

import torch

from akg_harness import compare, reference_cache, values
from akg_harness.devices import resolve
from akg_harness.task import build_reference, init_inputs, load_task, run_reference


def timed(name: str, fn, plan, **extra):
    plan.synchronize()
    start = time.perf_counter()
    out = fn()
    plan.synchronize()
    seconds = time.perf_counter() - start
    print(json.dumps({"piece": name, "s": round(seconds, 4), **extra}), flush=True)
    return out


def main() -> None:
    path, device = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "cuda")
    plan = timed("resolve (CUDA start)", lambda: resolve(device, "triton_cuda"), resolve("cpu", None))
    if plan.is_cuda:
        timed("cuda init", lambda: torch.zeros(1, device=plan.device), plan)
    task = load_task(path)
    model = build_reference(task, init_inputs(task, 0), 0, plan)

    def cpu_draw():
        torch.manual_seed(0)
        return list(task.get_inputs())
    host = timed("get_inputs on the CPU", cpu_draw, plan)
    nbytes = sum(t.numel() * t.element_size() for t in values.iter_tensors(host))
    inputs = timed("copy to the device", lambda: values.to_device(host, plan.device), plan,
                   bytes=nbytes)
    del host

    def device_draw():
        torch.manual_seed(0)
        with torch.device(plan.device):
            return list(task.get_inputs())
    if plan.is_cuda:
        again = timed("get_inputs on the device", device_draw, plan)
        del again
    out = timed("reference call (first)", lambda: values.flatten_outputs(
        run_reference(model, values.clone(inputs), plan)), plan)
    timed("reference call (warm)", lambda: run_reference(model, values.clone(inputs), plan), plan)
    timed("clone of the inputs", lambda: values.clone(inputs), plan)
    with tempfile.TemporaryDirectory() as tmp:
        def save():
            entry = {"first": reference_cache._to_cpu(out), "second": reference_cache._to_cpu(out)}
            torch.save(entry, os.path.join(tmp, "ref.pt"))
        timed("reference cache save (two outputs)", save, plan)
    key = 0x5DEECE66D | 1
    timed("hidden(): xor both outputs twice", lambda: [values.xor_bits([out, out], key)
                                                       for _ in range(2)], plan)
    cand = values.clone(out)
    timed("compare (chunked, float64)", lambda: compare.compare_outputs(cand, out, None, None),
          plan)
    try:
        def ref64():
            m64 = copy.deepcopy(model).double()
            x64 = values.map_tensors(inputs, lambda t: t.double() if t.is_floating_point() else t)
            return values.flatten_outputs(run_reference(m64, x64, plan))
        exact = timed("float64 reference", ref64, plan)
        del exact
    except Exception as e:  # noqa: BLE001 - a probe reports every failure
        print(json.dumps({"piece": "float64 reference", "error": str(e)[:200]}))
    if plan.is_cuda:
        print(json.dumps({"piece": "peak device memory", "GiB":
                          round(torch.cuda.max_memory_allocated(plan.device) / 2**30, 2),
                          "inputs_GiB": round(nbytes / 2**30, 2)}))


if __name__ == "__main__":
    main()
