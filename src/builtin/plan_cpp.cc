// EmitCppProgram: one extern "C" function per launch of a KernelProgram, compiled together by
// load_cpp, with a ctypes launcher each.
//
// Row launches (Reduce, Normalize; Pointwise as a row launch without reductions whose row is
// the last dim) run OpenMP over rows (row = o * inner + i); each reduction stage is one pass
// over the row (omp simd when the stage only sums or multiplies), then the row-level values,
// then a full output's pass. Matmul launches run OpenMP over (batch, 32-row blocks): for each
// 256-long slice of K a row of C is accumulated from rows of B (unit stride, omp simd) into a
// scratch row that is then added to C (two-level sums: the error of 256-long sums plus K/256
// of them), then the epilogue on C's rows.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "builtin/expr_emit.h"
#include "builtin/plan_emit.h"

namespace akg {
namespace {

const char* Identity(ReduceCombiner c) {
  switch (c) {
    case ReduceCombiner::kProd: return "1.0f";
    case ReduceCombiner::kMax:
    case ReduceCombiner::kArgMax: return "(-__builtin_inff())";
    case ReduceCombiner::kMin:
    case ReduceCombiner::kArgMin: return "__builtin_inff()";
    default: return "0.0f";
  }
}

struct Code {
  std::string text;
  void Line(int indent, const std::string& s) { text += std::string(2 * indent, ' ') + s + "\n"; }
};

class RowFunction {
 public:
  RowFunction(const Launch& l, size_t k) : l_(l), k_(k), s_(ScheduleRow(l)) {
    for (int id : s_.live) {
      if (Node(id).op == ExprOp::kReduce) reduces_.push_back(id);
    }
  }

  std::string Source() const {
    Code c;
    int ops = static_cast<int>(l_.operands.size());
    bool full = l_.kind == PlanKind::kPointwise || l_.row.full_output;
    std::string out_t = l_.output_dtype == "int64" ? "int64_t" : "float";
    c.Line(0, fmt::format("extern \"C\" void akg_launch{}(void* out_v, const float* const* in, "
                          "const int64_t* st, int64_t rows, int64_t R, int64_t inner) {{", k_));
    c.Line(1, "const float n_red = static_cast<float>(R);");
    c.Line(1, "(void)n_red;");
    c.Line(1, out_t + "* out = static_cast<" + out_t + "*>(out_v);");
    c.Line(0, "#pragma omp parallel for schedule(static)");
    c.Line(1, "for (int64_t row = 0; row < rows; ++row) {");
    c.Line(2, "const int64_t o = row / inner, i = row % inner;");
    for (int k = 0; k < ops; ++k) {
      // int64 operands are class indices, read as floats (exact below 2**24).
      const std::string& dt = l_.operands[static_cast<size_t>(k)].type.dtype;
      const char* type = dt == "int64" ? "int64_t" : dt == "bool" ? "bool" : "float";
      c.Line(2, fmt::format("const {3}* p{0} = reinterpret_cast<const {3}*>(in[{0}]) + o * st[{1}] + "
                            "i * st[{2}];", k, 3 * k, 3 * k + 2, type));
      c.Line(2, fmt::format("const int64_t s{0} = st[{1}];", k, 3 * k + 1));
    }
    RowNodes(c, 2, 0);
    for (int stage = 1; stage <= s_.stages; ++stage) Stage(c, 2, stage);
    if (full) {
      for (int id : s_.live) {
        const ExprNode& n = Node(id);
        if (n.op != ExprOp::kScan) continue;
        bool prod = static_cast<int>(n.params[0]) == static_cast<int>(ReduceCombiner::kProd);
        c.Line(2, fmt::format("float carry{} = {};", id, prod ? "1.0f" : "0.0f"));
      }
      c.Line(2, s_.scan_reverse ? "for (int64_t r = R - 1; r >= 0; --r) {"
                                : "for (int64_t r = 0; r < R; ++r) {");
      Elements(c, 3, {l_.expr.output});
      c.Line(3, "out[(o * R + r) * inner + i] = " + Name(l_.expr.output) + ";");
      c.Line(2, "}");
    } else {
      c.Line(2, "out[row] = " + Name(l_.expr.output) + ";");
    }
    c.Line(1, "}");
    c.Line(0, "}");
    return c.text;
  }

