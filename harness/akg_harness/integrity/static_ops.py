"""Expression evaluation of the reachability analysis: what a call, an operator or an attribute
access yields, and which of them are framework operators or kernel launches.

A mixin of `static_calls.Reach`: the statements and scopes live there, expressions here.
"""
from __future__ import annotations

import ast
import builtins

from .static_tables import (ARRAY_MODULES, AST_OPERATORS, DISTINCT_TENSOR_METHODS,
                            DUNDER_OPERATORS, GLUE_RESULT, IO_PATHS, MUTATORS, NATIVE_MODULE,
                            NN_CONTAINERS, NN_REGISTER, PLAIN_MODULES, SANCTIONED_LOADERS,
                            TENSOR_ATTRS, TILELANG_COMPILE, TORCH_DTYPES, TORCH_SUBMODULES,
                            TRITON_JIT, canonical_op, is_glue, under)
from .static_values import (BY_KIND, DT, EMPTY, NONE, SHAPE, T, U, I, Val, Vals,
                            elements, has_tensor, kernel_only, one, persistent, seq, tup, union)

BUILTIN_NAMES = frozenset(dir(builtins))
HOOKS = frozenset({"register_forward_hook", "register_forward_pre_hook"})
# torch namespaces whose calls configure or query rather than compute (other rules judge them).
TORCH_NON_COMPUTE = ("torch.cuda", "torch.backends", "torch.utils", "torch.testing",
                     "torch.distributed", "torch.profiler", "torch.autograd.profiler",
                     "torch.manual_seed", "torch.seed", "torch.initial_seed", "torch.Generator",
                     "torch.get_num_threads", "torch.library", "torch.overrides", "torch.npu",
                     "torch.set_num_threads", "torch.set_default_dtype", "torch.Stream",
                     "torch.set_float32_matmul_precision", "torch.use_deterministic_algorithms",
                     "torch.autograd.Function", "torch.nn.Module", "torch._dynamo.config")
NONGLUE_RESULT = {"item": "I", "tolist": "S", "__len__": "I", "__bool__": "I",
                  "__int__": "I", "__float__": "I"}
WEIGHTISH = ("weight", "bias", "running_", "in_proj")


