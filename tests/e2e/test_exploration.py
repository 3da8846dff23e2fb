"""End-to-end: evolve's round 0 with a deterministic model (its reply a pure function of the
prompt, as a cached or temperature-0 model behaves) gets as many distinct kernels as it has
candidates, because each from-scratch prompt carries its own direction from the optimise
skills, and the per-call seed reaches the provider."""
from __future__ import annotations

import json
import sys

from conftest import CPU_TARGET, FIXTURES

TASK = str(FIXTURES / "llm" / "relu_small.py")
KERNEL = '''ReLU in one OpenMP loop.

```python
# prompt {digest}
import ctypes
import torch
import torch.nn as nn
from akg_harness.native import load_cpp

SOURCE = r"""
#include <cstdint>
extern "C" void relu(float* __restrict out, const float* __restrict x, int64_t n) {{
  #pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}}
"""
_LIB = load_cpp(SOURCE)
_LIB.relu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
_LIB.relu.restype = None


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        _LIB.relu(out.data_ptr(), x.data_ptr(), x.numel())
        return out
```
'''
CONFIG = """profile_settings: {run_times: 3, warmup_times: 1, baselines: [eager]}
verify_settings: {trials: 1, shapes: task}
search: {rounds: 1, islands: 2, population: 4, elite: 1, migration_interval: 0,
         inspirations: 1, max_candidates: 8, patience: 0, concurrency: 2, seed: 11}
"""


def test_round_zero_of_a_deterministic_model_gets_distinct_kernels(run_cli, tmp_path):
    (tmp_path / "kernel.txt").write_text(KERNEL)
    script = tmp_path / "model.py"
    script.write_text(f"""import hashlib, json, sys
request = json.load(sys.stdin)
with open({str(tmp_path / 'requests.jsonl')!r}, 'a') as log:
    log.write(json.dumps(request) + '\\n')
if request["agent"] != "kernel_gen":
    print(json.dumps({{"text": "## Computation\\nOne loop.\\n```json\\n{{}}\\n```"}}))
    sys.exit(0)
prompt = json.dumps(request["messages"], sort_keys=True)
digest = hashlib.sha256(prompt.encode()).hexdigest()[:16]
print(json.dumps({{"text": open({str(tmp_path / 'kernel.txt')!r}).read().format(digest=digest)}}))
""")
    (tmp_path / ".akg").mkdir()
    (tmp_path / ".akg" / "settings.yaml").write_text(
        f"models:\n  local:\n    provider: command\n    command: [{sys.executable}, {script}]\n"
        "levels: {complex: local, standard: local, fast: local}\n")
    (tmp_path / "search.yaml").write_text(CONFIG)
    r = run_cli("op", *CPU_TARGET, "--task", TASK, "--workflow", "evolve", "--config",
                str(tmp_path / "search.yaml"), "--out", "run",
                env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")}, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    kernels = [p.read_text() for p in sorted((tmp_path / "run" / "candidates").glob("*/kernel.py"))]
    assert len(kernels) == 8
    assert len(set(kernels)) == 8  # a deterministic model, eight different prompts
    requests = [json.loads(line) for line in
                (tmp_path / "requests.jsonl").read_text().splitlines()]
    gens = [q for q in requests if q["agent"] == "kernel_gen"]
    assert all("Build yours around this one" in q["messages"][-1]["content"] for q in gens)
    # Every candidate's own seed reaches the provider (seed 0, "no variation", sends none).
    seeds = [q.get("seed") for q in gens]
    assert len(set(seeds)) == 8 and sum(s is not None for s in seeds) >= 7
