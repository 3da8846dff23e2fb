"""Static integrity rules: a candidate's source judged before it is imported (docs/INTEGRITY.md).

Two passes over the AST. The syntactic pass looks at every node (outside the inlined loader,
which is allowed exactly what akg_harness.native itself needs): try/except, concurrency,
streams, monkey patching, I/O and native code reached around the sanctioned loader, plus a
text scan of embedded native source. The reachability pass (static_calls) follows forward
and reports framework operators, kernel launches and state kept across calls.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable

from .static_calls import Reach, bound_names
from .static_ops import BUILTIN_NAMES
from .static_context import ModuleContext
from .static_tables import (CONCURRENCY_MODULES, CONCURRENCY_OS, DSLS, HARNESS_INTERNALS,
                            INTROSPECTION_ATTRS, IO_BUILTINS, IO_MODULES, IO_PATHS,
                            LOADER_ALLOWED, NATIVE_LIBRARY_CALL, NATIVE_MODULE, NATIVE_PATHS,
                            NATIVE_PUBLIC, REASON_ORDER, SUBCLASS_NAMES,
                            NATIVE_TEXT_RULES, PATCH_CALLS, STREAM_PATHS, SYS_READS, under)

POLICIES = ("strict", "partial")
NATIVE_HINT = ('extern "C"', "#include", "__global__", "__device__", "#pragma", "#define")


@dataclass
class Violation:
    reason: str
    message: str
    line: int | None


@dataclass
class StaticReport:
    violations: list[Violation]
    framework_ops: list[str]  # framework operators computing in forward's reach (sorted)
    kernels: list[str]        # kernels of the DSL defined in the module
    launches: list[str]       # kernel launch sites reachable from forward

    @property
    def ok(self) -> bool:
        return not self.violations


def check_source(source: str, dsl: str, policy: str = "strict",
                 extra_glue: Iterable[str] = ()) -> StaticReport:
    """Judges a candidate's source for `dsl` under `policy`.

    A source that does not parse gets an empty, passing report: importing it fails next and
    verify reports that as compile_error, like any syntax error.
    """
    if dsl not in DSLS:
        raise ValueError(f"unknown dsl '{dsl}' (known: {', '.join(DSLS)})")
    if policy not in POLICIES:
        raise ValueError(f"unknown policy '{policy}' (known: {', '.join(POLICIES)})")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return StaticReport([], [], [], [])
    spec = DSLS[dsl]
    ctx = ModuleContext(tree, source)
    rules = _SyntaxRules(ctx)
    rules.run()
    reach = Reach(ctx, spec, frozenset(extra_glue)).run()
    ops = dict(reach.ops)
    for op, line in rules.native_ops.items():
        ops.setdefault(op, line)
    kernels = ctx.kernels(spec.family, spec.loaders)
    out = list(rules.violations)
    if ctx.forged_region is not None:
        out.append(Violation("unsanctioned_native", "the code between the akg_harness.native "
                             "markers is not the harness's loader (edited or unknown version)",
                             ctx.forged_region))
    if not kernels:
        out.append(Violation("no_kernel", f"no {dsl} kernel is defined ({_how(dsl)})", None))
    elif not reach.launches:
        where = "ModelNew.forward" if reach.has_forward else "ModelNew.forward (not found)"
        out.append(Violation("kernel_not_launched",
                             f"kernel {', '.join(kernels)} is defined but no launch is "
                             f"reachable from {where}", None))
    if policy == "strict":
        for op, line in sorted(ops.items(), key=lambda kv: kv[1]):
            out.append(Violation("forbidden_framework_op",
                                 f"forward computes with the framework operator {op} "
                                 "(strict policy: custom kernels only, glue aside)", line))
    for message, line in reach.stateful.items():
        out.append(Violation("stateful_forward", f"forward {message}", line))
    for line in sorted(set(reach.private)):
        out.append(Violation("monkey_patch", "reaches into the sanctioned loader's internals "
                             "(a private attribute of a loaded library)", line))
    out.sort(key=lambda v: (REASON_ORDER.index(v.reason), v.line or 0))
    return StaticReport(out, sorted(ops), kernels, list(reach.launches))


def _how(dsl: str) -> str:
    family = DSLS[dsl].family
    if family == "triton":
        return "no @triton.jit function"
    if family == "tilelang":
        return "no @tilelang.jit or T.prim_func function"
    return f"no {' / '.join(DSLS[dsl].loaders)}(SOURCE) call from {NATIVE_MODULE}"


class _SyntaxRules:
    """Rules that hold wherever the code is, reachable or not."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.violations: list[Violation] = []
        self.native_ops: dict[str, int] = {}
        self._seen: set[tuple[str, int]] = set()

    def add(self, reason: str, message: str, node: ast.AST) -> None:
        line = getattr(node, "lineno", 0)
        if (reason, line) not in self._seen:
            self._seen.add((reason, line))
            self.violations.append(Violation(reason, message, line))

    def run(self) -> None:
        strings: list[tuple[str, int]] = []
        names: list[tuple[str, int]] = []
        for node in ast.walk(self.ctx.tree):
            region = self.ctx.in_region(node)
            if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                if not region:
                    self.add("try_except", "a try statement can fall back to the reference "
                             "when the kernel fails", node)
            elif isinstance(node, ast.ClassDef):
                self._class(node)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                self._import(node)
            elif isinstance(node, ast.Attribute | ast.Name):
                self._name(node, region)
                if not region:
                    names.append((node.attr if isinstance(node, ast.Attribute) else node.id,
                                  node.lineno))
            elif isinstance(node, ast.Call):
                self._call(node, region)
            elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
                targets = node.targets if isinstance(node, ast.Assign | ast.Delete) \
                    else [node.target]
                for t in targets:
                    self._store(t)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    not region and id(node) not in self.ctx.docstrings:
                strings.append((node.value, node.lineno))
                if node.value in SUBCLASS_NAMES:
                    self.add("monkey_patch", f"makes a tensor subclass ({node.value})", node)
        self._scan_text(strings, names)

    # ---- node rules ------------------------------------------------------------------------
    def _class(self, node: ast.ClassDef) -> None:
        for b in node.bases:
            if (self.ctx.qualify(b) or "") in ("torch.Tensor", "torch._C.TensorBase"):
                self.add("monkey_patch", f"class {node.name} subclasses torch.Tensor "
                         "(overrides framework dispatch)", node)
        for item in node.body:
            if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if item.name in ("__torch_function__", "__torch_dispatch__"):
                self.add("monkey_patch", f"{node.name}.{item.name} overrides framework "
                         "dispatch", item)
            if item.name in ("__exit__", "__aexit__") and _may_return_true(item):
                self.add("try_except", f"{node.name}.{item.name} can swallow exceptions",
                         item)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        else:
            base = node.module or ""
            modules = [f"{base}.{a.name}" for a in node.names] if base == "akg_harness" \
                else [base]
        for mod in modules:
            if under(mod, ("akg_harness",)) and not under(mod, (NATIVE_MODULE,)):
                self.add("monkey_patch", f"imports harness internals ({mod}); only "
                         f"{NATIVE_MODULE} is for candidates", node)

    def _name(self, node: ast.Attribute | ast.Name, region: bool) -> None:
        if isinstance(node, ast.Attribute) and node.attr in INTROSPECTION_ATTRS:
            self.add("forbidden_io", f"introspection through .{node.attr}", node)
        ident = node.id if isinstance(node, ast.Name) else node.attr
        if ident in HARNESS_INTERNALS and not region:
            self.add("monkey_patch", f"touches the harness's launch counters ({ident})", node)
        if ident in SUBCLASS_NAMES:
            self.add("monkey_patch", f"makes a tensor subclass ({ident})", node)
        if isinstance(node, ast.Attribute) and ident in ("__setattr__", "__delattr__") and (
                _is_type_call(node.value) or self.ctx.qualify(node.value)):
            self.add("monkey_patch", f"reaches {ast.unparse(node)}", node)
        if isinstance(node, ast.Name) and node.id in self.ctx.region_defs and not region and \
                node.id not in NATIVE_PUBLIC:
            self.add("monkey_patch", f"uses the inlined loader's internals ({node.id})", node)
        parent = self.ctx.parent(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return  # the longest dotted path is judged once, at its outermost node
        path = self.ctx.qualify(node)
        if path is None and isinstance(node, ast.Name) and self.ctx.star and \
                isinstance(node.ctx, ast.Load) and node.id not in BUILTIN_NAMES and \
                not self._shadowed(node):
            for module in self.ctx.star:  # a name from `from module import *`
                self._path(f"{module}.{node.id}", node)
            return
        if path is None:
            if isinstance(node, ast.Name) and node.id in IO_BUILTINS and not (
                    region and node.id == "open") and node.id not in self.ctx.imports and \
                    isinstance(node.ctx, ast.Load) and not self._shadowed(node):
                self.add("forbidden_io", f"uses the builtin {node.id}", node)
            return
        if region and LOADER_ALLOWED.match(path):
            return
        self._path(path, node)

    def _shadowed(self, node: ast.Name) -> bool:
        """True when the name is bound in the scope that reads it (not the builtin)."""
        child, in_defaults = node, False
        while True:
            scope = self.ctx.parent(child)
            if scope is None:
                return node.id in bound_names(self.ctx.tree.body)
            if isinstance(scope, ast.arguments):
                in_defaults = True  # defaults are read in the enclosing scope
            elif isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                if in_defaults:
                    in_defaults = False
                else:
                    a = scope.args
                    params = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
                    params |= {p.arg for p in (a.vararg, a.kwarg) if p is not None}
                    body = scope.body if isinstance(scope.body, list) else []
                    if node.id in params or node.id in bound_names(body):
                        return True
            child = scope

    def _path(self, path: str, node: ast.AST) -> None:
        root = path.split(".")[0]
        if under(path, ("akg_harness",)) and path != NATIVE_MODULE and not any(
                path == f"{NATIVE_MODULE}.{name}" for name in NATIVE_PUBLIC):
            self.add("monkey_patch", f"uses harness internals ({path})", node)
        elif under(path, CONCURRENCY_MODULES) or CONCURRENCY_OS.match(path):
            self.add("concurrency", f"uses {path} (work off the timed thread or process)", node)
        elif under(path, STREAM_PATHS):
            self.add("extra_stream", f"uses {path} (work on another stream)", node)
        elif under(path, NATIVE_PATHS):
            self.add("unsanctioned_native", f"uses {path}; native code must come through "
                     f"{NATIVE_MODULE}", node)
        elif under(path, PATCH_CALLS) or path.startswith("torch.set_") and path not in (
                "torch.set_grad_enabled", "torch.set_printoptions"):
            self.add("monkey_patch", f"changes framework state ({path})", node)
        elif path.endswith(".__dict__"):
            self.add("forbidden_io", f"dynamic attribute lookup through {path}", node)
        elif path == "contextlib.suppress":
            self.add("try_except", "contextlib.suppress swallows exceptions", node)
        elif root == "sys":
            if path != "sys" and not under(path, SYS_READS):
                self.add("forbidden_io", f"uses {path}", node)
        elif under(path, IO_MODULES) or under(path, IO_PATHS):
            self.add("forbidden_io", f"uses {path}", node)

    def _call(self, node: ast.Call, region: bool) -> None:
        func = node.func
        if not isinstance(func, ast.Name) or not node.args or func.id in self.ctx.imports:
            return
        target = node.args[0]
        path = self.ctx.qualify(target)
        if func.id == "type" and len(node.args) == 3:
            self.add("monkey_patch", "builds a class at run time (type with three arguments)",
                     node)
        if path is None and (_is_type_call(target) or isinstance(target, ast.Name) and
                             target.id in ("type", "object") and target.id not in
                             self.ctx.imports):
            path = ast.unparse(target)  # the class of a module or a builtin type
        literal = len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and \
            isinstance(node.args[1].value, str)
        if func.id == "getattr" and path is not None and len(node.args) >= 2:
            if not literal:
                self.add("forbidden_io", f"dynamic attribute lookup on {path}", node)
            elif node.args[1].value in ("__setattr__", "__delattr__", "__dict__"):
                self.add("monkey_patch", f"reaches {path}.{node.args[1].value}", node)
            elif not (region and LOADER_ALLOWED.match(f"{path}.{node.args[1].value}")):
                self._path(f"{path}.{node.args[1].value}", node)  # as if written target.name
        elif func.id in ("setattr", "delattr") and not region and path is not None:
            reason = "forbidden_io" if (path or "").split(".")[0] == "sys" else "monkey_patch"
            self.add(reason, f"{func.id} on {path or ast.unparse(target)}", node)

    def _store(self, target: ast.expr) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self._store(elt)
            return
        if isinstance(target, ast.Starred):
            self._store(target.value)
            return
        if isinstance(target, ast.Name):
            if target.id in HARNESS_INTERNALS and not self.ctx.in_region(target):
                self.add("monkey_patch", f"defines the harness's {target.id}", target)
            elif target.id == "__builtins__":
                self.add("monkey_patch", "replaces __builtins__", target)
            return
        if isinstance(target, ast.Subscript):
            base = target.value
            if isinstance(base, ast.Attribute) and base.attr == "__dict__" and \
                    self.ctx.qualify(base.value) or isinstance(base, ast.Name) and \
                    base.id == "__builtins__":
                self.add("monkey_patch", f"writes {ast.unparse(base)}", target)
            return
        if not isinstance(target, ast.Attribute):
            return
        base_path = self.ctx.qualify(target.value)
        if base_path is not None:
            reason = "forbidden_io" if base_path.split(".")[0] == "sys" else "monkey_patch"
            self.add(reason, f"assigns {base_path}.{target.attr}", target)
        elif _is_type_call(target.value) or target.attr == "__class__":
            self.add("monkey_patch", f"assigns {ast.unparse(target)}", target)

    # ---- text of native sources --------------------------------------------------------------
    def _scan_text(self, strings: list[tuple[str, int]], names: list[tuple[str, int]]) -> None:
        l2_reason, l2 = NATIVE_TEXT_RULES[0]
        for text, line in strings + names:
            match = l2.search(text)
            if match:
                self.add(l2_reason, f"uses {match.group(0)} (persisting L2 carve-out)",
                         _At(line))
        for text, line in strings:
            if not (any(h in text for h in NATIVE_HINT) or text.lstrip().startswith("-")):
                continue
            for reason, pattern in NATIVE_TEXT_RULES[1:]:
                match = pattern.search(text)
                if match:
                    at = line + text.count("\n", 0, match.start())
                    self.add(reason, f"native source uses {match.group(0).strip()}", _At(at))
            for match in NATIVE_LIBRARY_CALL.finditer(text):
                at = line + text.count("\n", 0, match.start())
                self.native_ops.setdefault(f"{match.group(0).strip()} (native)", at)


class _At:
    def __init__(self, line: int) -> None:
        self.lineno = line


def _is_type_call(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and \
        expr.func.id == "type"


def _may_return_true(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for node in ast.walk(fn):
        if isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and not node.value.value):
            return True
    return False
