// The Python glue every plan emitter shares (plan_emit.h): ModelNew, operand views, the row
// and matmul view helpers, and the schedule of a row launch.
#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "builtin/expr_emit.h"
#include "builtin/plan_emit.h"
#include "builtin/python_glue.h"

namespace akg {
namespace {

constexpr const char* kHelpers = R"PY(
def _prod(xs):
    n = 1
    for x in xs:
        n *= x
    return n


def _merged_stride(v, shape, lo, hi):
    """The one stride of dims [lo, hi) merged, or None when they do not merge."""
    dims = [d for d in range(lo, hi) if shape[d] != 1]
    for d0, d1 in zip(dims, dims[1:]):
        if v.stride(d0) != v.stride(d1) * shape[d1]:
            return None
    return v.stride(dims[-1]) if dims else 0


def _rows(t, shape, b, e):
    """t broadcast to shape as (view, [outer, row, inner] strides); dims [b, e) are the row."""
    v = t.expand(shape)
    s = [_merged_stride(v, shape, 0, b), _merged_stride(v, shape, b, e),
         _merged_stride(v, shape, e, len(shape))]
    if None in s:
        v = v.contiguous()
        s = [_merged_stride(v, shape, 0, b), _merged_stride(v, shape, b, e),
             _merged_stride(v, shape, e, len(shape))]
    return v, s


def _pointwise_split(ops, shape):
    """Dims [b, e) a pointwise launch takes as its row: the last dim unless an operand would
    then need a copy (a broadcast bias over a middle dim), else the first split that needs
    none, preferring a long contiguous row."""
    rank = len(shape)
    if rank == 0:
        return 0, 0
    views = [t.expand(shape) for t in ops]
    splits = [(rank - 1, rank)] + [(b, e) for e in range(rank, 0, -1) for b in range(e)]
    for b, e in splits:
        if all(None not in (_merged_stride(v, shape, 0, b), _merged_stride(v, shape, b, e),
                            _merged_stride(v, shape, e, rank)) for v in views):
            return b, e
    return rank - 1, rank


def _mm_views(ops):
    """A matmul's operands as [batch, M, K] and [batch, K, N] views, its epilogue operands as
    [batch, M, N] views, and the result's shape (torch.matmul's rules for 1-d operands)."""
    a, b = ops[0], ops[1]
    av, bv = a.dim() == 1, b.dim() == 1
    a2 = a.unsqueeze(0) if av else a
    b2 = b.unsqueeze(-1) if bv else b
    batch = tuple(torch.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]))
    m, k, n = a2.shape[-2], a2.shape[-1], b2.shape[-1]
    a3 = a2.expand(batch + (m, k)).reshape(-1, m, k)
    b3 = b2.expand(batch + (k, n)).reshape(-1, k, n)
    shape = batch + (() if av else (m,)) + (() if bv else (n,))
    epilogue = []
    for t in ops[2:]:
        e = t.expand(shape)
        if av:
            e = e.unsqueeze(-2)
        if bv:
            e = e.unsqueeze(-1)
        epilogue.append(e.expand(batch + (m, n)).reshape(-1, m, n))
    return a3, b3, epilogue, shape, m, n, k


def _dtype_of(ops):
    return functools.reduce(torch.promote_types, [t.dtype for t in ops])
)PY";

// "ln.weight" -> "self.ln.weight"; "layers.0.weight" -> "self.layers[0].weight".
std::string StatePath(const std::string& path) {
  std::string out = "self";
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '.')) {
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
    out += digits ? "[" + part + "]" : "." + part;
  }
  return out;
}

std::string ViewsSource(const std::vector<PlanView>& views) {
  std::string s;
  for (const PlanView& v : views) {
    switch (v.kind) {
      case PlanView::Kind::kUnsqueeze: s += fmt::format(".unsqueeze({})", v.dim); break;
      case PlanView::Kind::kTranspose: s += ".transpose(-1, -2)"; break;
      case PlanView::Kind::kUnflatten: s += fmt::format(".unflatten({}, ({}, -1))", v.dim, v.size); break;
      case PlanView::Kind::kFlatten: s += fmt::format(".flatten({}, {})", v.dim, v.end); break;
    }
  }
  return s;
}

std::string OperandSource(const PlanOperand& op, const std::vector<std::string>& params) {
  std::string s;
  switch (op.kind) {
    case PlanOperand::Kind::kInput: s = params.at(static_cast<size_t>(op.index)); break;
    case PlanOperand::Kind::kParameter:
    case PlanOperand::Kind::kBuffer: s = StatePath(op.path); break;
    case PlanOperand::Kind::kIntermediate: s = fmt::format("v{}", op.index); break;
  }
  return s + ViewsSource(op.views);
}

