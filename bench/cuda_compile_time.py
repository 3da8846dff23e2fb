"""nvcc's cost per CUDA C candidate, as the harness pays it: `load_cuda` of each kernel file's
CUDA_SOURCE into a fresh kernel cache (cold: nvcc runs) and again (cached: the library is found
by its content hash and only loaded). Prints one line per kernel and the medians.

    PYTHONPATH=harness AKG_CUDA_ARCH=sm_90 python bench/cuda_compile_time.py KERNEL.py ...
"""
from __future__ import annotations

import ast
import os
import statistics
import sys
import tempfile
import time

from akg_harness import native


def cuda_source(path: str) -> str:
    """The CUDA_SOURCE string assigned at the top level of a candidate file."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "CUDA_SOURCE" for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit(f"{path}: no CUDA_SOURCE")


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    cold, cached = [], []
    with tempfile.TemporaryDirectory() as cache:
        os.environ["AKG_KERNEL_CACHE"] = cache
        for path in paths:
            source = cuda_source(path)
            t0 = time.perf_counter()
            native.load_cuda(source)
            t1 = time.perf_counter()
            native.load_cuda(source)
            t2 = time.perf_counter()
            cold.append(t1 - t0)
            cached.append(t2 - t1)
            print(f"{path}: cold {t1 - t0:.2f} s, cached {1000 * (t2 - t1):.1f} ms, "
                  f"{len(source.splitlines())} lines", flush=True)
    print(f"arch {os.environ.get('AKG_CUDA_ARCH', '(native)')}, {len(paths)} kernels: "
          f"cold median {statistics.median(cold):.2f} s (max {max(cold):.2f}), "
          f"cached median {1000 * statistics.median(cached):.1f} ms (max {1000 * max(cached):.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
