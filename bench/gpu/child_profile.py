"""Where a warm harness child's time goes: imports what the warm server imports, then forks
one child per command (as the server does) and runs verify and then profile of a kernel under
cProfile; prints the elapsed-time notes and the top functions by cumulative time.

python bench/gpu/child_profile.py TASK KERNEL [--baselines eager]  (run from the repository root;
KERNEL: e.g. the kernel.py of an `akg_cli op --workflow kernelgen_only` run, as probe_search_cost.sh does)
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.getcwd(), "harness"))


def child(command: str, request: dict, folder: str) -> None:
    from akg_harness.__main__ import main
    req_path, res_path = os.path.join(folder, f"{command}.json"), os.path.join(folder, f"{command}.out")
    with open(req_path, "w") as f:
        json.dump(request, f)
    prof = cProfile.Profile()
    t = time.monotonic()
    prof.enable()
    code = main([command, "--request", req_path, "--result", res_path])
    prof.disable()
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(35)
    print(f"=== {command}: exit {code} in {time.monotonic() - t:.2f} s\n{s.getvalue()}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("task")
    ap.add_argument("kernel")
    ap.add_argument("--baselines", default="eager")
    ap.add_argument("--no-prime", action="store_true")
    a = ap.parse_args()
    from akg_harness import server
    t = time.monotonic()
    server._warm()
    print(f"warm imports {time.monotonic() - t:.2f} s", flush=True)
    with open("/proc/self/maps") as f:
        mapped = any("libcuda.so" in line for line in f)
    print(f"after imports: libcuda mapped {mapped}, CUDA initialised {server._cuda_initialised()}")
    t = time.monotonic()
    if "--no-prime" not in sys.argv:
        print("prime problems:", server._prime(), f"{time.monotonic() - t:.2f} s", flush=True)
    folder = tempfile.mkdtemp()
    common = {"task_path": os.path.abspath(a.task), "candidate_path": os.path.abspath(a.kernel),
              "device": "cuda", "seed": 0, "dsl": "triton_cuda"}
    requests = [("verify", {**common, "trials": 3, "reference_cache_dir": folder}),
                ("profile", {**common, "warmup_times": 5, "run_times": 30,
                             "baselines": a.baselines.split(",")})]
    for command, request in requests * 2:  # twice: the second pair sees warm on-disk caches
        pid = os.fork()
        if pid == 0:
            os.environ["TRITON_CACHE_DIR"] = os.path.join(folder, "triton")
            child(command, request, folder)
            os._exit(0)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
