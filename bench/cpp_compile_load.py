"""Times how long one cpp-DSL candidate takes to compile and load, cold and warm.

Usage: python bench/cpp_compile_load.py KERNEL.py [--repeats N] [--torch-headers]

KERNEL.py is a candidate file (e.g. runs/<run>/attempts/01/kernel.py). Each measurement is a
fresh Python process that imports the candidate and makes its first forward call on the task's
inputs, minus the same process's import of torch; "cold" uses an empty kernel cache (compile
included), "warm" reuses it (load only). With --torch-headers it also times compiling a
trivial translation unit against <torch/extension.h>, the cost a torch C++ extension pays.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import importlib.util, sys, time, torch
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location("cand", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
model = m.ModelNew()
n_inputs = model.forward.__code__.co_argcount - 1
model(*[torch.randn(64, 1024) for _ in range(n_inputs)])
print(time.perf_counter() - t0)
"""


def one_run(kernel: str, cache: str) -> float:
    env = dict(os.environ, AKG_KERNEL_CACHE=cache)
    out = subprocess.run([sys.executable, "-c", CHILD, kernel], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def torch_header_compile() -> float:
    from torch.utils.cpp_extension import include_paths
    src = "#include <torch/extension.h>\nat::Tensor f(at::Tensor x) { return x; }\n"
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.cpp")
        with open(path, "w") as f:
            f.write(src)
        flags = [f"-I{p}" for p in include_paths()]
        import sysconfig
        flags.append(f"-I{sysconfig.get_paths()['include']}")
        t0 = time.perf_counter()
        subprocess.run(["g++", "-std=c++17", "-O3", "-fPIC", "-c", path, "-o",
                        os.path.join(d, "t.o"), *flags], check=True)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("kernel")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--torch-headers", action="store_true")
    args = ap.parse_args()
    cold, warm = [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(one_run(args.kernel, cache))
            warm.append(one_run(args.kernel, cache))
    print(f"cpp candidate compile+load+first call, cold cache: median {statistics.median(cold):.3f} s "
          f"(min {min(cold):.3f}, max {max(cold):.3f}, n={len(cold)})")
    print(f"cpp candidate load+first call, warm cache:        median {statistics.median(warm):.3f} s "
          f"(min {min(warm):.3f}, max {max(warm):.3f}, n={len(warm)})")
    if args.torch_headers:
        print(f"one trivial TU against <torch/extension.h> (-O3):  {torch_header_compile():.1f} s")


if __name__ == "__main__":
    main()