class OpsMixin:
    # ---- dispatch ----------------------------------------------------------------------------
    def ev(self, e: ast.AST | None) -> Vals:
        if e is None:
            return one(NONE)
        method = getattr(self, "_ev_" + type(e).__name__, None)
        if method is not None:
            return method(e)
        for child in ast.iter_child_nodes(e):
            self.ev(child)
        return one(U)

    def _ev_Constant(self, e: ast.Constant) -> Vals:
        return one(NONE if e.value is None else I)

    def _ev_Name(self, e: ast.Name) -> Vals:
        self._line = e.lineno
        return self._lookup(e.id)  # empty while not yet bound in this round

    def _ev_Starred(self, e: ast.Starred) -> Vals:
        return self.ev(e.value)

    def _ev_BoolOp(self, e: ast.BoolOp) -> Vals:
        return union(self.ev(v) for v in e.values)

    def _ev_IfExp(self, e: ast.IfExp) -> Vals:
        self.ev(e.test)
        truth = self._truth(e.test)
        body = self.ev(e.body) if truth is not False else EMPTY
        orelse = self.ev(e.orelse) if truth is not True else EMPTY
        return body | orelse

    def _ev_NamedExpr(self, e: ast.NamedExpr) -> Vals:
        vals = self.ev(e.value)
        self._bind(e.target, vals)
        return vals

    def _ev_Lambda(self, e: ast.Lambda) -> Vals:
        key = self.by_node.get(id(e))
        if key is None:
            return one(U)
        if self.rec:
            self._reach(key)
        return one(Val("fn", key))

    def _ev_List(self, e: ast.List | ast.Set) -> Vals:
        parts = [elements(self.ev(x.value)) if isinstance(x, ast.Starred) else self.ev(x)
                 for x in e.elts]
        return one(seq(union(parts)))

    _ev_Set = _ev_List

    def _ev_Tuple(self, e: ast.Tuple) -> Vals:
        if any(isinstance(x, ast.Starred) for x in e.elts):
            return self._ev_List(e)  # type: ignore[arg-type]
        return one(tup([self.ev(x) for x in e.elts]))

    def _ev_Dict(self, e: ast.Dict) -> Vals:
        for k in e.keys:
            if k is not None:
                self.ev(k)
        parts = [self.ev(v) if k is not None else elements(self.ev(v))
                 for k, v in zip(e.keys, e.values)]
        return one(seq(union(parts)))

    def _comprehension(self, generators: list[ast.comprehension]) -> None:
        for g in generators:
            self._bind(g.target, elements(self.ev(g.iter)))
            for cond in g.ifs:
                self.ev(cond)

    def _ev_ListComp(self, e: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> Vals:
        self._comprehension(e.generators)
        return one(seq(self.ev(e.elt)))

    _ev_SetComp = _ev_GeneratorExp = _ev_ListComp

    def _ev_DictComp(self, e: ast.DictComp) -> Vals:
        self._comprehension(e.generators)
        self.ev(e.key)
        return one(seq(self.ev(e.value)))

    def _ev_JoinedStr(self, e: ast.JoinedStr) -> Vals:
        for v in e.values:
            if isinstance(v, ast.FormattedValue):
                self.ev(v.value)
        return one(I)

    def _ev_Yield(self, e: ast.Yield | ast.YieldFrom) -> Vals:
        vals = self.ev(e.value) if e.value is not None else one(NONE)
        if self.cur.kind not in ("module", "classbody"):
            self._join(self.returns, self.cur.key, one(seq(vals)))
        return one(U)

    _ev_YieldFrom = _ev_Yield

    # ---- operators -----------------------------------------------------------------------------
    def _ev_BinOp(self, e: ast.BinOp) -> Vals:
        return self._binop(self.ev(e.left), self.ev(e.right), type(e.op).__name__, e)

    def _binop(self, left: Vals, right: Vals, op: str, node: ast.AST,
               augmented: bool = False) -> Vals:
        both = left | right
        if T in both:
            self._record(f"operator {AST_OPERATORS.get(op, op)}{'=' if augmented else ''}", node)
            return one(T)
        containers = frozenset(v for v in both if v.kind in ("seq", "tup"))
        if containers and op in ("Add", "Mult"):
            return one(seq(elements(containers)))
        if both and all(v.kind == "I" for v in both):
            return one(I)
        return one(U)

    def _ev_UnaryOp(self, e: ast.UnaryOp) -> Vals:
        vals = self.ev(e.operand)
        if isinstance(e.op, ast.Not):
            return one(I)
        if T in vals:
            self._record(f"operator {AST_OPERATORS[type(e.op).__name__]}", e)
            return one(T)
        return vals if all(v.kind == "I" for v in vals) else one(U)

    def _ev_Compare(self, e: ast.Compare) -> Vals:
        values = [self.ev(e.left)] + [self.ev(c) for c in e.comparators]
        tensor = False
        for k, op in enumerate(e.ops):
            if isinstance(op, ast.Is | ast.IsNot | ast.In | ast.NotIn) or \
                    one(NONE) in (values[k], values[k + 1]):
                continue  # identity, membership, `t == None`: nothing is computed
            if T in values[k] or T in values[k + 1]:
                self._record(f"operator {AST_OPERATORS[type(op).__name__]}", e)
                tensor = True
        return one(T) if tensor else one(I)

    # ---- attributes and items ------------------------------------------------------------------
    def _ev_Attribute(self, e: ast.Attribute) -> Vals:
        base = self.ev(e.value)
        self._bases[id(e)] = base
        return self._attr(base, e.attr, e)

    def _attr(self, base: Vals, attr: str, node: ast.AST) -> Vals:
        out: set[Val] = set()
        for v in base:
            k = v.kind
            if k == "ext":
                out.add(DT if v.name == "torch" and attr in TORCH_DTYPES
                        else Val("ext", f"{v.name}.{attr}"))
            elif k == "T" and attr == "__class__":
                out.add(Val("tcls"))
            elif k == "T":
                kind = TENSOR_ATTRS.get(attr)
                out |= BY_KIND[kind] if kind else one(Val("tm", attr))
            elif k == "tcls":
                out.add(Val("ext", f"torch.Tensor.{attr}"))
            elif k in ("lib", "kf"):
                if attr.startswith("_") and not self.ctx.in_region(node):
                    self.result.private.append(getattr(node, "lineno", 0))
                out.add(Val("kf", f"{v.name}.{attr}", tag=v.tag) if k == "lib" else U)
            elif k == "jit":
                out.add(Val("jitrun", v.name) if attr == "run" else U)
            elif k == "inst":
                out |= self._inst_attr(v, attr)
            elif k == "cls":
                out |= self._class_attr(v.name, attr)
            elif k == "super":
                out |= self._super_attr(v, attr)
            elif k == "builtin":
                out.add(Val("builtin", f"{v.name}.{attr}"))
            elif k == "nn":
                out.add(v if "forward" in attr or attr == "__call__" else
                        (T if attr.startswith(WEIGHTISH) else U))
            elif k in ("seq", "tup"):
                out.add(Val("lm", attr))
            elif k in ("DEV", "DT", "I"):
                out.add(I if k != "I" else U)
            elif k in ("U", "um"):
                out.add(Val("um", attr))
            else:
                out.add(U)
        return frozenset(out)

    def _ev_Subscript(self, e: ast.Subscript) -> Vals:
        base = self.ev(e.value)
        index = self.ev(e.slice)
        out: set[Val] = set()
        for v in base:
            k = v.kind
            if k == "T":
                self._index_effects(index, e)
                out.add(T)
            elif k == "seq":
                out |= one(v) if isinstance(e.slice, ast.Slice) else v.items[0]
            elif k == "tup":
                s = e.slice
                if isinstance(s, ast.Constant) and isinstance(s.value, int) and \
                        -len(v.items) <= s.value < len(v.items):
                    out |= v.items[s.value]
                else:
                    out |= one(seq(elements(one(v)))) if isinstance(s, ast.Slice) \
                        else elements(one(v))
            elif k == "jit":
                out.add(Val("jitgrid", v.name, tag=ast.unparse(e.slice)))
            elif k == "lib":
                s = e.slice
                name = s.value if isinstance(s, ast.Constant) else ast.unparse(s)
                out.add(Val("kf", f"{v.name}.{name}", tag=v.tag))
            elif k == "nn":
                out.add(v)
            elif k == "inst":
                out |= self._call_vals(self._inst_attr(v, "__getitem__"), [index], {}, False,
                                       None)
            elif k == "I":
                out.add(I)
            else:
                out.add(U)
        return frozenset(out)

    # ---- classes -------------------------------------------------------------------------------
    def _mro(self, name: str) -> list[str]:
        order, todo = [], [name]
        while todo:
            c = todo.pop(0)
            if c in self.classes and c not in order:
                order.append(c)
                todo.extend(self.classes[c].bases)
        return order

    def _framework_base(self, name: str) -> str | None:
        for c in self._mro(name):
            for b in self.classes[c].bases:
                if b not in self.classes and b.startswith("torch."):
                    if b not in ("torch.nn.Module", "torch.nn.modules.module.Module"):
                        return b
        return None

    def _class_lookup(self, name: str, attr: str, start: int = 0) -> tuple[str, Vals] | None:
        for c in self._mro(name)[start:]:
            table = self.cattrs.get(c, {})
            if attr in table:
                return c, table[attr]
        return None

    def _bind_method(self, v: Val, me: Val, on_instance: bool) -> Val:
        """A function found on a class, as `me.attr` yields it (me: an inst or a cls)."""
        if v.kind != "fn" or v.name not in self.funcs:
            return v
        kind = self.funcs[v.name].kind
        if kind == "static":
            return v
        if kind == "classmethod":
            return Val("cbound", v.name, tag=me.name)
        return Val("bound", v.name, tag=me.name, items=(one(me),)) if on_instance else v

    def _inst_attr(self, me: Val, attr: str) -> Vals:
        out: set[Val] = set()
        for c in self._mro(me.name):
            out |= self.attrs.get(c, {}).get(attr, EMPTY)
        found = self._class_lookup(me.name, attr)
        if found is not None:
            for v in found[1]:
                if v.kind == "fn" and v.name in self.funcs and \
                        self.funcs[v.name].kind == "property":
                    out |= self._pass_args(v.name, [], {}, False, one(me))
                else:
                    out.add(self._bind_method(v, me, True))
        if not out:
            out |= self._framework_attr(me.name, attr)
        return frozenset(out)

    def _framework_attr(self, name: str, attr: str) -> Vals:
        base = self._framework_base(name)
        if base and base.startswith("torch.nn.") and ("forward" in attr or attr == "__call__"):
            return one(Val("nn", canonical_op(base)))
        if base and attr.startswith(WEIGHTISH):
            return one(T)
        if base == "torch.autograd.Function" and attr == "apply":
            return one(Val("apply", name))
        return one(Val("um", attr)) if attr not in NN_REGISTER else one(U)

    def _class_attr(self, name: str, attr: str, bind: bool = True) -> Vals:
        found = self._class_lookup(name, attr)
        if found is None:
            return self._framework_attr(name, attr)
        me = Val("cls", name)
        return frozenset(self._bind_method(v, me, False) if bind else v for v in found[1])

    def _super_attr(self, sup: Val, attr: str) -> Vals:
        found = self._class_lookup(sup.name, attr, start=1)
        if found is None:
            return self._framework_attr(sup.name, attr)
        selves = sup.items[0] if sup.items else one(Val("inst", sup.name, tag="seed"))
        return frozenset(self._bind_method(v, me, True) for v in found[1] for me in selves
                         if me.kind == "inst") or found[1]

    # ---- calls ---------------------------------------------------------------------------------
    def _ev_Call(self, e: ast.Call) -> Vals:
        fvals = self.ev(e.func)
        args: list[Vals] = []
        kws: dict[str, Vals] = {}
        star = False
        for a in e.args:
            if isinstance(a, ast.Starred):
                star = True
                args.append(elements(self.ev(a.value)))
            else:
                args.append(self.ev(a))
        for kw in e.keywords:
            vals = self.ev(kw.value)
            if kw.arg is None:
                star = True
                kws["**"] = elements(vals)
            else:
                kws[kw.arg] = vals
        self._passed_callables(union(args) | union(kws.values()), e)
        out = self._call_vals(fvals, args, kws, star, e)
        if isinstance(e.func, ast.Attribute):
            self._method_effects(e, args, kws)
        return out

    def _call_vals(self, fvals: Vals, args: list[Vals], kws: dict[str, Vals], star: bool,
                   node: ast.Call | None = None) -> Vals:
        out: set[Val] = set()
        for fv in fvals:
            out |= self._apply(fv, args, kws, star, node)
        return frozenset(out)

    def _apply(self, fv: Val, args: list[Vals], kws: dict[str, Vals], star: bool,
               node: ast.Call | None) -> Vals:
        k = fv.kind
        if k == "fn":
            return self._pass_args(fv.name, args, kws, star, None)
        if k in ("bound", "cbound"):
            me = fv.items[0] if fv.items else one(Val("inst" if k == "bound" else "cls",
                                                      fv.tag))
            return self._pass_args(fv.name, args, kws, star, me)
        if k == "cls":
            built = Val("inst", fv.name,
                        tag="call" if self.cur.kind not in ("module", "classbody") else "")
            init = self._class_lookup(fv.name, "__init__")
            for v in (init[1] if init else EMPTY):
                if v.kind == "fn":
                    self._pass_args(v.name, args, kws, star, one(built))
            return one(built)
        if k == "inst":
            call = self._inst_attr(fv, "__call__")
            if not any(v.kind in ("bound", "fn", "nn") for v in call):
                call = self._inst_attr(fv, "forward")
            return self._call_vals(call, args, kws, star, node)
        if k == "apply":
            found = self._class_lookup(fv.name, "forward")
            return self._call_vals(found[1] if found else EMPTY, [one(U)] + args, kws, star,
                                   node)
        if k == "partial":
            inner = fv.items[0]
            return self._call_vals(inner, list(fv.items[1:]) + args, kws, True, node)
        if k == "builtin":
            return self._builtin(fv.name, args, kws, star, node)
        if node is None:
            return one(U)
        return self._apply_leaf(fv, args, kws, node)

    def _apply_leaf(self, fv: Val, args: list[Vals], kws: dict[str, Vals],
                    node: ast.Call) -> Vals:
        k = fv.kind
        if k == "ext":
            return self._call_ext(fv.name, args, kws, node)
        if k == "tm":
            return self._tensor_method(fv.name, args, kws, node)
        if k == "um":
            if fv.name in DISTINCT_TENSOR_METHODS or fv.name in DUNDER_OPERATORS:
                return self._tensor_method(fv.name, args, kws, node)
            return one(U)
        if k == "lm":
            return self._list_method(fv.name, args, node)
        if k == "kf":
            self._launch(fv.name, node, "native", fv.tag)
            return one(U)
        if k in ("jitgrid", "jitrun"):
            label = f"{fv.name}[{fv.tag}]" if k == "jitgrid" else f"{fv.name}.run"
            self._launch(label, node, "triton")
            return one(NONE)
        if k == "tljit":
            if has_tensor(union(args) | union(kws.values())):
                self._launch(f"{fv.name}(...)", node, "tilelang")
                return one(T)
            return one(Val("tlk", fv.name))
        if k == "tlk":
            self._launch(fv.name, node, "tilelang")
            return one(T)
        if k == "loader":
            return one(Val("lib", self.ctx.call_site_label(node), tag=fv.name))
        if k == "nn":
            self._record(fv.name, node)
            return one(T)
        if k == "tcls":
            self._record("torch.Tensor", node)
            return one(T)
        return one(U)

    def _pass_args(self, key: str, args: list[Vals], kws: dict[str, Vals], star: bool,
                   me: Vals | None) -> Vals:
        f = self.funcs.get(key)
        if f is None or not hasattr(f.node, "args"):
            return one(U)
        if self.rec:
            self._reach(key)
        a = f.node.args  # type: ignore[attr-defined]
        table = self.params[key]
        pos = [p.arg for p in a.posonlyargs + a.args]
        kwonly = [p.arg for p in a.kwonlyargs]
        if me is not None and pos:
            self._join(table, pos[0], me)
            pos = pos[1:]
        if star:
            everything = union(args) | union(kws.values())
            everything |= elements(everything)
            for p in pos + kwonly:
                self._join(table, p, everything)
            for p in (a.vararg, a.kwarg):
                if p is not None:
                    self._join(table, p.arg, one(seq(everything)))
        else:
            for p, vals in zip(pos, args):
                self._join(table, p, vals)
            if a.vararg is not None and len(args) > len(pos):
                self._join(table, a.vararg.arg, one(seq(union(args[len(pos):]))))
            for name, vals in kws.items():
                if name in pos or name in kwonly:
                    self._join(table, name, vals)
                elif a.kwarg is not None:
                    self._join(table, a.kwarg.arg, one(seq(vals)))
        return self.returns.get(key, EMPTY)

    def _passed_callables(self, vals: Vals, node: ast.Call) -> None:
        """A function handed to another call will be called: it is reachable."""
        if not self.rec:
            return
        for v in vals:
            if v.kind in ("fn", "bound", "cbound"):
                self._pass_args(v.name, [], {}, True, v.items[0] if v.items else None)
            elif v.kind == "tm":
                self._record(f"Tensor.{v.name}", node)
            elif v.kind == "ext" and v.name.startswith("torch.") and _op_like(v.name):
                self._record(canonical_op(v.name), node)

    def _method_effects(self, node: ast.Call, args: list[Vals], kws: dict[str, Vals]) -> None:
        func = node.func
        assert isinstance(func, ast.Attribute)
        attr, recv = func.attr, self._bases.get(id(func), EMPTY)
        passed = union(args) | union(kws.values())
        instance = [v for v in recv if v.kind == "inst"]
        if attr in HOOKS and instance and args:
            hook_args = [one(instance[0]), one(seq(one(T))), one(T)]
            for v in args[0]:
                if v.kind in ("fn", "bound"):
                    me = v.items[0] if v.kind == "bound" and v.items else None
                    self._pass_args(v.name, hook_args, {}, False, me)
                    self._reach(v.name)
        if attr in NN_REGISTER and instance:
            if any(persistent(v) for v in instance):
                self._stateful(f"registers state on {ast.unparse(func.value)} ({attr})", node)
            if attr in ("register_buffer", "register_parameter") and len(node.args) >= 2 and \
                    isinstance(node.args[0], ast.Constant) and len(args) >= 2:
                for v in instance:
                    self._join(self.attrs.setdefault(v.name, {}), str(node.args[0].value),
                               args[1])
        tensor_like = T in recv or (attr in DISTINCT_TENSOR_METHODS and
                                    any(v.kind in ("U", "um") for v in recv))
        if tensor_like and attr.endswith("_") and not attr.startswith("_"):
            where = self._persistent(func.value)
            if where:
                self._stateful(f"updates {where} in place ({attr})", node)
        elif attr in MUTATORS and not any(v.kind in ("T", "inst", "ext") for v in recv):
            where = self._persistent(func.value)
            reading = attr in ("pop", "popitem", "clear", "remove", "discard", "__delitem__")
            stored = elements(args[0]) | union(kws.values()) if attr in ("update", "extend") \
                and args else (args[-1] if args else EMPTY)
            if where and (reading or not kernel_only(stored)):
                self._stateful(f"mutates {where} ({attr})", node)
            if isinstance(func.value, ast.Name) and not reading:
                self._add_contents(func.value.id, stored)

    def _list_method(self, name: str, args: list[Vals], node: ast.Call) -> Vals:
        recv = self._bases.get(id(node.func), EMPTY)
        inner = elements(recv)
        return {"get": inner | (args[1] if len(args) > 1 else one(NONE)), "pop": inner,
                "copy": recv, "values": one(seq(inner)), "items": one(seq(one(tup([one(U),
                inner])))), "keys": one(seq(one(U))), "index": one(I), "count": one(I),
                "setdefault": inner | (args[1] if len(args) > 1 else EMPTY)}.get(name, one(U))

    # ---- leaves: framework, library and builtin calls ------------------------------------------
    def _call_ext(self, path: str, args: list[Vals], kws: dict[str, Vals],
                  node: ast.Call) -> Vals:
        head, _, name = path.rpartition(".")
        passed = union(args) | union(kws.values())
        if head == NATIVE_MODULE and name in SANCTIONED_LOADERS:
            return one(Val("lib", self.ctx.call_site_label(node), tag=name))
        if path in TILELANG_COMPILE:
            return one(Val("tlk", self.ctx.call_site_label(node)))
        if path in TRITON_JIT and args:
            return one(Val("jit", self.ctx.call_site_label(node)))
        root = path.split(".")[0]
        if root == "torch":
            return self._torch_call(path, args, kws, node)
        if root == "functools":
            return self._functools(name, args, node)
        if root == "operator":
            if name == "methodcaller" and node.args and isinstance(node.args[0], ast.Constant):
                return one(Val("tm", str(node.args[0].value)))
            if has_tensor(passed):
                self._record(canonical_op(path), node)
                return one(T)
            return one(U) if name.endswith("getter") else one(I)
        if root == "itertools":
            return one(seq(union(elements(a) for a in args)))
        if path == "typing.cast" and len(args) == 2:
            return args[1]
        if root in PLAIN_MODULES or path.startswith("."):
            return one(U)
        if has_tensor(passed):
            self._record(path, node)
            return one(T)
        return one(I) if root in ARRAY_MODULES else one(U)

    def _torch_call(self, path: str, args: list[Vals], kws: dict[str, Vals],
                    node: ast.Call) -> Vals:
        canon = canonical_op(path)
        last = path.rsplit(".", 1)[-1]
        if path in NN_CONTAINERS:
            return union(a | elements(a) for a in args) or one(U)
        if path.startswith("torch.nn.") and not path.startswith("torch.nn.functional.") and \
                last[:1].isupper():
            return one(T) if is_glue(canon, self.extra) else one(Val("nn", canon))
        if is_glue(canon, self.extra):
            kind = GLUE_RESULT.get(canon, "T")
            if canon in ("Tensor.size", "Tensor.stride"):
                kind = "I" if len(args) > 1 else "S"
            return BY_KIND[kind]
        if canon.startswith("Tensor."):
            return self._tensor_method(canon[7:], args[1:], kws, node)
        if under(path, TORCH_NON_COMPUTE) or path.startswith("torch.set_") or \
                under(path, IO_PATHS):
            return one(U)
        self._record(canon, node)
        if path in ("torch.compile", "torch.jit.script") and args:
            return args[0]
        return one(T)

    def _tensor_method(self, name: str, args: list[Vals], kws: dict[str, Vals],
                       node: ast.Call) -> Vals:
        if name in DUNDER_OPERATORS:
            op = f"operator {DUNDER_OPERATORS[name]}"
        elif name == "to" and self._changes_dtype(args, kws):
            op = "Tensor.to(dtype)"
        elif name == "type" and (args or kws):
            op = "Tensor.type(dtype)"
        else:
            op = f"Tensor.{name}"
        self._record(op, node)
        if name in ("size", "stride"):
            return one(I) if args else one(SHAPE)
        return BY_KIND[GLUE_RESULT.get(f"Tensor.{name}", NONGLUE_RESULT.get(name, "T"))]

    @staticmethod
    def _changes_dtype(args: list[Vals], kws: dict[str, Vals]) -> bool:
        if any(v.kind != "NONE" for v in kws.get("dtype", EMPTY)):
            return True
        return any(v.kind in ("DT", "T") for v in union(args) | kws.get("other", EMPTY))

    def _functools(self, name: str, args: list[Vals], node: ast.Call) -> Vals:
        if name == "reduce" and len(args) >= 2:
            items = elements(args[1])
            init = args[2] if len(args) > 2 else EMPTY
            return self._call_vals(args[0], [items | init, items], {}, False, node) | init
        if name == "partial" and args:
            return one(Val("partial", items=tuple(args)))
        if name in ("lru_cache", "cache") and args:
            for v in args[0]:
                if v.kind == "fn":
                    self.cached.add(v.name)
            return args[0]
        return one(U)

    def _builtin(self, name: str, args: list[Vals], kws: dict[str, Vals], star: bool,
                 node: ast.Call | None) -> Vals:
        first = args[0] if args else EMPTY
        if name in ("min", "max", "sum", "abs", "round", "pow", "divmod"):
            if has_tensor(union(args)) or (len(args) == 1 and has_tensor(elements(first))):
                if node is not None:
                    self._record(f"builtins.{name}", node)
                return one(T)
            return (elements(first) if len(args) == 1 else union(args)) \
                if name in ("min", "max") else one(I)
        if name in ("int", "float", "complex", "bool") and T in first and node is not None:
            self._record("Tensor.item", node)
        if name == "range":
            return one(SHAPE)
        if name == "enumerate":
            return one(seq(one(tup([one(I), elements(first)]))))
        if name == "zip":
            return one(seq(one(tup([elements(a) for a in args]))))
        if name in ("list", "tuple", "set", "frozenset", "sorted", "reversed", "iter"):
            if "key" in kws:
                self._call_vals(kws["key"], [elements(first)], {}, False, node)
            return one(seq(elements(first)))
        if name == "dict":
            return one(seq(union(elements(a) for a in args) | union(kws.values())))
        if name == "next":
            return elements(first) | (args[1] if len(args) > 1 else EMPTY)
        if name in ("map", "filter") and args:
            res = self._call_vals(first, [elements(a) for a in args[1:]], {}, False, node)
            return one(seq(res if name == "map" else elements(args[1] if len(args) > 1
                                                                 else EMPTY)))
        if name == "getattr" and node is not None and len(node.args) >= 2:
            return self._getattr(node, first, args)
        if name in ("setattr", "delattr", "object.__setattr__", "object.__delattr__"):
            if any(persistent(v) for v in first) or (node is not None and node.args and
                                                         self._persistent(node.args[0])):
                self._stateful(f"{name} on {ast.unparse(node.args[0])}", node)  # type: ignore
            return one(NONE)
        if name == "type":
            return one(Val("tcls")) if T in first else frozenset(
                Val("cls", v.name) if v.kind == "inst" else U for v in first) or one(U)
        if name == "super":
            if not self.cur.cls:
                return one(U)
            a = self.cur.node.args  # type: ignore[attr-defined]
            first = (a.posonlyargs + a.args)[:1]
            selves = self._lookup(first[0].arg) if first else EMPTY
            return one(Val("super", self.cur.cls, items=(selves,)))
        if name in ("staticmethod", "classmethod", "property"):
            return first or one(U)
        if name in ("print", "exec", "breakpoint"):
            return one(NONE)
        if name in ("len", "id", "hash", "isinstance", "issubclass", "callable", "hasattr",
                    "repr", "str", "format", "ord", "chr", "all", "any", "int", "float",
                    "bool", "bin", "hex", "oct", "ascii", "complex"):
            return one(I)
        return one(U)

    def _getattr(self, node: ast.Call, obj: Vals, args: list[Vals]) -> Vals:
        name_node = node.args[1]
        default = args[2] if len(args) > 2 else EMPTY
        if isinstance(name_node, ast.Constant) and isinstance(name_node.value, str):
            return self._attr(obj, name_node.value, node) | default
        out: set[Val] = set(default)
        for v in obj:
            if v.kind == "T":
                self._record("Tensor.<getattr>", node)
                out.add(Val("tm", "<getattr>"))
            elif v.kind == "lib":
                out.add(Val("kf", f"{v.name}.<getattr>", tag=v.tag))
            else:
                out.add(U)
        return frozenset(out)

    # ---- facts ---------------------------------------------------------------------------------
    def _record(self, op: str, node: ast.AST) -> None:
        if self.rec and not is_glue(op, self.extra):
            self.result.ops.setdefault(op, getattr(node, "lineno", 0))

    def _launch(self, label: str, node: ast.AST, family: str, loader: str = "") -> None:
        if self.rec and family == self.spec.family and (
                family != "native" or loader in self.spec.loaders):
            self.result.launches.setdefault(label, getattr(node, "lineno", 0))


def _op_like(path: str) -> bool:
    last = path.rsplit(".", 1)[-1]
    return path not in TORCH_SUBMODULES and last[:1].islower() and \
        last not in TORCH_DTYPES and not under(path, TORCH_NON_COMPUTE)
