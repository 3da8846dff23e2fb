// The Conv plan (plan.h): its lowering (conv1d-3d, conv_transpose1d-3d, convolution), its
// output shape, and its kernels in both DSLs (plan_emit.h).
//
// Triton: an implicit GEMM per group, C[m, n] = sum_k A[m, k] * B[k, n] with m an output
// position (batch and spatial indices), n an output channel of the group, k an input channel
// of the group and a kernel tap. A's tiles are gathered from the input through its strides,
// masked where a tap falls in the padding (or, transposed, where no input position reaches
// the output one); B's rows are the weight's. fp32 products use tl.dot at the launch's "dot"
// tunable (plan_tunables.cc: ieee by default, or tf32x3). C++: one output element at a time,
// OpenMP over them. The epilogue runs on the accumulator before the one store.
#include <algorithm>

#include <fmt/format.h>

#include "builtin/expr_emit.h"
#include "builtin/plan_dag.h"
#include "builtin/plan_emit.h"
#include "builtin/plan_tunables.h"

namespace akg {
namespace {

Result<std::vector<int64_t>> Ints(const AtenCall& c, Lowering& l, size_t pos, const char* kw,
                                  int dims, int64_t fallback) {
  const Json* v = l.Arg(c, pos, kw);
  if (v == nullptr || (v->is_array() && v->empty())) {
    return std::vector<int64_t>(static_cast<size_t>(dims), fallback);
  }
  if (v->is_string()) {
    if (v->get<std::string>() == "valid") return std::vector<int64_t>(static_cast<size_t>(dims), 0);
    return UnsupportedError("the builtin model writes convolutions with numeric padding; this "
                            "task pads '" + v->get<std::string>() + "'");
  }
  std::vector<int64_t> out;
  if (v->is_number_integer()) out.assign(static_cast<size_t>(dims), v->get<int64_t>());
  else if (v->is_array()) {
    for (const Json& x : *v) {
      if (!x.is_number_integer()) return UnsupportedError(c.target + ": " + kw + " " + v->dump());
      out.push_back(x.get<int64_t>());
    }
    if (out.size() == 1) out.assign(static_cast<size_t>(dims), out[0]);
  }
  if (static_cast<int>(out.size()) != dims) return InputError(c.target + ": " + kw + " " + v->dump());
  return out;
}

// conv{1,2,3}d(input, weight, bias, stride, padding, dilation, groups);
// conv_transpose{1,2,3}d(input, weight, bias, stride, padding, output_padding, groups,
// dilation); convolution(input, weight, bias, stride, padding, dilation, transposed,
// output_padding, groups).
PlanHandler Conv(int dims, bool transposed, bool general) {
  return [=](const AtenCall& c, Lowering& l) -> Result<int> {
    AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "input"));
    AKG_ASSIGN_OR_RETURN(int w, l.Operand(c, 1, "weight"));
    int d = dims;
    if (general) d = l.rank_of(w) - 2;
    if (d < 1 || d > 3 || l.rank_of(w) != d + 2) {
      return UnsupportedError(c.target + ": the builtin model convolves 1 to 3 dims");
    }
    ConvPlan p;
    p.dims = d;
    p.transposed = transposed;
    AKG_ASSIGN_OR_RETURN(p.stride, Ints(c, l, 3, "stride", d, 1));
    AKG_ASSIGN_OR_RETURN(p.padding, Ints(c, l, 4, "padding", d, 0));
    size_t dil = 5, opad = 99, grp = 6;
    if (general) {
      const Json* t = l.Arg(c, 6, "transposed");
      p.transposed = t != nullptr && t->is_boolean() && t->get<bool>();
      opad = 7;
      grp = 8;
    } else if (transposed) {
      opad = 5;
      grp = 6;
      dil = 7;
    }
    AKG_ASSIGN_OR_RETURN(p.dilation, Ints(c, l, dil, "dilation", d, 1));
    AKG_ASSIGN_OR_RETURN(p.output_padding, Ints(c, l, opad, "output_padding", d, 0));
    AKG_ASSIGN_OR_RETURN(double groups, l.NumberOr(c, grp, "groups", 1));
    p.groups = static_cast<int64_t>(groups);
    if (p.groups < 1) return InputError(c.target + ": groups < 1");
    for (int i = 0; i < d; ++i) {
      size_t k = static_cast<size_t>(i);
      if (p.stride[k] < 1 || p.dilation[k] < 1 || p.padding[k] < 0 || p.output_padding[k] < 0) {
        return InputError(c.target + ": a stride, padding or dilation out of range");
      }
    }
    if (l.rank_of(x) != d + 2) {
      return UnsupportedError(c.target + ": the builtin model convolves batched [N, C, ...] inputs");
    }
    int y = l.b.Add(ExprOp::kConv, {x, w}, ConvParams(p));
    if (l.Arg(c, 2, "bias") == nullptr) return y;
    AKG_ASSIGN_OR_RETURN(int b, l.Operand(c, 2, "bias"));
    return l.b.Add(ExprOp::kAdd, {y, plan_lower::PerChannel(l, b, d + 2)});
  };
}