 private:
  const ExprNode& Node(int id) const { return l_.expr.nodes[static_cast<size_t>(id)]; }
  bool Row(int id) const { return s_.row_level[static_cast<size_t>(id)]; }

  std::string Name(int id) const {
    const ExprNode& n = Node(id);
    if (n.op == ExprOp::kConst) return CppFloatLiteral(n.params[0]);
    if (n.op == ExprOp::kRowSize) return "n_red";
    if (n.op == ExprOp::kInput) return fmt::format("v{}", n.input);
    return fmt::format("t{}", id);
  }

  std::map<int, std::string> Names() const {
    std::map<int, std::string> names;
    for (int id : s_.live) names[id] = Name(id);
    return names;
  }

  void Elements(Code& c, int in, const std::vector<int>& roots) const {
    std::vector<int> nodes = ElementNodesFor(l_, s_, roots);
    std::map<int, std::string> names = Names();
    for (int id : nodes) {
      const ExprNode& n = Node(id);
      if (n.op == ExprOp::kInput) {
        c.Line(in, fmt::format("const float v{0} = static_cast<float>(p{0}[r * s{0}]);", n.input));
      }
    }
    for (int id : nodes) {
      const ExprNode& n = Node(id);
      if (n.op == ExprOp::kInput || n.op == ExprOp::kConst || n.op == ExprOp::kRowSize) continue;
      if (n.op == ExprOp::kScan) {  // the running value, in the pass's order
        bool prod = static_cast<int>(n.params[0]) == static_cast<int>(ReduceCombiner::kProd);
        c.Line(in, fmt::format("carry{0} {1}= {2};", id, prod ? "*" : "+", Name(n.args[0])));
        c.Line(in, fmt::format("const float t{0} = carry{0};", id));
        continue;
      }
      std::vector<std::string> lines;
      EmitNode(l_.expr, id, EmitDsl::kCpp, names, &lines);
      for (const std::string& line : lines) c.Line(in, line);
    }
  }

  void RowNodes(Code& c, int in, int stage) const {
    std::map<int, std::string> names = Names();
    for (int id : s_.live) {
      const ExprNode& n = Node(id);
      if (!Row(id) || n.op == ExprOp::kReduce || n.op == ExprOp::kConst ||
          n.op == ExprOp::kRowSize || s_.stage[static_cast<size_t>(id)] != stage) {
        continue;
      }
      std::vector<std::string> lines;
      EmitNode(l_.expr, id, EmitDsl::kCpp, names, &lines);
      for (const std::string& line : lines) c.Line(in, line);
    }
  }

  void Stage(Code& c, int in, int stage) const {
    std::vector<int> reduces, args;
    std::string sums, prods;
    bool simd = true;
    for (int id : reduces_) {
      if (s_.stage[static_cast<size_t>(id)] != stage) continue;
      reduces.push_back(id);
      args.push_back(Node(id).args[0]);
      ReduceCombiner comb = CombinerOf(Node(id));
      c.Line(in, fmt::format("float acc{} = {};", id, Identity(comb)));
      if (IsArg(comb)) c.Line(in, fmt::format("int64_t idx{} = 0;", id));
      if (comb == ReduceCombiner::kSum || comb == ReduceCombiner::kMean) {
        sums += (sums.empty() ? "" : ", ") + fmt::format("acc{}", id);
      } else if (comb == ReduceCombiner::kProd) {
        prods += (prods.empty() ? "" : ", ") + fmt::format("acc{}", id);
      } else {
        simd = false;
      }
    }
    if (simd) {
      std::string clauses;
      if (!sums.empty()) clauses += " reduction(+:" + sums + ")";
      if (!prods.empty()) clauses += " reduction(*:" + prods + ")";
      c.text += "#pragma omp simd" + clauses + "\n";
    }
    c.Line(in, "for (int64_t r = 0; r < R; ++r) {");
    Elements(c, in + 1, args);
    for (int id : reduces) {
      std::string x = Name(Node(id).args[0]);
      std::string a = fmt::format("acc{}", id);
      switch (CombinerOf(Node(id))) {
        case ReduceCombiner::kSum:
        case ReduceCombiner::kMean: c.Line(in + 1, a + " += " + x + ";"); break;
        case ReduceCombiner::kProd: c.Line(in + 1, a + " *= " + x + ";"); break;
        case ReduceCombiner::kMax:
          c.Line(in + 1, fmt::format("{0} = ({1} > {0} || {1} != {1}) ? {1} : {0};", a, x));
          break;
        case ReduceCombiner::kMin:
          c.Line(in + 1, fmt::format("{0} = ({1} < {0} || {1} != {1}) ? {1} : {0};", a, x));
          break;
        case ReduceCombiner::kArgMax:
        case ReduceCombiner::kArgMin: {
          const char* cmp = CombinerOf(Node(id)) == ReduceCombiner::kArgMax ? ">" : "<";
          c.Line(in + 1, fmt::format("if ({1} {3} {0} || ({1} != {1} && {0} == {0})) {{ {0} = {1}; "
                                     "idx{2} = r; }}", a, x, id, cmp));
          break;
        }
      }
    }
    c.Line(in, "}");
    for (int id : reduces) {
      ReduceCombiner comb = CombinerOf(Node(id));
      if (IsArg(comb)) {
        c.Line(in, fmt::format("const int64_t t{0} = idx{0};", id));
      } else if (comb == ReduceCombiner::kMean) {
        c.Line(in, fmt::format("const float t{0} = acc{0} / n_red;", id));
      } else {
        c.Line(in, fmt::format("const float t{0} = acc{0};", id));
      }
    }
    RowNodes(c, in, stage);
  }

