"""`static`: the static integrity rules alone (docs/INTEGRITY.md), without running anything.

For the kernelgen_only workflow, which reports a kernel it did not verify: the candidate's
syntax and the same static rules verify applies first. torch is never imported, so this
takes a fraction of a second.
"""
from __future__ import annotations

from typing import Any

from .errors import COMPILE_ERROR, REJECTED, RequestError
from .integrity.static_rules import check_source


def run(request: dict[str, Any]) -> dict[str, Any]:
    path = request["candidate_path"]
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
    except OSError as e:
        raise RequestError(f"cannot read candidate {path}: {e.strerror or e}") from e
    try:
        compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        return {"verdict": COMPILE_ERROR, "reason": "compile_failed",
                "message": f"the candidate is not valid Python: {e.msg} (line {e.lineno})",
                "violations": [], "framework_ops": [], "kernels": [], "launches": [], "log": ""}
    try:
        report = check_source(source, request["dsl"], policy=request["policy"],
                              extra_glue=tuple(request["extra_glue"]))
    except ValueError as e:  # a DSL or policy the rules do not know
        raise RequestError(str(e)) from e
    violations = [{"reason": v.reason, "message": v.message, "line": v.line}
                  for v in report.violations]
    first = report.violations[0] if report.violations else None
    return {"verdict": REJECTED if first else "passed",
            "reason": first.reason if first else "",
            "message": (f"{first.message}" + (f" (line {first.line})" if first.line else ""))
            if first else "",
            "violations": violations, "framework_ops": list(report.framework_ops),
            "kernels": list(report.kernels), "launches": list(report.launches),
            "log": "\n".join(f"{v['reason']}: {v['message']}" for v in violations)}
