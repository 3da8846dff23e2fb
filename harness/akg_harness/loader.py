"""Loads a task or candidate file as a fresh, uniquely named module.

Each load gets its own module object (registered in sys.modules so dataclasses, pickling and
tracebacks work), so two files that both define `Model` never see each other. The source is
compiled before it runs, so a syntax error in the file itself is told apart from any exception
its code raises while executing, a SyntaxError from an `exec` inside it included.
"""
from __future__ import annotations

import hashlib
import importlib.util
import itertools
import os
import sys
from types import ModuleType

_counter = itertools.count()


class SourceSyntaxError(Exception):
    """The file itself is not valid Python; `cause` is the SyntaxError."""

    def __init__(self, cause: SyntaxError) -> None:
        super().__init__(str(cause))
        self.cause = cause


def module_name(path: str, prefix: str) -> str:
    """A name no other load in this process uses, readable in tracebacks."""
    digest = hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:8]
    stem = "".join(c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0])
    return f"akg_{prefix}_{next(_counter)}_{digest}_{stem}"


def load_module(path: str, prefix: str) -> ModuleType:
    """Executes the file at `path` as a new module and returns it.

    Raises OSError when the file cannot be read, SourceSyntaxError when it does not compile,
    and whatever its top-level code raises otherwise (the module is then unregistered).
    """
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as e:  # IndentationError and TabError are SyntaxErrors too
        raise SourceSyntaxError(e) from e
    name = module_name(path, prefix)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        raise ImportError(f"cannot make a module spec for {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)  # noqa: S102 - running the task is the harness's job
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