  const Launch& l_;
  size_t k_;
  RowSchedule s_;
  std::vector<int> reduces_;
};

std::string MatmulFunction(const Launch& l, size_t k) {
  Code c;
  c.Line(0, fmt::format("extern \"C\" void akg_launch{}(float* c, const float* a, const float* b, "
                        "const float* const* e, const int64_t* es, int64_t batch, int64_t M, "
                        "int64_t N, int64_t K, int64_t s_ab, int64_t s_am, int64_t s_ak, "
                        "int64_t s_bb, int64_t s_bk) {{", k));
  c.Line(1, "(void)e; (void)es;");
  c.Line(1, "constexpr int64_t kBM = 32, kBK = 256;");
  c.Line(1, "const int64_t blocks = (M + kBM - 1) / kBM;");
  c.Line(0, "#pragma omp parallel");
  c.Line(1, "{");
  c.Line(1, "float* scratch = new float[N > 0 ? N : 1];");
  c.Line(0, "#pragma omp for schedule(static)");
  c.Line(1, "for (int64_t item = 0; item < batch * blocks; ++item) {");
  c.Line(2, "const int64_t bat = item / blocks, m0 = (item % blocks) * kBM;");
  c.Line(2, "const int64_t m1 = m0 + kBM < M ? m0 + kBM : M;");
  c.Line(2, "float* cb = c + bat * M * N;");
  c.Line(2, "for (int64_t m = m0; m < m1; ++m) for (int64_t n = 0; n < N; ++n) cb[m * N + n] = 0.0f;");
  c.Line(2, "for (int64_t k0 = 0; k0 < K; k0 += kBK) {");
  c.Line(3, "const int64_t k1 = k0 + kBK < K ? k0 + kBK : K;");
  c.Line(3, "for (int64_t m = m0; m < m1; ++m) {");
  c.Line(4, "for (int64_t n = 0; n < N; ++n) scratch[n] = 0.0f;");
  c.Line(4, "for (int64_t kk = k0; kk < k1; ++kk) {");
  c.Line(5, "const float av = a[bat * s_ab + m * s_am + kk * s_ak];");
  c.Line(5, "const float* __restrict brow = b + bat * s_bb + kk * s_bk;");
  c.text += "#pragma omp simd\n";
  c.Line(5, "for (int64_t n = 0; n < N; ++n) scratch[n] += av * brow[n];");
  c.Line(4, "}");
  c.Line(4, "float* crow = cb + m * N;");
  c.text += "#pragma omp simd\n";
  c.Line(4, "for (int64_t n = 0; n < N; ++n) crow[n] += scratch[n];");
  c.Line(3, "}");
  c.Line(2, "}");
  std::vector<int> live = l.expr.LiveNodes();
  bool identity = live.size() == 1 && l.expr.nodes[static_cast<size_t>(live[0])].op == ExprOp::kAcc;
  if (!identity) {
    c.Line(2, "for (int64_t m = m0; m < m1; ++m) {");
    c.Line(3, "for (int64_t n = 0; n < N; ++n) {");
    std::map<int, std::string> names;
    for (int id : live) {
      const ExprNode& node = l.expr.nodes[static_cast<size_t>(id)];
      if (node.op == ExprOp::kAcc) {
        names[id] = "acc";
        c.Line(4, "const float acc = cb[m * N + n];");
      } else if (node.op == ExprOp::kOutIndex) {
        names[id] = node.params[0] == 1 ? "static_cast<float>(n)" : "static_cast<float>(m)";
      } else if (node.op == ExprOp::kDotSize) {
        names[id] = "static_cast<float>(K)";
      } else if (node.op == ExprOp::kConst) {
        names[id] = CppFloatLiteral(node.params[0]);
      } else if (node.op == ExprOp::kInput) {
        int e = node.input - 2;
        c.Line(4, fmt::format("const float v{0} = e[{1}][bat * es[{2}] + m * es[{3}] + n * es[{4}]];",
                              node.input, e, 3 * e, 3 * e + 1, 3 * e + 2));
        names[id] = fmt::format("v{}", node.input);
      } else {
        std::vector<std::string> lines;
        names[id] = EmitNode(l.expr, id, EmitDsl::kCpp, names, &lines);
        for (const std::string& line : lines) c.Line(4, line);
      }
    }
    c.Line(4, "cb[m * N + n] = " + names[l.expr.output] + ";");
    c.Line(3, "}");
    c.Line(2, "}");
  }
  c.Line(1, "}");
  c.Line(1, "delete[] scratch;");
  c.Line(1, "}");
  c.Line(0, "}");
  return c.text;
}

std::string RowLauncher(const Launch& l, size_t k) {
  std::string be = RowSplitSource(l);
  std::string out_shape = RowOutShapeSource(l);
  std::string dtype = l.output_dtype == "int64" ? "torch.int64" : "torch.float32";
  std::string ints;
  for (size_t k = 0; k < l.operands.size(); ++k) {
    const std::string& dt = l.operands[k].type.dtype;
    if (dt == "int64" || dt == "bool") ints += fmt::format("{}: torch.{}, ", k, dt);
  }
  return fmt::format(R"PY(
def _launch{0}(ops):
    ops = _check(ops, {{{4}}})
    shape = tuple(torch.broadcast_shapes(*[t.shape for t in ops]))
    b, e = {1}
    red, inner = _prod(shape[b:e]), _prod(shape[e:])
    rows = _prod(shape[:b]) * inner
    out = torch.empty({2}, dtype={3})
    if rows == 0 or out.numel() == 0:
        return out
    views = [_rows(t, shape, b, e) for t in ops]
    flat = [s for _, st in views for s in st]
    _lib().akg_launch{0}(out.data_ptr(),
                         (ctypes.c_void_p * len(views))(*[v.data_ptr() for v, _ in views]),
                         (ctypes.c_int64 * len(flat))(*flat), rows, red, inner)
    return out
)PY", k, be, out_shape, dtype, ints);
}

std::string MatmulLauncher(size_t k) {
  return fmt::format(R"PY(
def _launch{0}(ops):
    ops = _check(ops)
    a, b, epilogue, shape, m, n, k = _mm_views(ops)
    if b.stride(2) != 1:
        b = b.contiguous()
    c = torch.empty((a.shape[0], m, n), dtype=torch.float32)
    if c.numel() == 0:
        return c.view(shape)
    es = [s for t in epilogue for s in t.stride()]
    _lib().akg_launch{0}(c.data_ptr(), a.data_ptr(), b.data_ptr(),
                         (ctypes.c_void_p * len(epilogue))(*[t.data_ptr() for t in epilogue]),
                         (ctypes.c_int64 * len(es))(*es), a.shape[0], m, n, k,
                         *a.stride(), b.stride(0), b.stride(1))
    return c.view(shape)
)PY", k);
}

constexpr const char* kCppLoader = R"PY(

_LIB = None


def _lib():
    global _LIB
    if _LIB is None:
        # Eager PyTorch rounds after every operator; without FMA contraction the plans
        # round the same way.
        lib = load_cpp(CPP_SOURCE, extra_flags=("-ffp-contract=off",))
        for name, types in _ARGTYPES.items():
            getattr(lib, name).restype = None
            getattr(lib, name).argtypes = types
        _LIB = lib
    return _LIB


def _check(ops, ints=None):
    """The operands, checked: float32 CPU tensors, or the dtype `ints` gives a position."""
    for k, t in enumerate(ops):
        want = (ints or {}).get(k, torch.float32)
        if t.dtype != want or t.device.type != "cpu":
            raise TypeError(f"this kernel takes {want} CPU tensors, not {t.dtype} on {t.device}")
    return ops
)PY";

}  // namespace

