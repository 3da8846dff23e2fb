"""Command line: `python -m akg_harness {inspect,verify,profile,peaks,static,build,counters} --request R --result OUT`.

Exit 0 when a result file was written (whatever the verdict), 2 for a bad request or an
unusable device, 3 when verify/profile find the task itself broken. torch is imported only
after the request checks out, so a bad request fails fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from dataclasses import dataclass

from .crash_context import install as install_crash_context
from .errors import RequestError, TaskError
from .request import load_request
from .results import write_result
from . import trace

# The commands that run candidate code: a native crash there is located (crash_context).
CANDIDATE_COMMANDS = ("verify", "profile", "build")
EXIT_OK = 0
EXIT_BAD_REQUEST = 2
EXIT_BROKEN_TASK = 3


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    module: str  # its module has `run(request: dict) -> dict`


COMMANDS = (
    Command("inspect", "load a task, run its reference once and describe it", "inspect_task"),
    Command("verify", "compare a candidate's outputs with the reference's", "verify"),
    Command("profile", "time the eager reference and the candidate", "profile"),
    Command("peaks", "measure this device's copy bandwidth and matmul throughput", "peaks"),
    Command("static", "check a candidate's source against the static integrity rules only",
            "static_check"),
    Command("build", "syntax, static rules and import (native compiles) without a device",
            "build"),
    Command("counters", "Nsight Compute hardware counters of one candidate call (a fresh "
            "process under ncu)", "counters"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m akg_harness",
                                     description="AKG kernel agent harness")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        p = sub.add_parser(command.name, help=command.help)
        p.add_argument("--request", required=True, help="request JSON file")
        p.add_argument("--result", required=True, help="where to write the result JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    trace.start()
    args = _parser().parse_args(argv)
    command = next(c for c in COMMANDS if c.name == args.command)
    if command.name in CANDIDATE_COMMANDS:
        install_crash_context(args.result)
    try:
        request = load_request(command.name, args.request)
        handler = importlib.import_module(f"{__package__}.{command.module}").run
        result = handler(request)
    except RequestError as e:
        print(f"akg_harness {command.name}: bad request: {e}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    except TaskError as e:
        print(f"akg_harness {command.name}: the task is broken ({e.kind}): {e.message}\n{e.log}",
              file=sys.stderr)
        return EXIT_BROKEN_TASK
    try:
        write_result(args.result, result)
    except OSError:
        print(f"akg_harness {command.name}: cannot write the result\n{traceback.format_exc()}",
              file=sys.stderr)
        return 1
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
