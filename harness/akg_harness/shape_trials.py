"""Shape trials (docs/INTEGRITY.md, "Shape trials"): is the kernel right at sizes other than
the task's?

Most task files give their sizes as module-level integer constants (`batch_size = 16`,
`dim = 16384`, or tuples of them: `input_shape = (4000,)`, whose items count one by one as
`input_shape[0]`) that get_inputs() (and often get_init_inputs()) read when called. Under the
request's `shapes: vary`, once the task's own trials pass, the constants whose change changes
the shapes get_inputs() returns are set to smaller sizes (odd, so no multiple of 16 and no
power of two; found on the meta device, so no memory is touched) and the candidate runs two
more trials there, with models rebuilt from the new init inputs and the same tolerance rule.
Constants that leave get_inputs()'s shapes alone (an axis, a kernel size, a stride, a group
count) keep their values, except one that get_inputs() reads and that equals a varied size:
that is the same quantity spelled twice (KernelBench's 95 draws `randint(0, num_classes)`
targets for logits of `input_shape = (num_classes,)`), and it follows the size, or the trial
would draw class indices past the smaller class count. When the reference itself raises at a set of sizes the next, gentler
set is tried (the same constants at sizes that keep a factor of 8, then one constant at a
time); when none works, or nothing can be varied, the result says "not checked" and why.
"""
from __future__ import annotations

import ast
import contextlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Iterator

import torch

from . import values
from .errors import REJECTED, SHAPE_SPECIFIC, WRONG_ANSWER, CandidateError, TaskError, one_line
from .task import Task

TASK, VARY = "task", "vary"
TRIALS = 2
YES, NO, NOT_CHECKED = "yes", "no", "not_checked"


@dataclass
class Outcome:
    status: str = NOT_CHECKED
    why: str = ""
    sizes: list[str] = field(default_factory=list)
    constants: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "why": self.why, "sizes": self.sizes,
                "constants": self.constants}


def _top_level_names(path: str) -> list[str]:
    """Names bound by plain assignments at the task file's top level, in order."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    names: list[str] = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        for target in targets:
            for n in ast.walk(target):
                if isinstance(n, ast.Name) and n.id not in names:
                    names.append(n.id)
    return names


def _names_read_by_get_inputs(path: str) -> set[str]:
    """The names get_inputs() reads (empty when the file has no such function)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "get_inputs":
            return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return set()


def _input_shapes(task: Task) -> list[Any] | None:
    """The shapes of get_inputs()'s tensors, drawn on the meta device (None when it cannot
    run there)."""
    try:
        with torch.device("meta"):
            drawn = list(task.get_inputs())
    except (Exception, SystemExit):
        return None
    return [list(t.shape) for t in values.iter_tensors(drawn)]


def _split(key: str) -> tuple[str, int | None]:
    """"input_shape[0]" -> ("input_shape", 0); "dim" -> ("dim", None)."""
    if key.endswith("]") and "[" in key:
        name, index = key[:-1].split("[")
        return name, int(index)
    return key, None


@contextlib.contextmanager
def sized(module: ModuleType, sizes: dict[str, int]) -> Iterator[None]:
    """The task module's constants (or items of its tuple constants) set to `sizes` inside
    the block, restored after it."""
    saved = {name: getattr(module, name) for name in {_split(k)[0] for k in sizes}}
    try:
        for key, value in sizes.items():
            name, index = _split(key)
            if index is None:
                setattr(module, name, value)
            else:
                items = list(getattr(module, name))
                items[index] = value
                setattr(module, name, type(saved[name])(items))
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def _integers(module: ModuleType, names: list[str]) -> dict[str, int]:
    """The sizes among the names: ints above 2, and such items of tuples/lists of ints."""
    found: dict[str, int] = {}
    for n in names:
        value = getattr(module, n, None)
        if type(value) is int and value > 2:
            found[n] = value
        elif type(value) in (tuple, list) and value and all(type(v) is int for v in value):
            found.update({f"{n}[{i}]": v for i, v in enumerate(value) if v > 2})
    return found


