"""End-to-end: the real akg_cli with LLM providers (loopback OpenAI and Anthropic servers, the
command provider) and replay of a recorded run."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import CPU_TARGET, FIXTURES
from llm_server import LoopbackLLM

LLM = FIXTURES / "llm"
TASK = str(LLM / "relu_small.py")
FAST = str(FIXTURES / "fast.yaml")
REPLIES = json.loads((LLM / "replies.json").read_text())
KEY = "sk-e2e-very-secret-4242"


def write_settings(tmp_path: Path, text: str) -> None:
    (tmp_path / ".akg").mkdir(exist_ok=True)
    (tmp_path / ".akg" / "settings.yaml").write_text(text)


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    # No user settings from the developer's home; the key only in the environment.
    return {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "E2E_LLM_KEY": KEY, **extra}


def openai_settings(url: str) -> str:
    return f"""models:
  loop:
    provider: openai
    base_url: {url}/v1
    api_key_env: E2E_LLM_KEY
    model: loop-coder
    retry: {{max_retries: 2, base_delay_s: 0.01}}
    price: {{input_per_mtok: 1.0, output_per_mtok: 2.0}}
levels: {{complex: loop, standard: loop, fast: loop}}
"""


def all_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_default_workflow_against_openai_loopback_feeds_failure_back(run_cli, tmp_path):
    with LoopbackLLM([REPLIES["design"], REPLIES["bad"], REPLIES["good"]], fail_first=1) as llm:
        write_settings(tmp_path, openai_settings(llm.url))
        r = run_cli("op", *CPU_TARGET, "--task", TASK, "--config", FAST, "--out", "run",
                    env=env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    # 429 once (retried), then designer, kernel_gen (wrong), kernel_gen (fixed).
    assert len(llm.requests) == 4
    assert llm.requests[1]["headers"].get("Authorization") == f"Bearer {KEY}"
    assert llm.requests[1]["body"]["stream"] is True
    prompts = llm.prompts()
    assert "torch.relu" in prompts[2]            # kernel_gen sees the task
    assert "wrong_answer" in prompts[3]          # ...and the verifier's verdict next time
    run = tmp_path / "run"
    report = json.loads((run / "report.json").read_text())
    assert report["llm"]["calls"] == 3
    assert report["llm"]["input_tokens"] == 3000
    assert report["llm"]["cost"] > 0
    assert (run / "llm" / "transcript.jsonl").exists()
    assert len(list((run / "llm").glob("*.prompt.md"))) == 3
    assert "0.0f" in (run / "kernel.py").read_text()
    assert KEY not in all_text(run) and KEY not in r.stdout + r.stderr


def test_replay_reproduces_the_recorded_run_without_a_server(run_cli, tmp_path):
    with LoopbackLLM([REPLIES["design"], REPLIES["bad"], REPLIES["good"]]) as llm:
        write_settings(tmp_path, openai_settings(llm.url))
        first = run_cli("op", *CPU_TARGET, "--task", TASK, "--config", FAST, "--out", "run1",
                        env=env(tmp_path))
    assert first.returncode == 0, first.stderr
    second = run_cli("op", *CPU_TARGET, "--task", TASK, "--config", FAST, "--out", "run2",
                     "--replay", "run1", env=env(tmp_path))
    assert second.returncode == 0, second.stdout + second.stderr
    assert (tmp_path / "run1/kernel.py").read_text() == (tmp_path / "run2/kernel.py").read_text()
    assert "replay" in second.stdout + second.stderr


def test_anthropic_loopback_coder_only(run_cli, tmp_path):
    with LoopbackLLM([REPLIES["good"]]) as llm:
        write_settings(tmp_path, f"""models:
  claude:
    provider: anthropic
    base_url: {llm.url}
    api_key_env: E2E_LLM_KEY
    model: claude-loop
levels: {{standard: claude}}
""")
        r = run_cli("op", *CPU_TARGET, "--task", TASK, "--config", FAST, "--out", "run",
                    "--workflow", "coder_only", env=env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert llm.requests[0]["path"] == "/v1/messages"
    assert llm.requests[0]["headers"].get("x-api-key") == KEY


def test_command_provider_and_a_reply_without_code_is_fed_back(run_cli, tmp_path):
    script = tmp_path / "model.py"
    state = tmp_path / "served.txt"
    (tmp_path / "replies.json").write_text(json.dumps(
        [REPLIES["design"], REPLIES["noise"], REPLIES["good"]]))
    script.write_text(f"""import json, sys