size_t Indent(const std::string& line) { return line.find_first_not_of(' '); }

// The task's Model.__init__ (signature and body, as written), or "" when there is none.
std::string ModelInit(const std::string& source, std::string* indent) {
  std::vector<std::string> lines;
  std::stringstream in(source);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  size_t k = 0;
  while (k < lines.size() && lines[k].rfind("class Model(", 0) != 0 &&
         lines[k].rfind("class Model:", 0) != 0) {
    ++k;
  }
  for (++k; k < lines.size(); ++k) {
    if (!lines[k].empty() && Indent(lines[k]) == 0) return "";  // the class ended
    size_t at = lines[k].find("def __init__(");
    if (at != std::string::npos && Indent(lines[k]) == at) break;
  }
  if (k >= lines.size()) return "";
  size_t def_indent = Indent(lines[k]);
  *indent = std::string(def_indent, ' ');
  std::string out = lines[k] + "\n";
  bool in_signature = lines[k].find("):") == std::string::npos;
  for (++k; k < lines.size(); ++k) {
    const std::string& line = lines[k];
    size_t ind = Indent(line);
    bool blank = ind == std::string::npos;
    if (!blank && !in_signature && ind <= def_indent) break;
    if (in_signature && line.find("):") != std::string::npos) in_signature = false;
    out += line + "\n";
  }
  // The copy lives in ModelNew: Model is not its base.
  for (const char* old : {"super(Model, self).__init__()", "super(Model,self).__init__()"}) {
    for (size_t at = out.find(old); at != std::string::npos; at = out.find(old)) {
      out.replace(at, std::string(old).size(), "super().__init__()");
    }
  }
  return out;
}

// The task's module-level numeric constants ("batch_size = 16"), which a copied __init__ may
// read: numbers and arithmetic on them only.
std::string ModuleConstants(const std::string& source) {
  std::string out;
  std::stringstream in(source);
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find(" = ");
    if (eq == std::string::npos || line.empty() || !(isalpha(line[0]) || line[0] == '_')) continue;
    std::string name = line.substr(0, eq), value = line.substr(eq + 3);
    bool ident = std::all_of(name.begin(), name.end(), [](char c) { return isalnum(c) || c == '_'; });
    bool numeric = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
      return isdigit(c) || c == '.' || c == ' ' || c == '*' || c == '+' || c == '-' || c == '/' ||
             c == '(' || c == ')' || c == 'e' || c == 'E' || c == '_';
    });
    if (ident && numeric) out += line + "\n";
  }
  return out;
}

}  // namespace

std::string ProgramHelpersSource() { return kHelpers + 1; }

Result<std::string> ProgramModelSource(const KernelProgram& program,
                                       const std::string& task_source) {
  std::vector<std::string> params = ForwardParamNames(program.forward_args);
  std::string indent = "    ";
  std::string init;
  if (!ProgramStatePaths(program).empty()) {
    init = ModelInit(task_source, &indent);
    if (init.empty()) {
      return UnsupportedError("the task reads parameters, but its Model.__init__ was not found "
                              "in the source; the builtin model copies it to create them");
    }
  } else {
    init = indent + "def __init__(self, *args, **kwargs):\n" + indent + "    super().__init__()\n";
  }
  std::string all;
  for (const std::string& p : params) all += ", " + p;
  std::string body;
  for (size_t k = 0; k < program.launches.size(); ++k) {
    std::string ops;
    for (const PlanOperand& op : program.launches[k].operands) {
      ops += (ops.empty() ? "" : ", ") + OperandSource(op, params);
    }
    body += fmt::format("{0}    v{1} = _launch{1}([{2}])\n", indent, k, ops);
  }
  body += fmt::format("{}    return v{}{}\n", indent, program.launches.size() - 1,
                      ViewsSource(program.result_views));
  std::string constants = ProgramStatePaths(program).empty() ? "" : ModuleConstants(task_source);
  if (!constants.empty()) {
    constants = "# The task's size constants, which its __init__ (copied below) reads.\n" +
                constants + "\n\n";
  }
  return constants + "class ModelNew(nn.Module):\n" + init + "\n" + indent + "def forward(self" +
         all + "):\n" + body;
}