std::string Tuple(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

}  // namespace

std::vector<double> ConvParams(const ConvPlan& p) {
  std::vector<double> v = {static_cast<double>(p.dims), static_cast<double>(p.groups),
                           p.transposed ? 1.0 : 0.0};
  for (const auto* list : {&p.stride, &p.padding, &p.dilation, &p.output_padding}) {
    for (int64_t x : *list) v.push_back(static_cast<double>(x));
  }
  return v;
}

ConvPlan ConvOf(const ExprNode& n) {
  ConvPlan p;
  p.dims = static_cast<int>(n.params[0]);
  p.groups = static_cast<int64_t>(n.params[1]);
  p.transposed = n.params[2] != 0;
  size_t at = 3;
  for (auto* list : {&p.stride, &p.padding, &p.dilation, &p.output_padding}) {
    for (int d = 0; d < p.dims; ++d) list->push_back(static_cast<int64_t>(n.params[at++]));
  }
  return p;
}

Result<std::vector<int64_t>> ConvShape(const ConvPlan& p, const std::vector<int64_t>& in,
                                       const std::vector<int64_t>& w) {
  size_t d = static_cast<size_t>(p.dims);
  if (in.size() != d + 2 || w.size() != d + 2) return InputError("conv: ranks do not match");
  int64_t cin = in[1];
  int64_t cout = p.transposed ? w[1] * p.groups : w[0];
  int64_t per_group_in = p.transposed ? w[0] / p.groups : w[1];
  if (cin % p.groups != 0 || cout % p.groups != 0 || per_group_in * p.groups != cin ||
      (p.transposed && w[0] != cin)) {
    return InputError("conv: the weight's channels do not match the input's and the groups");
  }
  std::vector<int64_t> out = {in[0], cout};
  for (size_t i = 0; i < d; ++i) {
    int64_t len = in[2 + i], k = w[2 + i];
    int64_t n = p.transposed
                    ? (len - 1) * p.stride[i] - 2 * p.padding[i] + p.dilation[i] * (k - 1) +
                          p.output_padding[i] + 1
                    : (len + 2 * p.padding[i] - p.dilation[i] * (k - 1) - 1) / p.stride[i] + 1;
    if (n <= 0) return InputError("conv: the kernel is larger than the padded input");
    out.push_back(n);
  }
  return out;
}

const std::map<std::string, PlanHandler>& ConvHandlers() {
  static const auto* h = new std::map<std::string, PlanHandler>{
      {"conv1d", Conv(1, false, false)},           {"conv2d", Conv(2, false, false)},
      {"conv3d", Conv(3, false, false)},           {"conv_transpose1d", Conv(1, true, false)},
      {"conv_transpose2d", Conv(2, true, false)},  {"conv_transpose3d", Conv(3, true, false)},
      {"convolution", Conv(0, false, true)},
  };
  return *h;
}

