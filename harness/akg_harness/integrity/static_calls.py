"""Reachability from ModelNew.forward, with a small type inference (static_values).

The module's functions, methods and lambdas are analysed together until nothing changes
(flow-insensitive, context-insensitive: a parameter holds every value any call site passes).
Only code reachable from forward (calls to module functions, `self.method`, methods of the
module's classes, closures and lambdas, callbacks passed to map/reduce/partial) records:
  ops       framework operators used for computation (canonical names, glue excluded)
  launches  kernel launches of the DSL (`k[grid](...)`, `lib.fn(...)`, TileLang kernels)
  stateful  writes to module globals, `self` attributes or module-level containers
  private   reaches into the sanctioned loader's internals (`lib._lib`)
Values kept in module caches are allowed when they are kernels or libraries (lazy loading).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from .static_context import ModuleContext
from .static_tables import CACHE_DECORATORS, COMPILE_DECORATORS, DslSpec, canonical_op
from .static_values import (EMPTY, NONE, T, U, I, Val, Vals, elements, escape, has_tensor,
                            kernel_only, one, persistent, seq)
from .static_ops import BUILTIN_NAMES, OpsMixin

MAX_ROUNDS = 40


@dataclass
class Func:
    key: str
    node: ast.AST                 # FunctionDef, AsyncFunctionDef, Lambda, ClassDef or Module
    cls: str | None = None        # owning class of a method
    parent: "Func | None" = None  # lexically enclosing function
    locals: set[str] = field(default_factory=set)
    globals_: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    kind: str = "function"        # function, static, classmethod, property, module, classbody
    mutable_defaults: set[str] = field(default_factory=set)  # parameters that persist


@dataclass
class ClassInfo:
    name: str
    node: ast.ClassDef
    bases: list[str] = field(default_factory=list)  # candidate class names or import paths


@dataclass
class ReachResult:
    ops: dict[str, int] = field(default_factory=dict)
    launches: dict[str, int] = field(default_factory=dict)
    stateful: dict[str, int] = field(default_factory=dict)
    private: list[int] = field(default_factory=list)
    has_forward: bool = False


class Reach(OpsMixin):
    def __init__(self, ctx: ModuleContext, spec: DslSpec, extra_glue: frozenset[str]) -> None:
        self.ctx, self.spec, self.extra = ctx, spec, extra_glue
        self.funcs: dict[str, Func] = {}
        self.by_node: dict[int, str] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.env: dict[str, dict[str, Vals]] = {}
        self.params: dict[str, dict[str, Vals]] = {}
        self.returns: dict[str, Vals] = {}
        self.attrs: dict[str, dict[str, Vals]] = {}   # instance attributes per class
        self.cattrs: dict[str, dict[str, Vals]] = {}  # class-body names per class
        self._bases: dict[int, Vals] = {}             # receiver values of attribute nodes
        self._line = 0                                # line of the name being looked up
        self.reachable: set[str] = set()
        self.cached: set[str] = set()
        self.result = ReachResult()
        self.changed = False
        self.module = Func("<module>", ctx.tree, kind="module")
        self.env["<module>"] = self.globals_ = {}
        self.at_import: dict[str, Vals] = {}  # what module-level code binds to globals
        self.cur = self.module
        self.rec = False
        self._register(ctx.tree.body, None, None)
        self.module.locals = bound_names(ctx.tree.body)

    # ---- registration --------------------------------------------------------------------
    def _register(self, body: list[ast.stmt], parent: Func | None, cls: str | None) -> None:
        for node in _scope_nodes(body):
            if isinstance(node, ast.ClassDef):
                self._register_class(node, parent)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if self.ctx.family_of(node) or (parent is None and cls is None
                                                and self.ctx.in_region(node)):
                    continue  # kernels and the inlined loader are not host code to follow
                key = f"{cls}.{node.name}" if cls else (
                    f"{parent.key}.{node.name}@{node.lineno}" if parent else node.name)
                if key in self.funcs:  # defined twice (if/else, property setter): keep both
                    key = f"{key}@{node.lineno}"
                f = self._add_func(key, node, parent, cls, _method_kind(node, cls, self.ctx))
                self._register(node.body, f, None)
                for default in node.args.defaults + node.args.kw_defaults:
                    if default is not None:
                        self._register_lambdas(default, parent)
            else:
                self._register_lambdas(node, parent)

    def _register_lambdas(self, node: ast.AST, parent: Func | None) -> None:
        for sub in _walk_shallow(node):
            if isinstance(sub, ast.Lambda) and id(sub) not in self.by_node:
                key = f"{parent.key if parent else ''}<lambda>@{sub.lineno}:{sub.col_offset}"
                f = self._add_func(key, sub, parent, None, "function")
                self._register_lambdas(sub.body, f)

    def _add_func(self, key: str, node: ast.AST, parent: Func | None, cls: str | None,
                  kind: str) -> Func:
        f = Func(key, node, cls, parent, kind=kind)
        a = node.args  # type: ignore[attr-defined]
        params = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs}
        params |= {p.arg for p in (a.vararg, a.kwarg) if p is not None}
        body = node.body if isinstance(node.body, list) else [node.body]  # type: ignore
        for stmt in _walk_own(body):
            if isinstance(stmt, ast.Global):
                f.globals_.update(stmt.names)
            elif isinstance(stmt, ast.Nonlocal):
                f.nonlocals.update(stmt.names)
        f.locals = (params | bound_names(body)) - f.globals_ - f.nonlocals
        positional = a.posonlyargs + a.args
        for p, d in list(zip(positional[len(positional) - len(a.defaults):], a.defaults)) + \
                list(zip(a.kwonlyargs, a.kw_defaults)):
            if isinstance(d, ast.List | ast.Dict | ast.Set | ast.Call):
                f.mutable_defaults.add(p.arg)
        self.funcs[key] = f
        self.by_node[id(node)] = key
        self.env[key], self.params[key] = {}, {}
        return f

    def _register_class(self, node: ast.ClassDef, parent: Func | None) -> None:
        info = ClassInfo(node.name, node)
        for b in node.bases:
            path = self.ctx.qualify(b)
            info.bases.append(path or (b.id if isinstance(b, ast.Name) else ast.unparse(b)))
        self.classes[node.name] = info
        body = Func(f"<class {node.name}>", node, parent=parent, kind="classbody",
                    locals=bound_names(node.body))
        self.funcs[body.key] = body
        self.env[body.key] = self.cattrs.setdefault(node.name, {})
        self.params[body.key] = {}
        self._register(node.body, parent, node.name)

    # ---- driver ----------------------------------------------------------------------------
    def run(self) -> ReachResult:
        for _ in range(MAX_ROUNDS):
            self.changed = False
            self._analyze(self.module)
            self._seed_entries()
            for f in list(self.funcs.values()):
                self._analyze(f)
            if not self.changed:
                break
        self._finish()
        return self.result

    def _seed_entries(self) -> None:
        if "ModelNew" not in self.classes:
            return
        model = one(Val("inst", "ModelNew"))
        for name in ("forward", "__call__"):
            for v in self._class_attr("ModelNew", name, bind=False):
                if v.kind == "fn" and v.name in self.funcs:
                    self.result.has_forward = True
                    self._reach(v.name)
                    self._seed_forward(self.funcs[v.name], model)
                elif v.kind == "nn":
                    self.result.has_forward = True
                    self.result.ops.setdefault(v.name, self.classes["ModelNew"].node.lineno)

    def _seed_forward(self, f: Func, model: Vals) -> None:
        a = f.node.args  # type: ignore[attr-defined]
        positional = a.posonlyargs + a.args
        defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        for k, (p, d) in enumerate(zip(positional, defaults)):
            if k == 0:
                self._join(self.params[f.key], p.arg, model)
            elif _entry_param(p, d):
                self._join(self.params[f.key], p.arg, _entry_param(p, d))
        if a.vararg:
            self._join(self.params[f.key], a.vararg.arg, one(seq(one(T))))

    def _finish(self) -> None:
        for key in self.cached & self.reachable:
            if not kernel_only(self.returns.get(key, EMPTY)):
                self._stateful(f"calls {key}, which caches its results across calls",
                               self.funcs[key].node.lineno, force=True)

    # ---- analysis of one function --------------------------------------------------------
    def _analyze(self, f: Func) -> None:
        saved = self.cur, self.rec
        self.cur, self.rec = f, f.key in self.reachable
        try:
            if f.kind == "module":
                self._block(f.node.body)  # type: ignore[attr-defined]
            elif f.kind == "classbody":
                self._block(f.node.body)  # type: ignore[attr-defined]
            else:
                self._enter(f)
                node = f.node
                if isinstance(node, ast.Lambda):
                    self._join(self.returns, f.key, self.ev(node.body))
                else:
                    self._block(node.body)  # type: ignore[attr-defined]
        finally:
            self.cur, self.rec = saved

    def _enter(self, f: Func) -> None:
        env, node = self.env[f.key], f.node
        a = node.args  # type: ignore[attr-defined]
        for p in a.posonlyargs + a.args + a.kwonlyargs:
            self._join(env, p.arg, self.params[f.key].get(p.arg, EMPTY) | one(U))
        for p in (a.vararg, a.kwarg):
            if p is not None:
                self._join(env, p.arg, self.params[f.key].get(p.arg, EMPTY) | one(seq(one(U))))
        positional = a.posonlyargs + a.args
        if f.cls and positional and f.kind in ("function", "property"):
            self._join(env, positional[0].arg, one(Val("inst", f.cls, tag="seed")))
        elif f.cls and positional and f.kind == "classmethod":
            self._join(env, positional[0].arg, one(Val("cls", f.cls)))
        defaults = a.defaults + [d for d in a.kw_defaults if d is not None]
        names = [p.arg for p in positional][len(positional) - len(a.defaults):] + \
            [p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
        outer = f.parent or self.module
        for name, d in zip(names, defaults):
            self.cur = outer
            vals = self.ev(d)
            self.cur = f
            self._join(env, name, vals)
        if not isinstance(node, ast.Lambda):
            self._decorators(f, node.decorator_list)

    def _decorators(self, f: Func, decorators: list[ast.expr]) -> None:
        for dec in decorators:
            path = self.ctx.decorator_path(dec) or ""
            if path in CACHE_DECORATORS:
                self.cached.add(f.key)
            elif path in COMPILE_DECORATORS and self.rec:
                self.result.ops.setdefault(canonical_op(path), dec.lineno)
            elif not path:
                for v in self.ev(dec.func if isinstance(dec, ast.Call) else dec):
                    if v.kind == "fn" and self.rec:
                        self._reach(v.name)
                        self._pass_args(v.name, [one(Val("fn", f.key))], {}, False, None)

    # ---- statements ----------------------------------------------------------------------
    def _block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if self._stmt(stmt):
                break  # the rest of the block is dead (after return, raise, break, continue)

    def _stmt(self, s: ast.stmt) -> bool:
        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef):
            self._store_name(s.name, self._def_vals(s), s)
        elif isinstance(s, ast.ClassDef):
            self._store_name(s.name, one(Val("cls", s.name)) if s.name in self.classes
                             else one(U), s)
        elif isinstance(s, ast.Return):
            vals = self.ev(s.value) if s.value is not None else one(NONE)
            if self.cur.kind not in ("module", "classbody"):
                self._join(self.returns, self.cur.key, vals)
            return True
        elif isinstance(s, ast.Raise):
            for part in (s.exc, s.cause):
                if part is not None:
                    self.ev(part)
            return True
        elif isinstance(s, ast.Break | ast.Continue):
            return True
        elif isinstance(s, ast.Assign):
            vals = self.ev(s.value)
            for target in s.targets:
                self._bind(target, vals)
        elif isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self._bind(s.target, self.ev(s.value))
        elif isinstance(s, ast.AugAssign):
            self._augassign(s)
        elif isinstance(s, ast.Expr):
            self.ev(s.value)
        elif isinstance(s, ast.If):
            truth = self._truth(s.test)
            self.ev(s.test)
            if truth is not False:
                self._block(s.body)
            if truth is not True:
                self._block(s.orelse)
        elif isinstance(s, ast.While):
            self.ev(s.test)
            if self._truth(s.test) is not False:
                self._block(s.body)
            self._block(s.orelse)
        elif isinstance(s, ast.For | ast.AsyncFor):
            self._bind(s.target, elements(self.ev(s.iter)))
            self._block(s.body)
            self._block(s.orelse)
        elif isinstance(s, ast.With | ast.AsyncWith):
            for item in s.items:
                vals = self.ev(item.context_expr)
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, self._enter_vals(vals))
            self._block(s.body)
        elif isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            for part in (s.body, *[h.body for h in s.handlers], s.orelse,  # type: ignore
                         s.finalbody):  # type: ignore[attr-defined]
                self._block(part)
        elif isinstance(s, ast.Match):
            self.ev(s.subject)
            for case in s.cases:
                self._block(case.body)
        elif isinstance(s, ast.Import | ast.ImportFrom):
            self._import(s)
        elif isinstance(s, ast.Delete):
            for target in s.targets:
                self._delete(target)
        elif isinstance(s, ast.Assert):
            self.ev(s.test)
        return False

    def _def_vals(self, s: ast.FunctionDef | ast.AsyncFunctionDef) -> Vals:
        family = self.ctx.family_of(s)
        if family == "triton":
            return one(Val("jit", s.name))
        if family == "tilelang":
            return one(Val("tljit", s.name))
        if family == "prim":
            return one(Val("prim", s.name))
        key = self.by_node.get(id(s))
        if key is None:
            return one(Val("loader", s.name)) if s.name in ("load_cpp", "load_cuda") else one(U)
        if self.rec and self.cur.kind not in ("module", "classbody"):
            self._reach(key)  # closures of reachable code are reachable
        return one(Val("fn", key))

    def _import(self, s: ast.Import | ast.ImportFrom) -> None:
        if isinstance(s, ast.Import):
            for a in s.names:
                name = a.asname or a.name.split(".")[0]
                self._store_name(name, one(Val("ext", a.name if a.asname else name)), s)
        else:
            mod = "." * s.level + (s.module or "")
            for a in s.names:
                if a.name != "*":
                    self._store_name(a.asname or a.name, one(Val("ext", f"{mod}.{a.name}")), s)

    def _enter_vals(self, vals: Vals) -> Vals:
        out: set[Val] = set()
        for v in vals:
            if v.kind == "inst":
                out |= self._call_vals(self._inst_attr(v, "__enter__"), [], {}, False)
            else:
                out.add(U)
        return frozenset(out)

    def _truth(self, test: ast.expr) -> bool | None:
        """The static truth of a branch condition, None when it depends on run-time values."""
        if isinstance(test, ast.Constant):
            return bool(test.value)
        if isinstance(test, ast.Name) and test.id in self.ctx.constants and \
                self._is_global(test.id):
            return bool(self.ctx.constants[test.id])
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self._truth(test.operand)
            return None if inner is None else not inner
        if isinstance(test, ast.BoolOp):
            parts = [self._truth(v) for v in test.values]
            stop = isinstance(test.op, ast.Or)
            if stop in parts:
                return stop
            return (not stop) if all(p is not None for p in parts) else None
        return None

    # ---- binding -------------------------------------------------------------------------
    def _bind(self, target: ast.expr, vals: Vals) -> None:
        if isinstance(target, ast.Name):
            self._store_name(target.id, vals, target)
        elif isinstance(target, ast.Tuple | ast.List):
            n = len(target.elts)
            starred = any(isinstance(e, ast.Starred) for e in target.elts)
            for k, elt in enumerate(target.elts):
                part: set[Val] = set()
                for v in vals:
                    if v.kind == "tup" and len(v.items) == n and not starred:
                        part |= v.items[k]
                    else:
                        part |= elements(one(v))
                if isinstance(elt, ast.Starred):
                    self._bind(elt.value, one(seq(frozenset(part))))
                else:
                    self._bind(elt, frozenset(part))
        elif isinstance(target, ast.Starred):
            self._bind(target.value, one(seq(elements(vals))))
        elif isinstance(target, ast.Attribute):
            self._store_attr(target, vals)
        elif isinstance(target, ast.Subscript):
            self._store_item(target, vals)

    def _owner(self, name: str) -> Func | None:
        """The function whose local `name` is, following enclosing scopes; None: a global."""
        f: Func | None = self.cur
        while f is not None and f.kind not in ("module",):
            if name in f.nonlocals:
                f = f.parent
                continue
            if name in f.globals_:
                return None
            if name in f.locals:
                return f
            f = f.parent
        return None

    def _is_global(self, name: str) -> bool:
        return self.cur.kind == "module" or self._owner(name) is None

    def _store_name(self, name: str, vals: Vals, node: ast.AST) -> None:
        f = self.cur
        if f.kind in ("module", "classbody"):
            self._join(self.env[f.key], name, vals)
            if f.kind == "module":
                self._join(self.at_import, name, vals)
            return
        owner = self._owner(name)
        if owner is None:
            self._join(self.globals_, name, escape(vals))
            if not kernel_only(vals):
                self._stateful(f"writes the module global '{name}'", node)
            return
        self._join(self.env[owner.key], name, vals)
        if owner is not f and owner.key not in self.reachable and not kernel_only(vals):
            self._stateful(f"writes '{name}' of the enclosing {owner.key} across calls", node)

    def _persistent(self, expr: ast.expr) -> str | None:
        """How expr reads when the object it denotes outlives the call (None: it does not).

        Objects that outlive a forward call: module globals (modules aside: writing those is
        monkey patching), instances (self), locals of enclosing functions that forward does
        not run (a factory's closure) and mutable default arguments.
        """
        root, chain = expr, []
        while isinstance(root, ast.Attribute | ast.Subscript):
            chain.append(root)
            root = root.value
        if self.cur.kind in ("module", "classbody"):
            return None
        if isinstance(root, ast.Call) and isinstance(root.func, ast.Name) and \
                root.func.id == "type" or any(isinstance(c, ast.Attribute) and
                                              c.attr == "__class__" for c in chain):
            return ast.unparse(expr)  # class-level state: shared by every instance
        if not isinstance(root, ast.Name):
            return None
        vals = self._lookup(root.id)
        if any(persistent(v) for v in vals):
            return ast.unparse(expr)
        if any(v.kind == "inst" for v in vals):
            return None  # an object built during this call
        owner = self._owner(root.id)
        if owner is not None:
            if root.id in owner.mutable_defaults or owner.key not in self.reachable:
                return ast.unparse(expr)
            return None
        if vals and all(v.kind == "ext" for v in vals):
            return None
        return ast.unparse(expr)

    def _store_attr(self, target: ast.Attribute, vals: Vals) -> None:
        base = self.ev(target.value)
        for bv in base:
            if bv.kind == "inst":
                kept = escape(vals) if bv.tag in ("", "seed") else vals
                self._join(self.attrs.setdefault(bv.name, {}), target.attr, kept)
                if persistent(bv) and not kernel_only(vals):
                    self._stateful(f"writes {ast.unparse(target)}", target)
            elif bv.kind == "T" and target.attr != "requires_grad":
                self._record(f"Tensor.{target.attr} assignment", target)
        if not any(v.kind in ("inst", "lib", "kf", "T") for v in base) and \
                self._persistent(target.value) and not kernel_only(vals):
            self._stateful(f"writes {ast.unparse(target)}", target)

    def _store_item(self, target: ast.Subscript, vals: Vals) -> None:
        base = self.ev(target.value)
        index = self.ev(target.slice)
        if T in base:
            self._record("Tensor.__setitem__", target)
            self._index_effects(index, target)
        where = self._persistent(target.value)
        if where and not kernel_only(vals):
            self._stateful(f"writes into {where}", target)
        if isinstance(target.value, ast.Name):
            self._add_contents(target.value.id, vals)

    def _add_contents(self, name: str, vals: Vals) -> None:
        """Values put into the container a name holds (judged by the caller, not here)."""
        f = self.cur
        owner = f if f.kind in ("module", "classbody") else self._owner(name)
        if owner is None:
            self._join(self.globals_, name, one(seq(escape(vals))))
        else:
            self._join(self.env[owner.key], name, one(seq(vals)))

    def _index_effects(self, index: Vals, node: ast.AST) -> None:
        if has_tensor(index, 1):
            self._record("Tensor.__getitem__", node)

    def _delete(self, target: ast.expr) -> None:
        if isinstance(target, ast.Attribute | ast.Subscript):
            self.ev(target.value)
            where = self._persistent(target.value) if isinstance(target, ast.Subscript) \
                else (ast.unparse(target) if any(persistent(v) for v in
                                                 self.ev(target.value)) else None)
            if where:
                self._stateful(f"deletes from {where}", target)

    def _augassign(self, s: ast.AugAssign) -> None:
        current = self.ev(s.target) if not isinstance(s.target, ast.Name) else \
            self._lookup(s.target.id)
        value = self.ev(s.value)
        result = self._binop(current, value, type(s.op).__name__, s, augmented=True)
        self._bind(s.target, result)

    # ---- facts -----------------------------------------------------------------------------
    def _stateful(self, message: str, node: ast.AST | int, force: bool = False) -> None:
        if self.rec or force:
            line = node if isinstance(node, int) else getattr(node, "lineno", 0)
            self.result.stateful.setdefault(message, line)

    def _reach(self, key: str) -> None:
        if key in self.funcs and key not in self.reachable:
            self.reachable.add(key)
            self.changed = True

    def _join(self, table: dict, key: str, vals: Vals) -> None:
        old = table.get(key, EMPTY)
        if not vals <= old:
            table[key] = old | vals
            self.changed = True

    def _lookup(self, name: str) -> Vals:
        f: Func | None = self.cur
        if f.kind == "classbody" and name in f.locals:
            return self.env[f.key].get(name, EMPTY)
        owner = self._owner(name) if f.kind != "classbody" else None
        if owner is not None:
            return self.env[owner.key].get(name, EMPTY)
        if name in self.globals_ or name in self.module.locals:
            vals = self.globals_.get(name, EMPTY)
            if T in self.at_import.get(name, EMPTY) and self.rec and \
                    f.kind not in ("module", "classbody"):
                self._stateful(f"uses the module-level tensor '{name}' (computed at import)",
                               self._line)
            return vals
        if name in BUILTIN_NAMES:
            return one(Val("builtin", name))
        if self.ctx.star:
            return one(Val("ext", f"{self.ctx.star[0]}.{name}"))
        return one(U)


def _entry_param(p: ast.arg, default: ast.expr | None) -> Vals:
    """forward's inputs are tensors unless annotated or defaulted as plain values."""
    words = set(re.findall(r"\w+", ast.unparse(p.annotation))) if p.annotation else set()
    if "Tensor" not in words and words & {"int", "float", "bool", "str", "tuple", "list",
                                          "Sequence"}:
        return one(I)
    if default is None or isinstance(default, ast.Constant) and default.value is None:
        return one(T)
    if isinstance(default, ast.Constant):
        return one(I)
    return EMPTY  # not an input: the default's own values (bound on entry)


def _method_kind(node: ast.FunctionDef | ast.AsyncFunctionDef, cls: str | None,
                 ctx: ModuleContext) -> str:
    if cls is None:
        return "function"
    for dec in node.decorator_list:
        name = ast.unparse(dec)
        if name == "staticmethod":
            return "static"
        if name == "classmethod":
            return "classmethod"
        if name in ("property", "functools.cached_property") or \
                ctx.decorator_path(dec) == "functools.cached_property":
            return "property"
    return "function"


def _scope_nodes(body: list[ast.stmt]):
    """Statements of one scope, including those nested in if/for/while/with/try blocks."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for name in ("body", "orelse", "finalbody"):
            yield from _scope_nodes(getattr(stmt, name, []) or [])
        for handler in getattr(stmt, "handlers", []) or []:
            yield from _scope_nodes(handler.body)
        for case in getattr(stmt, "cases", []) or []:
            yield from _scope_nodes(case.body)


def _walk_shallow(node: ast.AST):
    """Nodes of an expression or statement, not entering nested def/class/lambda bodies."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            todo.extend(n.decorator_list)
            continue
        if isinstance(n, ast.Lambda):
            continue
        if isinstance(n, ast.stmt) and n is not node:
            continue  # statements are visited by _scope_nodes
        todo.extend(ast.iter_child_nodes(n))


def _walk_own(body: list[ast.stmt]):
    """Every node of a scope's body except those inside nested functions, classes, lambdas."""
    for stmt in _scope_nodes(body):
        yield from _walk_shallow(stmt)


def bound_names(body: list[ast.stmt]) -> set[str]:
    """Names a scope binds (assignments, loops, defs, classes, imports, except targets)."""
    names: set[str] = set()
    for node in _walk_own(body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for a in node.names:
                if a.name != "*":
                    names.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names
