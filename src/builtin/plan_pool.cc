// The Pool plan (plan.h): its lowering (max_pool1d-3d, avg_pool1d-3d, adaptive average pooling
// to one element), its output shape, and its kernels in both DSLs (plan_emit.h).
//
// A pool launch runs over its output's elements, flat: each one's index is split into the
// output's dims; the leading dims pick the plane, the pooled dims the window, whose taps are
// loaded through the operand's own strides (no copy), masked outside the input (padding).
// A max keeps NaN (torch's max pooling propagates it); an average sums in float32 and divides
// by torch's divisor. The epilogue runs on the pooled value before the one store.
#include <algorithm>

#include <fmt/format.h>

#include "builtin/expr_emit.h"
#include "builtin/plan_dag.h"
#include "builtin/plan_emit.h"

namespace akg {
namespace {

// An int or a list of ints, as `dims` values (one int repeats); empty when absent.
Result<std::vector<int64_t>> IntList(const AtenCall& c, Lowering& l, size_t pos, const char* kw,
                                     int dims, std::vector<int64_t> fallback) {
  const Json* v = l.Arg(c, pos, kw);
  if (v == nullptr || (v->is_array() && v->empty())) return fallback;
  std::vector<int64_t> out;
  if (v->is_number_integer()) out.assign(static_cast<size_t>(dims), v->get<int64_t>());
  else if (v->is_array()) {
    for (const Json& x : *v) {
      if (!x.is_number_integer()) return UnsupportedError(c.target + ": " + kw + " " + v->dump());
      out.push_back(x.get<int64_t>());
    }
    if (out.size() == 1) out.assign(static_cast<size_t>(dims), out[0]);
  } else {
    return UnsupportedError(c.target + ": " + kw + " " + v->dump());
  }
  if (static_cast<int>(out.size()) != dims) {
    return InputError(fmt::format("{}: {} has {} values for {} pooled dims", c.target, kw,
                                  out.size(), dims));
  }
  return out;
}

PlanHandler Pool(bool max, int dims) {
  return [max, dims](const AtenCall& c, Lowering& l) -> Result<int> {
    AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
    PoolPlan p;
    p.max = max;
    p.dims = dims;
    AKG_ASSIGN_OR_RETURN(p.kernel, IntList(c, l, 1, "kernel_size", dims, {}));
    if (p.kernel.empty()) return InputError(c.target + ": no kernel_size");
    AKG_ASSIGN_OR_RETURN(p.stride, IntList(c, l, 2, "stride", dims, p.kernel));
    AKG_ASSIGN_OR_RETURN(p.padding, IntList(c, l, 3, "padding", dims,
                                            std::vector<int64_t>(static_cast<size_t>(dims), 0)));
    std::vector<int64_t> ones(static_cast<size_t>(dims), 1);
    if (max) {
      AKG_ASSIGN_OR_RETURN(p.dilation, IntList(c, l, 4, "dilation", dims, ones));
      const Json* ceil = l.Arg(c, 5, "ceil_mode");
      p.ceil_mode = ceil != nullptr && ceil->is_boolean() && ceil->get<bool>();
    } else {
      p.dilation = ones;
      const Json* ceil = l.Arg(c, 4, "ceil_mode");
      p.ceil_mode = ceil != nullptr && ceil->is_boolean() && ceil->get<bool>();
      const Json* cip = l.Arg(c, 5, "count_include_pad");
      p.count_include_pad = cip == nullptr || !cip->is_boolean() || cip->get<bool>();
      const Json* div = dims == 1 ? nullptr : l.Arg(c, 6, "divisor_override");
      if (div != nullptr) {
        if (!div->is_number_integer() || div->get<int64_t>() <= 0) {
          return InputError(c.target + ": divisor_override " + div->dump());
        }
        p.divisor = div->get<int64_t>();
      }
    }
    for (int d = 0; d < dims; ++d) {
      size_t i = static_cast<size_t>(d);
      if (p.kernel[i] <= 0 || p.stride[i] <= 0 || p.dilation[i] <= 0 || p.padding[i] < 0 ||
          2 * p.padding[i] > (p.kernel[i] - 1) * p.dilation[i] + 1) {
        return InputError(c.target + ": a kernel, stride, padding or dilation out of range");
      }
    }
    if (l.rank_of(x) < dims + 1) {
      return UnsupportedError(fmt::format("{} of a rank-{} tensor", c.target, l.rank_of(x)));
    }
    return l.b.Add(ExprOp::kPool, {x}, PoolParams(p));
  };
}

// adaptive_avg_pool to one element per plane is a mean over the pooled dims; any other output
// size has windows that depend on the input's size.
PlanHandler AdaptiveAvg(int dims) {
  return [dims](const AtenCall& c, Lowering& l) -> Result<int> {
    AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
    const Json* size = l.Arg(c, 1, "output_size");
    bool ones = size != nullptr && ((size->is_number_integer() && size->get<int64_t>() == 1) ||
                                    size->is_array());
    if (ones && size->is_array()) {
      for (const Json& s : *size) ones = ones && s.is_number_integer() && s.get<int64_t>() == 1;
    }
    if (!ones) {
      return UnsupportedError("the builtin model writes " + c.target + " only to output size 1 "
                              "(a mean); this task asks for " + (size ? size->dump() : "none"));
    }
    int rank = l.rank_of(x);
    if (rank < dims + 1) return UnsupportedError(c.target + " of a low-rank tensor");
    std::vector<int> axes;
    for (int d = rank - dims; d < rank; ++d) axes.push_back(d);
    return l.b.Add(ExprOp::kReduce, {x}, ReduceParams(ReduceCombiner::kMean, true, rank, axes));
  };
}

}  // namespace

std::vector<double> PoolParams(const PoolPlan& p) {
  std::vector<double> v = {p.max ? 1.0 : 0.0, static_cast<double>(p.dims), p.ceil_mode ? 1.0 : 0.0,
                           p.count_include_pad ? 1.0 : 0.0, static_cast<double>(p.divisor)};
  for (const auto* list : {&p.kernel, &p.stride, &p.padding, &p.dilation}) {
    for (int64_t x : *list) v.push_back(static_cast<double>(x));
  }
  return v;
}

PoolPlan PoolOf(const ExprNode& n) {
  PoolPlan p;
  p.max = n.params[0] != 0;
  p.dims = static_cast<int>(n.params[1]);
  p.ceil_mode = n.params[2] != 0;
  p.count_include_pad = n.params[3] != 0;
  p.divisor = static_cast<int64_t>(n.params[4]);
  size_t at = 5;
  for (auto* list : {&p.kernel, &p.stride, &p.padding, &p.dilation}) {
    for (int d = 0; d < p.dims; ++d) list->push_back(static_cast<int64_t>(n.params[at++]));
  }
  return p;
}

Result<std::vector<int64_t>> PoolShape(const PoolPlan& p, const std::vector<int64_t>& in) {
  std::vector<int64_t> out = in;
  size_t lead = in.size() - static_cast<size_t>(p.dims);
  for (int d = 0; d < p.dims; ++d) {
    size_t i = static_cast<size_t>(d);
    int64_t len = in[lead + i], k = p.kernel[i], s = p.stride[i], pad = p.padding[i];
    int64_t span = len + 2 * pad - p.dilation[i] * (k - 1) - 1 + (p.ceil_mode ? s - 1 : 0);
    if (span < 0) return InputError("the pooling window is larger than the padded input");
    int64_t n = span / s + 1;
    if (p.ceil_mode && (n - 1) * s >= len + pad) --n;
    out[lead + i] = n;
  }
  return out;
}

const std::map<std::string, PlanHandler>& PoolHandlers() {
  static const auto* h = new std::map<std::string, PlanHandler>{
      {"max_pool1d", Pool(true, 1)},          {"max_pool2d", Pool(true, 2)},
      {"max_pool3d", Pool(true, 3)},          {"avg_pool1d", Pool(false, 1)},
      {"avg_pool2d", Pool(false, 2)},         {"avg_pool3d", Pool(false, 3)},
      {"adaptive_avg_pool1d", AdaptiveAvg(1)}, {"adaptive_avg_pool2d", AdaptiveAvg(2)},
      {"_adaptive_avg_pool2d", AdaptiveAvg(2)}, {"adaptive_avg_pool3d", AdaptiveAvg(3)},
      {"_adaptive_avg_pool3d", AdaptiveAvg(3)},
  };
  return *h;
}

// ---- Triton --------------------------------------------------------------------------------

std::string PoolTritonKernel(const Launch& l, size_t k) {
  const PoolPlan& p = l.pool;
  int rank = static_cast<int>(l.out.shape.size());
  int lead = rank - p.dims;
  int ops = static_cast<int>(l.operands.size());
  auto idx = [](int d) { return fmt::format("i{}", d); };
  std::string params = "out_ptr, x_ptr";
  for (int e = 1; e < ops; ++e) params += fmt::format(", e{}_ptr", e);
  params += ", total, " + JoinIndexed(rank, [](int d) { return fmt::format("n{}", d); });
  params += ", " + JoinIndexed(p.dims, [](int d) { return fmt::format("len{}", d); });
  params += ", " + JoinIndexed(rank, [](int d) { return fmt::format("xs{}", d); });
  for (int e = 1; e < ops; ++e) {
    params += ", " + JoinIndexed(rank, [e](int d) { return fmt::format("e{}_s{}", e, d); });
  }
  params += ", BLOCK: tl.constexpr, WIDE: tl.constexpr";
  EmitCode c;
  c.Line(0, "@triton.jit");
  c.Line(0, fmt::format("def _akg{}_kernel({}):", k, params));
  c.Line(1, "o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)");
  c.Line(1, "if WIDE:");
  c.Line(2, "o = o.to(tl.int64)");
  c.Line(1, "mask = o < total");
  c.Line(1, "r = o");
  for (int d = rank - 1; d > 0; --d) {
    c.Line(1, fmt::format("i{0} = r % n{0}", d));
    c.Line(1, fmt::format("r = r // n{}", d));
  }
  c.Line(1, "i0 = r");
  std::string base = lead == 0 ? "0" : JoinIndexed(lead, [](int d) { return fmt::format("i{0} * xs{0}", d); }, " + ");
  c.Line(1, "base = x_ptr + " + base);
  c.Line(1, p.max ? "acc = tl.full((BLOCK,), float(\"-inf\"), tl.float32)"
                  : "acc = tl.zeros((BLOCK,), dtype=tl.float32)");
  // The taps: the outer pooled dims loop, the last one unrolls.
  std::string ok = "mask";
  std::string addr = "base";
  for (int d = 0; d < p.dims; ++d) {
    size_t i = static_cast<size_t>(d);
    int ind = 1 + d;
    c.Line(ind, fmt::format("for q{} in {}({}):", d, d + 1 == p.dims ? "tl.static_range" : "range",
                            p.kernel[i]));
    c.Line(ind + 1, fmt::format("p{0} = {1} * {2} - {3} + q{0} * {4}", d, idx(lead + d), p.stride[i],
                                p.padding[i], p.dilation[i]));
    c.Line(ind + 1, fmt::format("ok{0} = {1} & (p{0} >= 0) & (p{0} < len{0})", d, ok));
    ok = fmt::format("ok{}", d);
    addr += fmt::format(" + p{0} * xs{1}", d, lead + d);
  }
  int ind = 1 + p.dims;
  c.Line(ind, fmt::format("v = tl.load({}, mask={}, other={}).to(tl.float32)", addr, ok,
                          p.max ? "float(\"-inf\")" : "0.0"));
  c.Line(ind, p.max ? "acc = _akg_max(acc, v)" : "acc += v");
  if (!p.max) {
    if (p.divisor > 0) {
      c.Line(1, fmt::format("acc = acc / {}.0", p.divisor));
    } else {
      c.Line(1, "div = tl.full((BLOCK,), 1.0, tl.float32)");
      for (int d = 0; d < p.dims; ++d) {
        size_t i = static_cast<size_t>(d);
        c.Line(1, fmt::format("st = {} * {} - {}", idx(lead + d), p.stride[i], p.padding[i]));
        c.Line(1, fmt::format("en = tl.minimum(st + {}, len{} + {})", p.kernel[i], d, p.padding[i]));
        if (!p.count_include_pad) {
          c.Line(1, "st = tl.maximum(st, 0)");
          c.Line(1, fmt::format("en = tl.minimum(en, len{})", d));
        }
        c.Line(1, "div = div * (en - st).to(tl.float32)");
      }
      c.Line(1, "acc = acc / div");
    }
  }
  std::string value = AnchorEpilogue(l, false, c, 1, [&](int e) {
    std::string at = JoinIndexed(rank, [&](int d) { return fmt::format("i{} * e{}_s{}", d, e, d); },
                                 " + ");
    return fmt::format("w{0} = tl.load(e{0}_ptr + {1}, mask=mask, other=0.0).to(tl.float32)", e, at);
  });
  c.Line(1, "tl.store(out_ptr + o, (" + value +
                ").to(out_ptr.dtype.element_ty), mask=mask)");
  return c.text;
}

// The launcher's shape rule, in Python (PoolShape's).
std::string PoolShapeSource(const PoolPlan& p) {
  std::string lists;
  for (const auto* list : {&p.kernel, &p.stride, &p.padding, &p.dilation}) {
    lists += "(" + JoinIndexed(p.dims, [list](int d) { return std::to_string((*list)[static_cast<size_t>(d)]); });
    lists += p.dims == 1 ? ",), " : "), ";
  }
  return fmt::format("_pool_shape(x.shape, {}{})", lists, p.ceil_mode ? "True" : "False");
}

std::string PoolHelperSource() {
  return R"PY(

def _pool_shape(shape, kernel, stride, padding, dilation, ceil):
    """torch's pooled shape: the last len(kernel) dims pooled."""
    lead = len(shape) - len(kernel)
    out = list(shape[:lead])
    for d, (k, s, p, dl) in enumerate(zip(kernel, stride, padding, dilation)):
        n = shape[lead + d]
        span = n + 2 * p - dl * (k - 1) - 1 + (s - 1 if ceil else 0)
        if span < 0:
            raise ValueError(f"the pooling window {k} does not fit the padded size {n + 2 * p}")
        o = span // s + 1
        if ceil and (o - 1) * s >= n + p:
            o -= 1
        out.append(o)
    return tuple(out)
)PY";
}