Result<std::string> EmitCppProgram(const KernelProgram& program, const PlanEmitOptions& o) {
  for (const Launch& l : program.launches) {
    for (const PlanOperand& op : l.operands) {
      bool index_ok = (op.type.dtype == "int64" || op.type.dtype == "bool") &&
                      (l.kind == PlanKind::kRow || l.kind == PlanKind::kPointwise);
      if (op.type.dtype != "float32" && !index_ok) {
        return UnsupportedError("the builtin model's cpp kernels take float32 tensors; an "
                                "operand is " + op.type.dtype);
      }
    }
  }
  std::string source = "// Generated by the AKG builtin model: kernel plans.\n#include <cstdint>\n"
                       "#include <math.h>\n\n";
  std::string launchers;
  int pools = 0, convs = 0;
  for (size_t k = 0; k < program.launches.size(); ++k) {
    const Launch& l = program.launches[k];
    source += "// launch " + std::to_string(k) + ": " + DescribeLaunch(l) + "\n";
    if (l.kind == PlanKind::kMatmul) {
      source += MatmulFunction(l, k) + "\n";
      launchers += MatmulLauncher(k);
    } else if (l.kind == PlanKind::kConv) {
      if (!convs++) launchers += ConvHelperSource();
      source += ConvCppFunction(l, k) + "\n";
      launchers += ConvCppLauncher(l, k);
    } else if (l.kind == PlanKind::kPool) {
      if (!pools++) launchers += PoolHelperSource();
      source += PoolCppFunction(l, k) + "\n";
      launchers += PoolCppLauncher(l, k);
    } else {
      RowSchedule schedule = ScheduleRow(l);
      if (!schedule.error.empty()) {
        return UnsupportedError("the builtin model cannot schedule " + schedule.error);
      }
      source += RowFunction(l, k).Source() + "\n";
      launchers += RowLauncher(l, k);
    }
  }
  if (source.find("'''") != std::string::npos) return InternalError("kernel source has '''");
  std::string argtypes;
  for (size_t k = 0; k < program.launches.size(); ++k) {
    PlanKind kind = program.launches[k].kind;
    argtypes += fmt::format("    \"akg_launch{}\": {},\n", k,
                            kind == PlanKind::kMatmul ? "[ctypes.c_void_p] * 5 + [ctypes.c_int64] * 9"
                            : kind == PlanKind::kPool ? "[ctypes.c_void_p] * 7"
                            : kind == PlanKind::kConv ? "[ctypes.c_void_p] * 8"
                                                      : "[ctypes.c_void_p] * 3 + [ctypes.c_int64] * 3");
  }
  std::string loader = kCppLoader;
  AKG_ASSIGN_OR_RETURN(std::string model, ProgramModelSource(program, o.task_source));
  std::string doc = "\"\"\"Generated by the AKG builtin model (cpp DSL: kernel plans, C++ with "
                    "OpenMP, loaded by load_cpp).\n\n";
  for (size_t k = 0; k < program.launches.size(); ++k) {
    doc += fmt::format("    launch {}: {}\n", k, DescribeLaunch(program.launches[k]));
  }
  return doc + "\"\"\"\nimport ctypes\nimport functools\nimport math\n\nimport torch\n"
               "import torch.nn as nn\nimport torch.nn.functional as F\n\n"
               "from akg_harness.native import load_cpp\n\nCPP_SOURCE = r'''\n" + source +
         "'''\n\n_ARGTYPES = {\n" + argtypes + "}\n" + loader + "\n\n" + ProgramHelpersSource() +
         launchers + "\n\n" + model;
}

}  // namespace akg
