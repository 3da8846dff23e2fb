"""What the static rules know about a candidate module before any rule runs.

`ModuleContext` parses nothing itself: it takes the AST and records the import aliases (so
`Fn.relu` resolves to `torch.nn.functional.relu`), the inlined-loader region, docstrings,
kernel definitions of every DSL family, the sanctioned loader call sites and module constants
used to prune dead branches.
"""
from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

from .static_tables import (KNOWN_LOADER_SHA256, LOADER_BEGIN, LOADER_END, NATIVE_MODULE,
                            SANCTIONED_LOADERS, TILELANG_COMPILE, TILELANG_JIT, TILELANG_PRIM,
                            TRITON_JIT)

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class ModuleContext:
    def __init__(self, tree: ast.Module, source: str) -> None:
        self.tree = tree
        self.region = _loader_region(source)
        self.forged_region: int | None = None  # marker line of a region that is not the loader
        if self.region is not None and not _is_known_loader(source, self.region):
            self.forged_region, self.region = self.region[0], None
        self.parents: dict[int, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
        self.imports: dict[str, str] = {}
        self.star: list[str] = []
        self._collect_imports()
        self.region_defs = {n.name for n in tree.body
                            if isinstance(n, ast.FunctionDef | ast.ClassDef) and self.in_region(n)}
        self.docstrings = _docstring_ids(tree)
        self.constants = self._module_constants()

    # ---- locations -----------------------------------------------------------------------
    def in_region(self, node: ast.AST) -> bool:
        line = getattr(node, "lineno", None)
        return self.region is not None and line is not None and \
            self.region[0] < line < self.region[1]

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))

    # ---- names ---------------------------------------------------------------------------
    def qualify(self, expr: ast.AST) -> str | None:
        """The dotted path an expression names through imports, or None."""
        if isinstance(expr, ast.Name):
            return self.imports.get(expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.qualify(expr.value)
            return f"{base}.{expr.attr}" if base else None
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and \
                expr.func.id == "getattr" and len(expr.args) >= 2 and \
                isinstance(expr.args[1], ast.Constant) and isinstance(expr.args[1].value, str):
            base = self.qualify(expr.args[0])
            return f"{base}.{expr.args[1].value}" if base else None
        return None

    def decorator_path(self, dec: ast.expr) -> str | None:
        return self.qualify(dec.func if isinstance(dec, ast.Call) else dec)

    def family_of(self, fn: FunctionNode) -> str | None:
        """"triton", "tilelang" (a @tilelang.jit factory), "prim" (T.prim_func) or None."""
        for dec in fn.decorator_list:
            path = self.decorator_path(dec) or ""
            if path in TRITON_JIT:
                return "triton"
            if path in TILELANG_JIT:
                return "tilelang"
            if path in TILELANG_PRIM or path.endswith(".prim_func"):
                return "prim"
        return None

    def loader_of(self, call: ast.Call) -> str | None:
        """The sanctioned loader a call invokes ("load_cpp"/"load_cuda"), or None."""
        func = call.func
        if isinstance(func, ast.Name) and func.id in self.region_defs and \
                func.id in SANCTIONED_LOADERS and func.id not in self.imports:
            return func.id
        path = self.qualify(func) or ""
        head, _, name = path.rpartition(".")
        return name if head == NATIVE_MODULE and name in SANCTIONED_LOADERS else None

    def call_site_label(self, call: ast.Call) -> str:
        """The variable a loader/compile result is assigned to, e.g. "_lib" or "self.lib"."""
        parent = self.parent(call)
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            return ast.unparse(parent.targets[0])
        if isinstance(parent, ast.AnnAssign | ast.NamedExpr):
            return ast.unparse(parent.target)
        return f"{ast.unparse(call.func)}@{call.lineno}"

    def kernels(self, family: str, loaders: tuple[str, ...]) -> list[str]:
        """Kernel names of one DSL family defined anywhere in the module (in source order)."""
        found: list[str] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                fam = self.family_of(node)
                if fam == family or (family == "tilelang" and fam == "prim"):
                    found.append(node.name)
            elif isinstance(node, ast.Call):
                path = self.qualify(node.func) or ""
                if family == "native" and self.loader_of(node) in loaders:
                    found.append(self.call_site_label(node))
                elif family == "triton" and path in TRITON_JIT and node.args:
                    found.append(self.call_site_label(node))
                elif family == "tilelang" and path in TILELANG_COMPILE:
                    found.append(self.call_site_label(node))
        return list(dict.fromkeys(found))

    # ---- collection ----------------------------------------------------------------------
    def _collect_imports(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.imports[a.asname] = a.name
                    else:
                        root = a.name.split(".")[0]
                        self.imports[root] = root
            elif isinstance(node, ast.ImportFrom):
                mod = "." * node.level + (node.module or "")
                for a in node.names:
                    if a.name == "*":
                        self.star.append(mod)
                    else:
                        self.imports[a.asname or a.name] = f"{mod}.{a.name}"
        stores: dict[str, list[ast.AST]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                stores.setdefault(node.id, []).append(node)
            elif isinstance(node, ast.arg):
                stores.setdefault(node.arg, []).append(node)
        for _ in range(3):  # alias chains: F = torch.nn.functional; relu = F.relu
            for name, nodes in stores.items():
                values = [getattr(self.parent(n), "value", None) for n in nodes]
                paths = {self.qualify(v) if isinstance(self.parent(n), ast.Assign) else None
                         for n, v in zip(nodes, values)}
                if len(paths) == 1 and None not in paths and name not in self.imports:
                    self.imports[name] = paths.pop()  # type: ignore[assignment]

    def _module_constants(self) -> dict[str, object]:
        """Module names bound once, to a constant, and never rebound anywhere."""
        counts: dict[str, int] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                counts[node.id] = counts.get(node.id, 0) + 1
        consts: dict[str, object] = {}
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                    isinstance(stmt.targets[0], ast.Name) and \
                    isinstance(stmt.value, ast.Constant) and counts[stmt.targets[0].id] == 1:
                consts[stmt.targets[0].id] = stmt.value.value
        return consts


def _loader_region(source: str) -> tuple[int, int] | None:
    """(begin marker line, end marker line) of the inlined akg_harness.native, 1-based."""
    begin = end = None
    for number, line in enumerate(source.splitlines(), 1):
        text = line.strip()
        if text == LOADER_BEGIN and begin is None:
            begin = number
        elif text == LOADER_END and begin is not None:
            end = number
            break
    return (begin, end) if begin is not None and end is not None else None


def _loader_digest(lines: list[str]) -> str:
    kept = [line.rstrip() for line in lines
            if line.strip() and not line.startswith("from __future__ import")]
    return hashlib.sha256("\n".join(kept).encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def _current_loader_digest() -> str:
    native = Path(__file__).resolve().parents[1] / "native.py"
    return _loader_digest(native.read_text(encoding="utf-8").splitlines())


def _is_known_loader(source: str, region: tuple[int, int]) -> bool:
    """True when the lines between the markers are a verbatim akg_harness.native."""
    digest = _loader_digest(source.splitlines()[region[0]:region[1] - 1])
    return digest == _current_loader_digest() or digest in KNOWN_LOADER_SHA256


def _docstring_ids(tree: ast.Module) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                ids.add(id(body[0].value))
    return ids