std::string PoolTritonLauncher(const Launch& l, size_t k, const Json& tunables) {
  int block = LaunchTunable(tunables, k, "block", 512);
  int warps = LaunchTunable(tunables, k, "num_warps", 4);
  return fmt::format(R"PY(
def _launch{0}(ops):
    x = ops[0]
    shape = {1}
    out = torch.empty(shape, dtype=x.dtype, device=x.device)
    total = out.numel()
    if total == 0:
        return out
    ep = [t.expand(shape) for t in ops[1:]]
    reach = max([x.numel(), total] + [t.numel() for t in ep]) * 2
    strides = [s for t in ep for s in t.stride()]
    _akg{0}_kernel[(triton.cdiv(total, {2}),)](
        out, x, *ep, total, *shape, *x.shape[-{3}:], *x.stride(), *strides,
        BLOCK={2}, WIDE=reach >= 2**31, num_warps={4})
    return out
)PY", k, PoolShapeSource(l.pool), block, l.pool.dims, warps);
}

// ---- C++ -----------------------------------------------------------------------------------

std::string PoolCppFunction(const Launch& l, size_t k) {
  const PoolPlan& p = l.pool;
  int rank = static_cast<int>(l.out.shape.size());
  int lead = rank - p.dims;
  EmitCode c;
  c.unit = 2;
  c.Line(0, fmt::format("extern \"C\" void akg_launch{}(float* out, const float* x, const float* "
                        "const* e, const int64_t* es, const int64_t* n, const int64_t* len, "
                        "const int64_t* xs) {{", k));
  c.Line(1, "(void)e; (void)es; (void)len;");
  c.Line(1, "int64_t total = 1;");
  c.Line(1, fmt::format("for (int d = 0; d < {}; ++d) total *= n[d];", rank));
  c.Line(0, "#pragma omp parallel for schedule(static)");
  c.Line(1, "for (int64_t o = 0; o < total; ++o) {");
  c.Line(2, fmt::format("int64_t i[{}];", rank));
  c.Line(2, "int64_t r = o;");
  c.Line(2, fmt::format("for (int d = {}; d > 0; --d) {{ i[d] = r % n[d]; r /= n[d]; }}", rank - 1));
  c.Line(2, "i[0] = r;");
  c.Line(2, "const float* base = x;");
  c.Line(2, fmt::format("for (int d = 0; d < {}; ++d) base += i[d] * xs[d];", lead));
  c.Line(2, p.max ? "float acc = -__builtin_inff();" : "float acc = 0.0f;");
  std::string addr = "base[0";
  for (int d = 0; d < p.dims; ++d) {
    size_t i = static_cast<size_t>(d);
    c.Line(2 + d, fmt::format("for (int64_t q{0} = 0; q{0} < {1}; ++q{0}) {{", d, p.kernel[i]));
    c.Line(3 + d, fmt::format("const int64_t p{0} = i[{1}] * {2} - {3} + q{0} * {4};", d, lead + d,
                              p.stride[i], p.padding[i], p.dilation[i]));
    c.Line(3 + d, fmt::format("if (p{0} < 0 || p{0} >= len[{0}]) continue;", d));
    addr += fmt::format(" + p{} * xs[{}]", d, lead + d);
  }
  int ind = 2 + p.dims;
  c.Line(ind, "const float v = " + addr + "];");
  // NaN wins, as in torch's max pooling.
  c.Line(ind, p.max ? "if (v != v || v > acc) acc = v;" : "acc += v;");
  for (int d = p.dims - 1; d >= 0; --d) c.Line(2 + d, "}");
  if (!p.max) {
    if (p.divisor > 0) {
      c.Line(2, fmt::format("acc = acc / {}.0f;", p.divisor));
    } else {
      c.Line(2, "int64_t div = 1;");
      for (int d = 0; d < p.dims; ++d) {
        size_t i = static_cast<size_t>(d);
        c.Line(2, "{");
        c.Line(3, fmt::format("int64_t st = i[{}] * {} - {};", lead + d, p.stride[i], p.padding[i]));
        c.Line(3, fmt::format("int64_t en = st + {0} < len[{1}] + {2} ? st + {0} : len[{1}] + {2};",
                              p.kernel[i], d, p.padding[i]));
        if (!p.count_include_pad) {
          c.Line(3, "if (st < 0) st = 0;");
          c.Line(3, fmt::format("if (en > len[{0}]) en = len[{0}];", d));
        }
        c.Line(3, "div *= en - st;");
        c.Line(2, "}");
      }
      c.Line(2, "acc = acc / static_cast<float>(div);");
    }
  }
  std::string value = AnchorEpilogue(l, true, c, 2, [&](int in) {
    int e = in - 1;
    std::string at = JoinIndexed(rank, [&](int d) { return fmt::format("i[{}] * es[{}]", d, e * rank + d); },
                                 " + ");
    return fmt::format("const float w{} = e[{}][{}];", in, e, at);
  });
  c.Line(2, "out[o] = " + value + ";");
  c.Line(1, "}");
  c.Line(0, "}");
  return c.text;
}

std::string PoolCppLauncher(const Launch& l, size_t k) {
  return fmt::format(R"PY(
def _launch{0}(ops):
    ops = _check(ops)
    x = ops[0]
    shape = {1}
    out = torch.empty(shape, dtype=torch.float32)
    if out.numel() == 0:
        return out
    ep = [t.expand(shape) for t in ops[1:]]
    es = [s for t in ep for s in t.stride()]
    i64 = ctypes.c_int64
    _lib().akg_launch{0}(out.data_ptr(), x.data_ptr(),
                         (ctypes.c_void_p * max(1, len(ep)))(*[t.data_ptr() for t in ep]),
                         (i64 * max(1, len(es)))(*es), (i64 * len(shape))(*shape),
                         (i64 * {2})(*x.shape[-{2}:]), (i64 * x.dim())(*x.stride()))
    return out
)PY", k, PoolShapeSource(l.pool), l.pool.dims);
}

}  // namespace akg