std::string ConvHelperSource() {
  return R"PY(

def _conv_shape(x, w, stride, padding, dilation, output_padding, groups, transposed):
    """The convolution's output shape (torch's rule)."""
    cout = w.shape[1] * groups if transposed else w.shape[0]
    out = [x.shape[0], cout]
    for d in range(len(stride)):
        n, k = x.shape[2 + d], w.shape[2 + d]
        if transposed:
            o = (n - 1) * stride[d] - 2 * padding[d] + dilation[d] * (k - 1) + output_padding[d] + 1
        else:
            o = (n + 2 * padding[d] - dilation[d] * (k - 1) - 1) // stride[d] + 1
        if o <= 0:
            raise ValueError("the convolution's kernel is larger than the padded input")
        out.append(o)
    return tuple(out)
)PY";
}

// ---- Triton --------------------------------------------------------------------------------

std::string ConvTritonKernel(const Launch& l, size_t k, const Json& tunables) {
  const ConvPlan& p = l.conv;
  int dims = p.dims;
  int ops = static_cast<int>(l.operands.size());
  std::string params = "out_ptr, x_ptr, w_ptr";
  for (int e = 2; e < ops; ++e) params += fmt::format(", e{}_ptr", e);
  params += ", M, TAPS, OCG, ICG, OC";
  params += ", " + JoinIndexed(dims, [](int d) { return fmt::format("O{}", d); });   // output sizes
  params += ", " + JoinIndexed(dims, [](int d) { return fmt::format("L{}", d); });   // input sizes
  params += ", " + JoinIndexed(dims, [](int d) { return fmt::format("KS{}", d); });  // kernel sizes
  params += ", " + JoinIndexed(dims + 2, [](int d) { return fmt::format("xs{}", d); });
  for (int e = 2; e < ops; ++e) {
    params += ", " + JoinIndexed(dims + 2, [e](int d) { return fmt::format("e{}_s{}", e, d); });
  }
  params += ", BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, F32: tl.constexpr, "
            "WIDE: tl.constexpr";
  EmitCode c;
  c.Line(0, "@triton.jit");
  c.Line(0, fmt::format("def _akg{}_kernel({}):", k, params));
  c.Line(1, "pid = tl.program_id(0)");
  c.Line(1, "g = tl.program_id(1)");
  c.Line(1, "num_n = tl.cdiv(OCG, BN)");
  c.Line(1, "rm = (pid // num_n) * BM + tl.arange(0, BM)");
  c.Line(1, "rn = (pid % num_n) * BN + tl.arange(0, BN)");
  c.Line(1, "if WIDE:");
  c.Line(2, "rm = rm.to(tl.int64)");
  c.Line(1, "mmask = rm < M");
  c.Line(1, "nmask = rn < OCG");
  // m -> (n, o0, o1, ...)
  c.Line(1, "r = rm");
  for (int d = dims - 1; d >= 0; --d) {
    c.Line(1, fmt::format("o{0} = r % O{0}", d));
    c.Line(1, "r = r // O" + std::to_string(d));
  }
  c.Line(1, "nb = r");
  // Taps outside, input channels inside: a tap's input positions (and their padding mask)
  // are one [BM] vector, so the tile loads add channel offsets only. B comes from the weight
  // permuted to [taps, groups, ICG, OCG] (the launcher), rows contiguous along OCG.
  c.Line(1, "xb = x_ptr + nb * xs0 + (g * ICG) * xs1");
  c.Line(1, "wb = w_ptr + g * ICG * OCG");
  c.Line(1, "wt = tl.num_programs(1) * ICG * OCG");
  c.Line(1, "acc = tl.zeros((BM, BN), dtype=tl.float32)");
  c.Line(1, "for t in range(0, TAPS):");
  c.Line(2, "tr = t");
  for (int d = dims - 1; d >= 0; --d) {
    c.Line(2, fmt::format("q{0} = tr % KS{0}", d));
    c.Line(2, "tr = tr // KS" + std::to_string(d));
  }
  c.Line(2, "pm = mmask");
  std::string addr = "xb";
  for (int d = 0; d < dims; ++d) {
    size_t i = static_cast<size_t>(d);
    if (!p.transposed) {
      c.Line(2, fmt::format("i{0} = o{0} * {1} - {2} + q{0} * {3}", d, p.stride[i], p.padding[i],
                            p.dilation[i]));
      c.Line(2, fmt::format("pm = pm & (i{0} >= 0) & (i{0} < L{0})", d));
    } else {
      // o = i * s - p + q * dl: the input position i that reaches o through tap q, if any
      c.Line(2, fmt::format("j{0} = o{0} + {1} - q{0} * {2}", d, p.padding[i], p.dilation[i]));
      c.Line(2, fmt::format("i{0} = j{0} // {1}", d, p.stride[i]));
      c.Line(2, fmt::format("pm = pm & (j{0} >= 0) & (j{0} % {1} == 0) & (i{0} < L{0})", d,
                            p.stride[i]));
    }
    addr += fmt::format(" + i{0} * xs{1}", d, d + 2);
  }
  c.Line(2, "xp = " + addr);
  c.Line(2, "wp = wb + t * wt");
  c.Line(2, "for c0 in range(0, ICG, BK):");
  c.Line(3, "rc = c0 + tl.arange(0, BK)");
  c.Line(3, "if WIDE:");
  c.Line(4, "rc = rc.to(tl.int64)");
  c.Line(3, "cmask = rc < ICG");
  c.Line(3, "a = tl.load(xp[:, None] + rc[None, :] * xs1, mask=pm[:, None] & cmask[None, :], "
            "other=0.0)");
  c.Line(3, "b = tl.load(wp + rc[:, None] * OCG + rn[None, :], mask=cmask[:, None] & "
            "nmask[None, :], other=0.0)");
  EmitTileDot(c, 3, tunables, k, kDefaultConvDot);
  c.Line(1, "oc = g * OCG + rn[None, :]");
  c.Line(1, "cmask = mmask[:, None] & nmask[None, :]");
  std::string flat = "o0[:, None]";
  for (int d = 1; d < dims; ++d) flat = fmt::format("({}) * O{} + o{}[:, None]", flat, d, d);
  std::string value = AnchorEpilogue(l, false, c, 1, [&](int e) {
    std::string at = fmt::format("nb[:, None] * e{0}_s0 + oc * e{0}_s1", e);
    for (int d = 0; d < dims; ++d) at += fmt::format(" + o{1}[:, None] * e{0}_s{2}", e, d, d + 2);
    return fmt::format("w{0} = tl.load(e{0}_ptr + {1}, mask=cmask, other=0.0).to(tl.float32)", e, at);
  });
  std::string spatial = JoinIndexed(dims, [](int d) { return fmt::format("O{}", d); }, " * ");
  c.Line(1, fmt::format("tl.store(out_ptr + (nb[:, None] * OC + oc) * ({}) + {}, ({}).to("
                        "out_ptr.dtype.element_ty), mask=cmask)", spatial, flat, value));
  return c.text;
}

