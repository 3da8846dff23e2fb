"""End-to-end: evolve with a scripted model whose four kernels do 4x, 16x, 64x and 256x the
work of one ReLU pass (measured times at least 4x apart here, call overhead included) ranks
them in that order (fastest first) whatever order they were written in, every speedup
divides by the run's one eager baseline, and the prompts' numbers agree with the ranking."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import CPU_TARGET, FIXTURES

TASK = str(FIXTURES / "llm" / "relu_small.py")
WORK = [256, 4, 64, 16]  # the order the model writes them in
KERNEL = '''One loop applies ReLU {r} times per element (the extra passes change nothing).

```python
import ctypes
import torch
import torch.nn as nn
from akg_harness.native import load_cpp

SOURCE = r"""
#include <cstdint>
extern "C" void relu_rep(float* __restrict out, const float* __restrict x, int64_t n) {{
  for (int64_t i = 0; i < n; ++i) {{
    float v = x[i];
    for (int r = 0; r < {r}; ++r) {{
      asm volatile("" : "+x"(v));
      v = v > 0.0f ? v : 0.0f;
    }}
    out[i] = v;
  }}
}}
"""
_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(SOURCE)
        lib.relu_rep.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        lib.relu_rep.restype = None
        _LIB = lib
    return _LIB.relu_rep


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        _kernel()(out.data_ptr(), x.data_ptr(), x.numel())
        return out
```
'''
CONFIG = """profile_settings: {run_times: 15, warmup_times: 2, baselines: [eager]}
verify_settings: {trials: 1, shapes: task}
search: {rounds: 2, islands: 1, population: 4, elite: 1, migration_interval: 1,
         inspirations: 3, max_candidates: 5, patience: 0, concurrency: 1, seed: 3}
"""


def test_evolve_ranks_kernels_by_their_own_time_and_the_prompts_agree(run_cli, tmp_path):
    replies = [KERNEL.format(r=r) for r in WORK] + [KERNEL.format(r=2)]
    (tmp_path / "replies.json").write_text(json.dumps(replies))
    script = tmp_path / "model.py"
    script.write_text(f"""import json, sys
request = json.load(sys.stdin)
with open({str(tmp_path / 'requests.jsonl')!r}, 'a') as log:
    log.write(json.dumps(request) + '\\n')
if request["agent"] != "kernel_gen":
    print(json.dumps({{"text": "## Computation\\nOne loop.\\n```json\\n{{}}\\n```"}}))
    sys.exit(0)
replies = json.load(open({str(tmp_path / 'replies.json')!r}))
count = {str(tmp_path / 'served.txt')!r}
try:
    n = int(open(count).read())
except FileNotFoundError:
    n = 0
open(count, 'w').write(str(n + 1))
print(json.dumps({{"text": replies[min(n, len(replies) - 1)]}}))
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
    rep = json.loads((tmp_path / "run" / "report.json").read_text())
    board = [row for row in rep["leaderboard"] if row["round"] == 0]
    by_id = {c["id"]: c for c in rep["candidates"]}
    work = [int(row["description"].split("ReLU ")[1].split(" ")[0]) for row in board]
    assert work == sorted(WORK), [(row["id"], row["description"][:30], row["kernel_ms"])
                                  for row in board]
    times = [row["kernel_ms"] for row in rep["leaderboard"]]
    assert times == sorted(times)  # the whole board: fastest first by its own time
    baselines = {row["eager_ms"] for row in rep["leaderboard"]}
    assert len(baselines) == 1, baselines  # one eager baseline for the run
    speedups = [row["speedup_vs_eager"] for row in rep["leaderboard"]]
    assert speedups == sorted(speedups, reverse=True)
    assert all(row["verdict"] == "passed" for row in board) and len(by_id) == 5
    # Round 1's prompt: the parent and inspirations are named with times that agree.
    prompts = [json.loads(line) for line in (tmp_path / "requests.jsonl").read_text().splitlines()
               if json.loads(line)["agent"] == "kernel_gen"]
    last = prompts[-1]["messages"][-1]["content"]
    assert "The fastest of them" in last or "Kernel to improve" in last
    listed = [line for line in last.splitlines() if line.startswith("- ") and " ms, " in line]
    listed_ms = [float(line.split(" ms, ")[0].rsplit(" ", 1)[-1]) for line in listed]
    assert len(listed) >= 2 and listed_ms == sorted(listed_ms), listed
