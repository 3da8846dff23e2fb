"""`build`: what can be done with a candidate before a device is taken (docs/HARNESS_PROTOCOL.md).

The agent runs it with no device visible (CUDA_VISIBLE_DEVICES=""), on the CPU, while other
candidates hold the devices: the candidate's syntax, the static integrity rules, then its
import, which is where the sanctioned native loaders compile (nvcc, g++) into the run's kernel
cache, so the verify child on the device finds the library built. It decides a verdict only
where verify would reach the same one without a device: a syntax error or a compiler error
(compile_error), a broken static rule or a file without ModelNew (rejected). Anything else that
goes wrong at import (code that wants the device, say) is `deferred`: verify decides it on the
device, as before. Triton kernels compile at their first launch, which needs the device.
"""
from __future__ import annotations

from typing import Any

from . import candidate, trace, verify
from .errors import COMPILE_ERROR, REJECTED, CandidateError

BUILT, DEFERRED, FAILED = "built", "deferred", "failed"


def run(request: dict[str, Any]) -> dict[str, Any]:
    path = request["candidate_path"]
    candidate.require_readable(path)
    try:
        source = candidate.read_source(path)
        verify.static_check(source, request)
        trace.note("build: syntax and static rules passed")
        candidate.load_candidate_module(path)
        trace.note("build: candidate imported (native kernels built)")
    except CandidateError as e:
        settled = e.verdict in (COMPILE_ERROR, REJECTED)
        trace.note(f"build: {e.verdict} ({e.reason or 'no reason'}): {e.message}"
                   + ("" if settled else "; left to verify on the device"))
        return {"outcome": FAILED if settled else DEFERRED, "verdict": e.verdict,
                "reason": e.reason, "message": e.message, "log": e.log}
    return {"outcome": BUILT, "verdict": "", "reason": "", "message": "built", "log": ""}