def size_constants(task: Task) -> tuple[dict[str, int], str]:
    """The module-level integer constants whose change changes get_inputs()'s shapes, with
    the task's values; or ({}, why) when there are none or they cannot be found."""
    try:
        names = _top_level_names(task.path)
    except (OSError, SyntaxError) as e:
        return {}, f"the task file cannot be read again: {one_line(e)}"
    ints = _integers(task.module, names)
    base = _input_shapes(task)
    if base is None:
        return {}, "get_inputs() cannot run on the meta device, so its sizes are unknown"
    found = {}
    for name, value in ints.items():
        with sized(task.module, {name: odd_below(value, 2)}):
            if _input_shapes(task) != base:
                found[name] = value
    if not found:
        return {}, "no module-level integer constant changes the shapes get_inputs returns"
    read = _names_read_by_get_inputs(task.path)
    sizes = set(found.values())
    for name, value in ints.items():  # value ranges tied to a size (see the module's doc)
        if name not in found and _split(name)[0] in read and value in sizes:
            found[name] = value
    return found, ""


def odd_below(value: int, divisor: int) -> int:
    """The largest odd number not above value / divisor (at least 1)."""
    n = max(1, value // divisor)
    return n if n % 2 else max(1, n - 1)


def _eight_times_odd(value: int, divisor: int) -> int:
    """8 x an odd number, about value / divisor: keeps a factor of 8 (heads, vector widths)
    while no multiple of 16 (the fallback when the odd sizes make the reference raise)."""
    return 8 * odd_below(max(8, value // 8), divisor) if value >= 16 else odd_below(value, divisor)


def plans(constants: dict[str, int]) -> Iterator[list[dict[str, int]]]:
    """Sets of TRIALS size assignments to try, preferred first."""
    for shrink in (odd_below, _eight_times_odd):
        yield [{n: shrink(v, d) for n, v in constants.items()} for d in (2, 3)]
    # one size at a time; constants of equal value (a size and the range tied to it) together
    groups: dict[int, list[str]] = {}
    for name, value in constants.items():
        groups.setdefault(value, []).append(name)
    if len(groups) > 1:
        for value, names in groups.items():
            yield [{n: odd_below(value, d) for n in names} for d in (2, 3)]


def describe(sizes: dict[str, int]) -> str:
    return ", ".join(f"{n}={v}" for n, v in sizes.items())


def run(task: Task, mode: str, run_trial: Callable[[int, str], None], outcome: Outcome
        ) -> None:
    """The shape trials of a candidate whose task trials passed, into `outcome`.

    `run_trial(i, sizes)` runs shape trial i at the module's current constants, raising
    CandidateError when the candidate fails and TaskError when the reference does. Raises
    CandidateError(wrong_answer, shape_specific) naming the sizes when the candidate fails
    there (a rejection stays one), with `outcome` saying "no".
    """
    if mode == TASK:
        outcome.why = "verify_settings.shapes is task"
        return
    constants, outcome.why = size_constants(task)
    outcome.constants = dict(constants)
    if not constants:
        return
    reference_failure = ""
    for attempt in plans(constants):
        try:
            for i, sizes in enumerate(attempt):
                with sized(task.module, sizes):
                    try:
                        run_trial(i, describe(sizes))
                    except CandidateError as e:
                        outcome.status, outcome.sizes = NO, [describe(sizes)]
                        outcome.why = f"fails at {describe(sizes)}"
                        if e.verdict == REJECTED:
                            raise
                        raise CandidateError(
                            WRONG_ANSWER, f"at other sizes ({describe(sizes)}; the task's: "
                            f"{describe(constants)}) the kernel fails: {e.message}",
                            e.log, SHAPE_SPECIFIC) from e
            outcome.status, outcome.why = YES, ""
            outcome.sizes = [describe(s) for s in attempt]
            return
        except TaskError as e:
            reference_failure = reference_failure or (
                f"the reference raised at {describe(sizes)}: {e.message}")
    outcome.why = reference_failure
