"""The interactive session, driven in a pseudo-terminal as a user would drive it."""
from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time
from pathlib import Path

import pytest

from conftest import CLI, CPU_TARGET, FIXTURES, cli_env

SMALL = (FIXTURES / "small_chain.py").read_text()

# A task whose reference takes 1 s per call: inspect calls it once, a verify a dozen times.
SLOW_VERIFY = """import time
import torch

class Model(torch.nn.Module):
    def forward(self, x):
        time.sleep(1.0)
        return torch.relu(x)

def get_inputs():
    return [torch.randn(64)]

def get_init_inputs():
    return []
"""


class Session:
    """akg_cli op with a target and no task, on a pty: the user's terminal."""

    def __init__(self, tmp_path: Path, *extra: str):
        self.log = ""
        self.env = cli_env({"XDG_STATE_HOME": str(tmp_path / "state"),
                            "XDG_DATA_HOME": str(tmp_path / "data"), "TERM": "xterm"})
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its controlling terminal
            os.chdir(tmp_path)
            os.execve(str(CLI), [str(CLI), "op", *CPU_TARGET, *extra], self.env)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.seen = 0  # what expect() has matched up to

    def read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            try:
                self.log += os.read(self.fd, 65536).decode(errors="replace")
            except OSError:  # the child closed the terminal
                time.sleep(timeout)

    def expect(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            at = self.log.find(text, self.seen)
            if at >= 0:
                self.seen = at + len(text)
                return self.log
            self.read(0.2)
        raise AssertionError(f"{text!r} did not appear within {timeout} s; output:\n{self.log[-4000:]}")

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def line(self, text: str) -> None:
        self.send(text + "\r")

    def wait(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            self.read(0.2)
        state = Path(f"/proc/{self.pid}/status").read_text().splitlines()[1:3]
        wchan = Path(f"/proc/{self.pid}/wchan").read_text()
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError(f"the session did not end ({state}, {wchan}); output:\n{self.log[-4000:]}")


@pytest.fixture
def fast_config(tmp_path):
    return str(FIXTURES / "fast.yaml")


def test_a_sentence_runs_after_confirmation_and_the_history_survives_a_restart(tmp_path, fast_config):
    s = Session(tmp_path, "--config", fast_config)
    s.expect("interactive session: cpu/x86_64/cpp")
    s.expect("akg> ")
    s.line("/workflow kernelgen_only")  # a slash command
    s.expect("workflow: kernelgen_only")
    s.expect("akg> ")
    s.line("Generate a relu kernel")
    s.expect("task 'intent'")
    s.expect("inputs:")
    s.expect("run it with the kernelgen_only workflow?")
    s.line("y")
    s.expect("UNVERIFIED")
    s.expect("run folder")
    s.expect("akg> ")
    s.line("/runs")  # the history this session's run went into
    s.expect("intent")
    s.expect("akg> ")
    s.send("\x04")  # Ctrl-D leaves
    assert s.wait() == 0
    # libedit's own file format: a header line, then entries with spaces written as \040.
    history = (tmp_path / "state" / "akg" / "history").read_text().replace("\\040", " ")
    assert "Generate a relu kernel" in history.splitlines()

    again = Session(tmp_path, "--config", fast_config)
    again.expect("akg> ")
    again.send("\x1b[A\x1b[A")  # the previous session's entries come back: /runs, the sentence
    again.expect("Generate a relu kernel")
    again.send("\x15")  # Ctrl-U clears it
    again.line("/exit")
    assert again.wait() == 0


def test_a_bracketed_paste_is_taken_as_code_and_can_be_declined(tmp_path):
    s = Session(tmp_path)
    s.expect("akg> ")
    s.send("\x1b[200~" + SMALL.replace("\n", "\r") + "\x1b[201~")
    s.expect("[pasted")
    s.expect("task 'pasted'")
    s.expect("float32 [8, 33, 40]")
    s.expect("run it with")
    s.line("n")
    s.expect("discarded")
    s.expect("akg> ")
    s.line("/exit")
    assert s.wait() == 0


def test_an_unbracketed_paste_arriving_at_once_is_code_too(tmp_path):
    s = Session(tmp_path)
    s.expect("akg> ")
    s.send(SMALL.replace("\n", "\r"))
    s.expect("task 'pasted'")
    s.expect("run it with")
    s.line("n")
    s.expect("akg> ")
    s.line("/exit")
    assert s.wait() == 0


def test_ctrl_c_stops_a_verify_and_the_next_run_works_on_the_warm_servers(tmp_path, fast_config):
    s = Session(tmp_path, "--config", fast_config, "--yes")
    s.expect("akg> ")
    s.line("/workflow coder_only")
    s.expect("akg> ")
    s.send("\x1b[200~" + SLOW_VERIFY.replace("\n", "\r") + "\x1b[201~")
    s.expect("verifying on cpu#0", timeout=180)  # the verify, 1 s per reference call, starts
    time.sleep(2)
    start = time.monotonic()
    s.send("\x03")
    s.expect("interrupted", timeout=30)
    s.expect("akg> ", timeout=30)
    assert time.monotonic() - start < 15
    # The session goes on: another run verifies and profiles on the same servers.
    s.send("\x1b[200~" + SMALL.replace("\n", "\r") + "\x1b[201~")
    s.expect("verdict: passed", timeout=180)
    s.expect("run folder", timeout=180)
    s.expect("akg> ")
    s.line("/exit")
    assert s.wait() == 0
    assert "did not start" not in s.log  # no server was lost to the cancel
    assert "Traceback" not in s.log


def test_ctrl_c_at_the_prompt_discards_the_line_and_keeps_the_session(tmp_path):
    s = Session(tmp_path)
    s.expect("akg> ")
    s.send("half a sentence")
    s.send("\x03")
    s.expect("^C")
    s.expect("akg> ")
    s.line("/help")
    s.expect("/target KEY=VALUE")
    s.line("/exit")
    assert s.wait() == 0