std::string ConvTritonLauncher(const Launch& l, size_t k, const Json& tunables, bool conservative) {
  const ConvPlan& p = l.conv;
  int bm = LaunchTunable(tunables, k, "bm", 64);
  int bn = LaunchTunable(tunables, k, "bn", 64);
  int bk = LaunchTunable(tunables, k, "bk", 32);
  int warps = LaunchTunable(tunables, k, "num_warps", 4);
  int stages = LaunchTunable(tunables, k, "num_stages", 3);
  if (conservative) {
    bm = std::min(bm, 32);
    bn = std::min(bn, 32);
    stages = 2;
  }
  return fmt::format(R"PY(
def _launch{0}(ops):
    x, w = ops[0], ops[1]
    shape = _conv_shape(x, w, {1}, {2}, {3}, {4}, {5}, {6})
    out = torch.empty(shape, dtype=_dtype_of(ops[:2]), device=x.device)
    if out.numel() == 0:
        return out
    ep = [t.expand(shape) for t in ops[2:]]
    # a convolution's weight is [OC, C / groups, ...], so groups follow the input's channels
    # (depthwise: groups = C at every size); a transposed one's cannot be read from shapes
    groups = {5} if {6} else x.shape[1] // w.shape[1]
    icg = x.shape[1] // groups
    ocg = shape[1] // groups
    taps = _prod(w.shape[2:])
    m = shape[0] * _prod(shape[2:])
    # the weight as [taps, groups, icg, ocg]: B's rows contiguous (a copy of the small weight)
    if {6}:
        wt = w.reshape(groups, icg, ocg, taps).permute(3, 0, 1, 2).contiguous()
    else:
        wt = w.reshape(groups, ocg, icg, taps).permute(3, 0, 2, 1).contiguous()
    bn = {8} if ocg >= {8} else max(16, triton.next_power_of_2(ocg))
    bk = min({9}, max(16, triton.next_power_of_2(icg)))
    f32 = x.dtype == torch.float32 or w.dtype == torch.float32 or x.dtype != w.dtype
    reach = max([x.numel(), w.numel(), out.numel()] + [t.numel() for t in ep]) * 2
    strides = [s for t in ep for s in t.stride()]
    _akg{0}_kernel[(triton.cdiv(m, {7}) * triton.cdiv(ocg, bn), groups)](
        out, x, wt, *ep, m, taps, ocg, icg, shape[1], *shape[2:], *x.shape[2:], *w.shape[2:],
        *x.stride(), *strides, BM={7}, BN=bn, BK=bk, F32=f32, WIDE=reach >= 2**31,
        num_warps={10}, num_stages={11})
    return out
)PY", k, Tuple(p.stride), Tuple(p.padding), Tuple(p.dilation), Tuple(p.output_padding), p.groups,
                     p.transposed ? "True" : "False", bm, bn, bk, warps, stages);
}

