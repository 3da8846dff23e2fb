"""The process ncu measures for `counters` (akg_harness.counters): one untimed call of the
candidate, then one between cudaProfilerStart and cudaProfilerStop.

`python -m akg_harness.counters_target REQUEST.json`, the request holding task_path,
candidate_path, dsl and seed. Exit 0 after the measured call; a failure prints its one line and
exits 1 (the `counters` command reports it).
"""
from __future__ import annotations

import json
import sys

import torch

from . import candidate
from .devices import resolve
from .errors import CandidateError, RequestError, TaskError
from .task import draw_inputs, init_inputs, load_task


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as f:
        request = json.load(f)
    seed = int(request["seed"])
    try:
        plan = resolve("cuda", request["dsl"])
        task = load_task(request["task_path"])
        init = init_inputs(task, seed)
        model = candidate.construct(candidate.load_candidate(request["candidate_path"]), init,
                                    seed, plan)
        inputs = draw_inputs(task, seed, plan)
        candidate.call(model, inputs, plan)  # compiles, warms caches: not measured
        torch.cuda.cudart().cudaProfilerStart()
        candidate.call(model, inputs, plan)
        torch.cuda.cudart().cudaProfilerStop()
    except (CandidateError, TaskError) as e:
        print(f"counters_target: {e.message}", file=sys.stderr)
        return 1
    except RequestError as e:  # no CUDA device visible
        print(f"counters_target: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