RowSchedule ScheduleRow(const Launch& launch) {
  const ElementwiseGraph& g = launch.expr;
  RowSchedule s;
  s.row_level.assign(g.nodes.size(), false);
  s.stage.assign(g.nodes.size(), 0);
  s.live = g.LiveNodes();
  for (int id : s.live) {
    const ExprNode& n = g.nodes[static_cast<size_t>(id)];
    int stage = 0;
    bool row = n.op != ExprOp::kInput && n.op != ExprOp::kRowIndex;
    for (int a : n.args) {
      stage = std::max(stage, s.stage[static_cast<size_t>(a)]);
      row = row && s.row_level[static_cast<size_t>(a)];
    }
    if (n.op == ExprOp::kReduce) {
      row = true;
      ++stage;
      auto c = static_cast<ReduceCombiner>(static_cast<int>(n.params[0]));
      s.has_arg_reduce |= c == ReduceCombiner::kArgMax || c == ReduceCombiner::kArgMin;
    }
    if (n.op == ExprOp::kScan) {
      row = false;
      bool reverse = n.params[1] != 0;
      if (s.has_scan && reverse != s.scan_reverse) {
        s.error = "scans in both directions in one launch";
      }
      s.has_scan = true;
      s.scan_reverse = reverse;
    }
    s.row_level[static_cast<size_t>(id)] = row;
    s.stage[static_cast<size_t>(id)] = stage;
    s.stages = std::max(s.stages, stage);
  }
  if (s.has_scan) {
    std::vector<int> args;
    for (int id : s.live) {
      if (g.nodes[static_cast<size_t>(id)].op == ExprOp::kReduce) {
        args.push_back(g.nodes[static_cast<size_t>(id)].args[0]);
      }
    }
    for (int id : ElementNodesFor(launch, s, args)) {
      if (g.nodes[static_cast<size_t>(id)].op == ExprOp::kScan) s.error = "a reduction of a scan";
    }
  }
  return s;
}

std::vector<int> ElementNodesFor(const Launch& launch, const RowSchedule& s,
                                 const std::vector<int>& roots) {
  std::set<int> seen;
  std::function<void(int)> visit = [&](int id) {
    if (s.row_level[static_cast<size_t>(id)] || !seen.insert(id).second) return;
    for (int a : launch.expr.nodes[static_cast<size_t>(id)].args) visit(a);
  };
  for (int r : roots) visit(r);
  return {seen.begin(), seen.end()};
}

std::string RowSplitSource(const Launch& l) {
  if (l.kind == PlanKind::kPointwise) return "_pointwise_split(ops, shape)";
  return fmt::format("{}, {}", l.row.axis_begin, l.row.axis_end);
}

std::string RowOutShapeSource(const Launch& l) {
  if (l.kind == PlanKind::kPointwise || l.row.full_output) return "shape";
  return l.row.keepdim ? "shape[:b] + (1,) * (e - b) + shape[e:]" : "shape[:b] + shape[e:]";
}

std::string AnchorEpilogue(const Launch& l, bool cpp, EmitCode& c, int indent,
                           const std::function<std::string(int)>& load) {
  std::map<int, std::string> names;
  for (int id : l.expr.LiveNodes()) {
    const ExprNode& n = l.expr.nodes[static_cast<size_t>(id)];
    if (n.op == ExprOp::kAcc) {
      names[id] = "acc";
    } else if (n.op == ExprOp::kConst) {
      names[id] = cpp ? CppFloatLiteral(n.params[0]) : PyFloatLiteral(n.params[0]);
    } else if (n.op == ExprOp::kInput) {
      c.Line(indent, load(n.input));
      names[id] = fmt::format("w{}", n.input);
    } else {
      std::vector<std::string> lines;
      names[id] = EmitNode(l.expr, id, cpp ? EmitDsl::kCpp : EmitDsl::kTriton, names, &lines);
      for (const std::string& line : lines) c.Line(indent, line);
    }
  }
  return names[l.expr.output];
}

int LaunchTunable(const Json& tunables, size_t launch, const char* name, int fallback) {
  if (!tunables.is_object() || !tunables.contains("launches")) return fallback;
  const Json& all = tunables["launches"];
  if (!all.is_array() || launch >= all.size() || !all[launch].is_object()) return fallback;
  const Json& v = all[launch].value(name, Json());
  return v.is_number_integer() ? v.get<int>() : fallback;
}

void EmitTileDot(EmitCode& c, int indent, const Json& tunables, size_t launch,
                 const char* fallback) {
  std::string dot = fallback;
  if (tunables.is_object() && tunables.contains("launches") && tunables["launches"].is_array() &&
      launch < tunables["launches"].size()) {
    const Json& v = tunables["launches"][launch].value("dot", Json());
    if (v.is_string()) dot = v.get<std::string>();
  }
  c.Line(indent, "if F32:");
  c.Line(indent + 1, "acc += tl.dot(a.to(tl.float32), b.to(tl.float32), input_precision=\"" + dot +
                         "\")");
  c.Line(indent, "else:");
  c.Line(indent + 1, "acc += tl.dot(a, b)");
}

}  // namespace akg