request = json.load(sys.stdin)
replies = json.load(open({str(tmp_path / 'replies.json')!r}))
served_path = {str(state)!r}
try:
    n = int(open(served_path).read())
except FileNotFoundError:
    n = 0
open(served_path, 'w').write(str(n + 1))
with open(served_path + '.log', 'a') as log:
    log.write(json.dumps(request) + '\\n')
print(json.dumps({{"text": replies[min(n, len(replies) - 1)],
                  "usage": {{"input_tokens": 10, "output_tokens": 5}}}}))
""")
    write_settings(tmp_path, f"""models:
  local:
    provider: command
    command: [{sys.executable}, {script}]
levels: {{standard: local}}
""")
    r = run_cli("op", *CPU_TARGET, "--task", TASK, "--config", FAST, "--out", "run",
                env=env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    log = [json.loads(line) for line in Path(str(state) + ".log").read_text().splitlines()]
    assert [entry["agent"] for entry in log] == ["kernel_designer", "kernel_gen", "kernel_gen"]
    assert "ModelNew" in log[2]["messages"][-1]["content"]  # the problem was named


def test_unreachable_server_is_a_clear_failure(run_cli, tmp_path):
    write_settings(tmp_path, """models:
  dead:
    base_url: http://127.0.0.1:9/v1
    model: m
    retry: {max_retries: 0}
levels: {standard: dead}
""")
    r = run_cli("op", *CPU_TARGET, "--task", TASK, "--config", FAST, "--out", "run",
                "--workflow", "coder_only", env=env(tmp_path))
    assert r.returncode != 0
    assert "127.0.0.1:9" in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 3, r.stderr


def test_bad_settings_file_is_one_line_and_no_run_folder(run_cli, tmp_path):
    write_settings(tmp_path, "models:\n  a:\n    provider: gemini\n")
    r = run_cli("op", *CPU_TARGET, "--task", TASK, "--out", "run", env=env(tmp_path))
    assert r.returncode == 2
    assert "models.a.provider" in r.stderr and ".akg/settings.yaml" in r.stderr
    assert not (tmp_path / "run").exists()


COMPLETED_TASK = '''Here is the completed task.

```python
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(x)


def get_inputs():
    return [torch.randn(64, 1024)]


def get_init_inputs():
    return []
```
'''


def test_pasted_code_without_get_inputs_is_completed_by_the_llm(tmp_path):
    import subprocess
    from conftest import CLI, cli_env
    pasted = "import torch\n\nclass Model(torch.nn.Module):\n    def forward(self, x):\n" \
             "        return torch.relu(x)\n"
    with LoopbackLLM([COMPLETED_TASK, REPLIES["design"], REPLIES["good"]]) as llm:
        write_settings(tmp_path, openai_settings(llm.url))
        r = subprocess.run([str(CLI), "op", *CPU_TARGET, "--task", "-", "--config", FAST,
                            "--out", "run"], input=pasted, cwd=tmp_path, env=cli_env(env(tmp_path)),
                           capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "get_inputs" in llm.prompts()[0]
    assert "def get_inputs" in (tmp_path / "run" / "task.py").read_text()
    assert json.loads((tmp_path / "run/report.json").read_text())["llm"]["by_agent"][
        "task_constructor"]["calls"] == 1


def test_sentence_becomes_a_task_written_by_the_llm(run_cli, tmp_path):
    with LoopbackLLM([COMPLETED_TASK, REPLIES["design"], REPLIES["good"]]) as llm:
        write_settings(tmp_path, openai_settings(llm.url))
        r = run_cli("op", *CPU_TARGET, "--intent", "rectified linear unit over a 64x1024 batch",
                    "--config", FAST, "--out", "run", env=env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "rectified linear unit" in llm.prompts()[0]
    assert "torch.relu" in (tmp_path / "run" / "task.py").read_text()
