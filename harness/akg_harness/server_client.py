"""A Python client of the warm harness server (server.py), for tests and benchmarks; the agent
has its own in C++ (src/verify/warm_harness.h). Thread-safe: requests may be in flight from
several threads; a reader thread hands each `result` line to the request it answers.

    with WarmServer(sys.executable, env) as server:
        outcome = server.run("verify", request_path, result_path, cwd=folder, env=child_env,
                             timeout_s=60)
        outcome["exit_code"], outcome["stdout"], outcome["timed_out"], ...
"""
from __future__ import annotations

import base64
import itertools
import json
import os
import subprocess
import tempfile
import threading
import time
from typing import Any


class ServerDied(RuntimeError):
    """The server's channel closed while a request was waiting for its answer."""


class WarmServer:
    """Starts `python -m akg_harness.server` with `env` and waits for its ready line."""

    def __init__(self, python: str, env: dict[str, str], start_timeout_s: float = 180,
                 cwd: str | None = None, args: tuple[str, ...] = ()) -> None:
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([python, "-m", "akg_harness.server", *args],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._stderr, env=env,
                                     cwd=cwd, start_new_session=True)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._events: dict[Any, list[dict[str, Any]]] = {}
        self._other: list[dict[str, Any]] = []
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.ready = self._wait_for(lambda: self._first_of("ready", "failed"), start_timeout_s)
        if self.ready is None or self.ready["event"] != "ready":
            message = (self.ready or {}).get("message", "no ready line")
            self.close()
            raise RuntimeError(f"the warm server did not start: {message}: {self.stderr()[-2000:]}")

    # --- channel ---

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                event = json.loads(raw)
            except ValueError:
                event = {"event": "garbage", "line": raw[:200].decode(errors="replace")}
            with self._changed:
                if "id" in event and event["event"] in ("started", "result", "pong"):
                    self._events.setdefault(event["id"], []).append(event)
                else:
                    self._other.append(event)
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _first_of(self, *names: str) -> dict[str, Any] | None:
        return next((e for e in self._other if e["event"] in names), None)

    def _wait_for(self, predicate, timeout_s: float):
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                found = predicate()
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    return None
                self._changed.wait(min(left, 0.5))

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        with self._lock:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()

    # --- requests ---

    def submit(self, command: str, request: str, result: str, *, cwd: str,
               env: dict[str, str], timeout_s: float = 0, kill_grace_s: float = 1.0,
               limits: dict[str, Any] | None = None,
               max_output_bytes: int | None = None) -> int:
        rid = next(self._ids)
        self.send({"op": "run", "id": rid, "command": command, "request": request,
                   "result": result, "cwd": cwd, "env": env, "timeout_s": timeout_s,
                   "kill_grace_s": kill_grace_s, "limits": limits or {},
                   "max_output_bytes": max_output_bytes})
        return rid

    def event(self, rid: int, name: str, timeout_s: float) -> dict[str, Any]:
        def find():
            return next((e for e in self._events.get(rid, []) if e["event"] == name), None)
        found = self._wait_for(find, timeout_s)
        if found is None:
            if self._closed:
                raise ServerDied(f"the server closed its channel before '{name}' of {rid}")
            raise TimeoutError(f"no '{name}' for request {rid} within {timeout_s} s")
        return found

    def wait(self, rid: int, timeout_s: float = 600) -> dict[str, Any]:
        """The request's result line, with `stdout`/`stderr` decoded to text."""
        outcome = dict(self.event(rid, "result", timeout_s))
        for stream in ("stdout", "stderr"):
            data = base64.b64decode(outcome.pop(f"{stream}_b64", "") or "")
            outcome[stream] = data.decode("utf-8", errors="replace")
        return outcome

    def run(self, command: str, request: str, result: str, **kwargs: Any) -> dict[str, Any]:
        wait_s = float(kwargs.get("timeout_s") or 0) + 60 if kwargs.get("timeout_s") else 600
        return self.wait(self.submit(command, request, result, **kwargs), wait_s)

    def cancel(self, rid: int) -> None:
        self.send({"op": "cancel", "id": rid})

    def other_events(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._other)

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, timeout_s: float = 30) -> int | None:
        """Closes the server's stdin (it stops its children and exits); kills it if it lingers."""
        try:
            if self.proc.stdin and not self.proc.stdin.closed:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            return self.proc.wait()
        finally:
            self._reader.join(5)

    def __enter__(self) -> "WarmServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