// ---- C++ -----------------------------------------------------------------------------------

std::string ConvCppFunction(const Launch& l, size_t k) {
  const ConvPlan& p = l.conv;
  int dims = p.dims;
  int rank = dims + 2;
  EmitCode c;
  c.unit = 2;
  // sh: out shape (rank), then the input's spatial sizes, then the kernel's; xs: x strides.
  c.Line(0, fmt::format("extern \"C\" void akg_launch{}(float* out, const float* x, const float* "
                        "w, const float* const* e, const int64_t* es, const int64_t* sh, "
                        "const int64_t* xs, const int64_t* gi) {{", k));
  c.Line(1, "(void)e; (void)es;");
  c.Line(1, "const int64_t groups = gi[0], icg = gi[1], ocg = sh[1] / groups;");
  c.Line(1, "int64_t total = 1;");
  c.Line(1, fmt::format("for (int d = 0; d < {}; ++d) total *= sh[d];", rank));
  c.Line(1, "int64_t taps = 1;");
  c.Line(1, fmt::format("for (int d = 0; d < {0}; ++d) taps *= sh[{1} + d];", dims, rank + dims));
  c.Line(0, "#pragma omp parallel for schedule(static)");
  c.Line(1, "for (int64_t o = 0; o < total; ++o) {");
  c.Line(2, fmt::format("int64_t i[{}];", rank));
  c.Line(2, "int64_t r = o;");
  c.Line(2, fmt::format("for (int d = {}; d >= 0; --d) {{ i[d] = r % sh[d]; r /= sh[d]; }}", rank - 1));
  c.Line(2, "const int64_t oc = i[1], g = oc / ocg;");
  c.Line(2, "float acc = 0.0f;");
  c.Line(2, "for (int64_t ic = 0; ic < icg; ++ic) {");
  c.Line(3, "for (int64_t t = 0; t < taps; ++t) {");
  c.Line(4, "int64_t rest = t, off = i[0] * xs[0] + (g * icg + ic) * xs[1];");
  c.Line(4, "bool ok = true;");
  c.Line(4, fmt::format("int64_t q[{}];", dims));
  c.Line(4, fmt::format("for (int d = {0}; d >= 0; --d) {{ q[d] = rest % sh[{1} + d]; rest /= sh[{1} + d]; }}",
                        dims - 1, rank + dims));
  for (int d = 0; d < dims; ++d) {
    size_t s = static_cast<size_t>(d);
    if (!p.transposed) {
      c.Line(4, fmt::format("{{ const int64_t at = i[{0}] * {1} - {2} + q[{3}] * {4}; ok = ok && at >= 0 "
                            "&& at < sh[{5}]; off += at * xs[{0}]; }}", d + 2, p.stride[s], p.padding[s],
                            d, p.dilation[s], rank + d));
    } else {
      c.Line(4, fmt::format("{{ const int64_t j = i[{0}] + {1} - q[{2}] * {3}; const int64_t at = j / {4}; "
                            "ok = ok && j >= 0 && j % {4} == 0 && at < sh[{5}]; off += at * xs[{0}]; }}",
                            d + 2, p.padding[s], d, p.dilation[s], p.stride[s], rank + d));
    }
  }
  c.Line(4, "if (!ok) continue;");
  if (!p.transposed) {
    c.Line(4, "acc += x[off] * w[(oc * icg + ic) * taps + t];");
  } else {
    c.Line(4, "acc += x[off] * w[((g * icg + ic) * ocg + (oc - g * ocg)) * taps + t];");
  }
  c.Line(3, "}");
  c.Line(2, "}");
  std::string value = AnchorEpilogue(l, true, c, 2, [&](int e) {
    std::string at = JoinIndexed(rank, [&](int d) { return fmt::format("i[{}] * es[{}]", d, (e - 2) * rank + d); },
                          " + ");
    return fmt::format("const float w{} = e[{}][{}];", e, e - 2, at);
  });
  c.Line(2, "out[o] = " + value + ";");
  c.Line(1, "}");
  c.Line(0, "}");
  return c.text;
}

