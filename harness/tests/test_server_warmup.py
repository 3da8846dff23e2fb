"""What the warm server does before it answers: `_prime` (work every child would repeat) and
`_cuda_initialised` (the check that decides whether forked children can still use CUDA).
The check once treated a merely *loaded* libcuda as initialised, which on GPU machines (where
importing torch and triton maps the driver library) silently sent every call to a cold Python:
about 5 s more per harness child."""
from __future__ import annotations

import ctypes
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from akg_harness import server
from conftest import HARNESS_DIR


class FakeDriver:
    def __init__(self, rc: int) -> None:
        self.rc = rc
        self.calls = 0

    def cuDeviceGetCount(self, count) -> int:  # noqa: N802 - the driver's name
        self.calls += 1
        return self.rc


@pytest.fixture
def maps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Points the check at a maps file the test writes."""
    path = tmp_path / "maps"
    real_open = open

    def fake_open(name, *args, **kwargs):
        return real_open(path if name == "/proc/self/maps" else name, *args, **kwargs)
    monkeypatch.setattr("builtins.open", fake_open)
    return path


def test_no_driver_library_means_not_initialised(maps: Path) -> None:
    maps.write_text("7f00-7f01 r-xp 0 08:01 1 /usr/lib/libtorch_cpu.so\n")
    assert server._cuda_initialised() is False


@pytest.mark.parametrize("rc, expected", [(3, False), (0, True), (100, True)])
def test_loaded_driver_is_asked_whether_cuinit_ran(maps: Path, monkeypatch: pytest.MonkeyPatch,
                                                   rc: int, expected: bool) -> None:
    maps.write_text("7f00-7f01 r-xp 0 08:01 1 /usr/lib/x86_64-linux-gnu/libcuda.so.580.1\n")
    driver = FakeDriver(rc)
    seen = {}

    def fake_cdll(name, mode=0):
        seen["name"], seen["mode"] = name, mode
        return driver
    monkeypatch.setattr(ctypes, "CDLL", fake_cdll)
    assert server._cuda_initialised() is expected
    assert driver.calls == 1
    assert seen["mode"] & server.os.RTLD_NOLOAD  # never loads the driver itself


def test_unreachable_driver_is_assumed_initialised(maps: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    maps.write_text("7f00-7f01 r-xp 0 08:01 1 /opt/odd/libcuda.so\n")

    def refuse(name, mode=0):
        raise OSError("not loaded under that name")
    monkeypatch.setattr(ctypes, "CDLL", refuse)
    assert server._cuda_initialised() is True


def test_prime_warms_the_flop_counter_and_freezes_the_heap() -> None:
    """In a fresh interpreter (gc.freeze must not touch the test process)."""
    script = textwrap.dedent("""
        import gc, json, sys
        from akg_harness import server
        server._warm()
        before = set(sys.modules)
        problems = server._prime()
        print(json.dumps({"problems": problems, "frozen": gc.get_freeze_count(),
                          "new": sorted(set(sys.modules) - before)}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={"PYTHONPATH": str(HARNESS_DIR), "PATH": "/usr/bin:/bin"},
                         timeout=300, check=True)
    import json
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert [p for p in result["problems"] if not p.startswith("triton_key")] == []
    assert result["frozen"] > 0
    # the FLOP counter's lazy imports (seconds on a GPU machine) now happen once, here,
    # not in every profile child
    assert {"torch._dynamo", "sympy"} <= set(result["new"])
