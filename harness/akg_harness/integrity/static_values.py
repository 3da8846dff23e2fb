"""Abstract values of the reachability analysis (static_calls) and their small algebra.

A name holds a set of `Val`s (flow-insensitive: everything it may be bound to). Kinds:
  T tensor, I plain value (number, str, bool), NONE, DT dtype, DEV device, U unknown,
  seq(items=(elements,)) list/dict/set/shape, tup(items=(e0, e1, ...)) fixed tuple,
  ext(name=path) something reached through an import, tm(name) bound tensor method,
  um(name) method of an unknown value, lm(name) method of a list, fn(name=key) candidate
  function, bound(name=key, tag=class) method bound to an instance, cbound classmethod,
  cls/inst(name=class, tag=provenance: "" outlives the call (ModelNew, module-level or stored
  objects), "call" built during a call, "seed" a method's own self), super(name=class,
  items=(self values,)), apply(name=class) autograd Function.apply,
  nn(name=op) torch.nn module instance, builtin(name), partial(items=(fns, args...)),
  loader(name) sanctioned loader, lib(name=label, tag=loader) loaded library,
  kf(name=label, tag=loader) library function, jit(name) triton kernel,
  jitgrid(name, tag=grid) / jitrun(name) launchable triton kernel, tljit(name) tilelang
  kernel factory, prim(name) TileLang prim_func, tlk(name) compiled TileLang kernel,
  tcls the tensor class.
"""
from __future__ import annotations

from typing import NamedTuple


class Val(NamedTuple):
    kind: str
    name: str = ""
    items: tuple = ()
    tag: str = ""


Vals = frozenset
EMPTY: Vals = frozenset()
T = Val("T")
I = Val("I")  # noqa: E741 - the plain-value kind
U = Val("U")
NONE = Val("NONE")
DT = Val("DT")
DEV = Val("DEV")
MAX_DEPTH = 3
KERNEL_KINDS = frozenset({"lib", "kf", "jit", "jitgrid", "jitrun", "tljit", "tlk", "prim",
                          "loader", "NONE"})


def one(v: Val) -> Vals:
    return frozenset((v,))


def _depth(v: Val) -> int:
    if v.kind not in ("seq", "tup", "partial"):
        return 0
    return 1 + max((_depth(x) for vals in v.items if isinstance(vals, frozenset) for x in vals),
                   default=0)


def seq(elements: Vals) -> Val:
    v = Val("seq", items=(frozenset(elements),))
    return v if _depth(v) <= MAX_DEPTH else U


def tup(parts: list[Vals]) -> Val:
    v = Val("tup", items=tuple(frozenset(p) for p in parts))
    return v if _depth(v) <= MAX_DEPTH else U


SHAPE = seq(one(I))
TENSORS = seq(one(T))
BY_KIND = {"T": one(T), "I": one(I), "S": one(SHAPE), "DT": one(DT), "DEV": one(DEV),
           "U": one(U), "NONE": one(NONE), "TS": one(TENSORS)}


def elements(vals: Vals) -> Vals:
    """What iterating (or indexing) any of vals yields."""
    out: set[Val] = set()
    for v in vals:
        if v.kind == "seq":
            out |= v.items[0]
        elif v.kind == "tup":
            for part in v.items:
                out |= part
        elif v.kind in ("T", "nn", "I"):
            out.add(v)
        else:
            out.add(U)
    return frozenset(out)


def has_tensor(vals: Vals, depth: int = 2) -> bool:
    for v in vals:
        if v.kind == "T":
            return True
        if depth and v.kind in ("seq", "tup") and has_tensor(elements(one(v)), depth - 1):
            return True
    return False


def kernel_only(vals: Vals, depth: int = 2) -> bool:
    """True when vals hold only kernels, libraries, None (or containers of them)."""
    for v in vals:
        if v.kind in ("seq", "tup") and depth:
            inner = elements(one(v))
            if not inner or not kernel_only(inner, depth - 1):
                return False  # an empty container kept across calls is a cache to be
        elif v.kind not in KERNEL_KINDS:
            return False
    return True


def persistent(v: Val) -> bool:
    """An instance that outlives a forward call (writing its attributes is state)."""
    return v.kind == "inst" and v.tag == ""


def escape(vals: Vals, depth: int = 2) -> Vals:
    """vals stored somewhere that outlives the call: the instances among them do too."""
    out: set[Val] = set()
    for v in vals:
        if v.kind == "inst" and v.tag == "call":
            out.add(v._replace(tag=""))
        elif v.kind in ("seq", "tup") and depth:
            out.add(v._replace(items=tuple(escape(p, depth - 1) for p in v.items)))
        else:
            out.add(v)
    return frozenset(out)


def union(parts) -> Vals:
    out: set[Val] = set()
    for p in parts:
        out |= p
    return frozenset(out)