std::string ConvCppLauncher(const Launch& l, size_t k) {
  const ConvPlan& p = l.conv;
  return fmt::format(R"PY(
def _launch{0}(ops):
    ops = _check(ops)
    x, w = ops[0], ops[1].contiguous()
    shape = _conv_shape(x, w, {1}, {2}, {3}, {4}, {5}, {6})
    out = torch.empty(shape, dtype=torch.float32)
    if out.numel() == 0:
        return out
    ep = [t.expand(shape) for t in ops[2:]]
    es = [s for t in ep for s in t.stride()]
    i64 = ctypes.c_int64
    sizes = list(shape) + list(x.shape[2:]) + list(w.shape[2:])
    _lib().akg_launch{0}(out.data_ptr(), x.data_ptr(), w.data_ptr(),
                         (ctypes.c_void_p * max(1, len(ep)))(*[t.data_ptr() for t in ep]),
                         (i64 * max(1, len(es)))(*es), (i64 * len(sizes))(*sizes),
                         (i64 * x.dim())(*x.stride()), (i64 * 2)({5}, x.shape[1] // {5}))
    return out
)PY", k, Tuple(p.stride), Tuple(p.padding), Tuple(p.dilation), Tuple(p.output_padding), p.groups,
                     p.transposed ? "True" : "False");
}

}  // namespace akg
