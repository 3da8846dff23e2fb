#include "builtin/elementwise_ir.h"

#include <map>
#include <set>

#include <fmt/format.h>

namespace akg {
namespace {

struct OpInfo {
  ExprOp op;
  const char* name;
  int arity;
  const char* infix;  // binary operators written infix; nullptr otherwise
};

constexpr OpInfo kOpInfo[] = {
    {ExprOp::kInput, "input", 0, nullptr},
    {ExprOp::kConst, "const", 0, nullptr},
    {ExprOp::kNeg, "neg", 1, nullptr},
    {ExprOp::kAbs, "abs", 1, nullptr},
    {ExprOp::kExp, "exp", 1, nullptr},
    {ExprOp::kLog, "log", 1, nullptr},
    {ExprOp::kSqrt, "sqrt", 1, nullptr},
    {ExprOp::kRsqrt, "rsqrt", 1, nullptr},
    {ExprOp::kReciprocal, "reciprocal", 1, nullptr},
    {ExprOp::kRelu, "relu", 1, nullptr},
    {ExprOp::kLeakyRelu, "leaky_relu", 1, nullptr},
    {ExprOp::kSigmoid, "sigmoid", 1, nullptr},
    {ExprOp::kTanh, "tanh", 1, nullptr},
    {ExprOp::kGelu, "gelu", 1, nullptr},
    {ExprOp::kGeluTanh, "gelu_tanh", 1, nullptr},
    {ExprOp::kSilu, "silu", 1, nullptr},
    {ExprOp::kElu, "elu", 1, nullptr},
    {ExprOp::kHardsigmoid, "hardsigmoid", 1, nullptr},
    {ExprOp::kHardswish, "hardswish", 1, nullptr},
    {ExprOp::kSoftplus, "softplus", 1, nullptr},
    {ExprOp::kClampMin, "clamp_min", 1, nullptr},
    {ExprOp::kClampMax, "clamp_max", 1, nullptr},
    {ExprOp::kClamp, "clamp", 1, nullptr},
    {ExprOp::kAdd, "add", 2, " + "},
    {ExprOp::kSub, "sub", 2, " - "},
    {ExprOp::kMul, "mul", 2, " * "},
    {ExprOp::kDiv, "div", 2, " / "},
    {ExprOp::kMinimum, "minimum", 2, nullptr},
    {ExprOp::kMaximum, "maximum", 2, nullptr},
    {ExprOp::kReduce, "reduce", 1, nullptr},
    {ExprOp::kRowSize, "row_size", 0, nullptr},
    {ExprOp::kAcc, "acc", 0, nullptr},
    {ExprOp::kUnsqueeze, "unsqueeze", 1, nullptr},
    {ExprOp::kTranspose, "transpose", 1, nullptr},
    {ExprOp::kMatmul, "matmul", 2, " @ "},
    {ExprOp::kScan, "scan", 1, nullptr},
    {ExprOp::kFlip, "flip", 1, nullptr},
    {ExprOp::kPool, "pool", 1, nullptr},
    {ExprOp::kEq, "eq", 2, " == "},
    {ExprOp::kNe, "ne", 2, " != "},
    {ExprOp::kWhere, "where", 3, nullptr},
    {ExprOp::kRowIndex, "row_index", 0, nullptr},
    {ExprOp::kUnflatten, "unflatten", 1, nullptr},
    {ExprOp::kFlatten, "flatten", 1, nullptr},
    {ExprOp::kGe, "ge", 2, " >= "},
    {ExprOp::kOutIndex, "out_index", 0, nullptr},
    {ExprOp::kDotSize, "dot_size", 0, nullptr},
    {ExprOp::kConv, "conv", 2, nullptr},
};

const OpInfo& Info(ExprOp op) {
  for (const OpInfo& info : kOpInfo) {
    if (info.op == op) return info;
  }
  return kOpInfo[1];
}

std::string FormatNumber(double v) {
  return fmt::format("{}", v);
}

class Formatter {
 public:
  explicit Formatter(const ElementwiseGraph& graph) : graph_(graph), uses_(graph.nodes.size()) {
    for (int id : graph.LiveNodes()) {
      for (int arg : graph.nodes[id].args) ++uses_[arg];
    }
  }

  std::string Run() {
    std::string prefix;
    for (int id : graph_.LiveNodes()) {
      const ExprNode& n = graph_.nodes[id];
      if (uses_[id] > 1 && n.op != ExprOp::kInput && n.op != ExprOp::kConst) {
        std::string name = fmt::format("t{}", names_.size() + 1);
        prefix += name + " = " + Expr(id, false) + "; ";
        names_[id] = name;
      }
    }
    return prefix + Expr(graph_.output, false);
  }

 private:
  std::string Expr(int id, bool nested) {
    if (auto it = names_.find(id); it != names_.end()) return it->second;
    const ExprNode& n = graph_.nodes[id];
    if (n.op == ExprOp::kInput) {
      // A launch's expression reads operands, not named forward arguments.
      return n.input >= 0 && n.input < static_cast<int>(graph_.inputs.size())
                 ? graph_.inputs[n.input].name : fmt::format("in{}", n.input);
    }
    if (n.op == ExprOp::kConst) return FormatNumber(n.params[0]);
    if (n.op == ExprOp::kRowSize) return "n";
    if (n.op == ExprOp::kRowIndex) return "row_index";
    if (n.op == ExprOp::kOutIndex) return n.params[0] == 1 ? "col" : "row";
    if (n.op == ExprOp::kDotSize) return "K";
    if (n.op == ExprOp::kAcc) return "acc";
    if (n.op == ExprOp::kReduce) {
      std::string axes;
      for (size_t i = 3; i < n.params.size(); ++i) axes += (i > 3 ? ", " : "") + FormatNumber(n.params[i]);
      return std::string(ReduceCombinerName(static_cast<ReduceCombiner>(n.params[0]))) + "(" +
             Expr(n.args[0], false) + ", dim=[" + axes + "])";
    }
    if (n.op == ExprOp::kTranspose) return Expr(n.args[0], true) + ".mT";
    if (n.op == ExprOp::kScan) {
      bool prod = static_cast<int>(n.params[0]) == static_cast<int>(ReduceCombiner::kProd);
      return std::string(prod ? "cumprod" : "cumsum") + (n.params[1] != 0 ? "_reversed(" : "(") +
             Expr(n.args[0], false) + ", dim=" + FormatNumber(n.params[3]) + ")";
    }
    if (n.op == ExprOp::kPool) {
      std::string window;
      int dims = static_cast<int>(n.params[1]);
      for (int d = 0; d < dims; ++d) window += (d ? "x" : "") + FormatNumber(n.params[5 + d]);
      return std::string(n.params[0] != 0 ? "max_pool" : "avg_pool") + "(" +
             Expr(n.args[0], false) + ", " + window + ")";
    }
    if (n.op == ExprOp::kUnsqueeze) {
      return Expr(n.args[0], true) + ".unsqueeze(" + FormatNumber(n.params[0]) + ")";
    }
    const OpInfo& info = Info(n.op);
    if (info.infix != nullptr) {
      std::string s = Expr(n.args[0], true) + info.infix + Expr(n.args[1], true);
      return nested ? "(" + s + ")" : s;
    }
    std::string s = std::string(info.name) + "(";
    for (size_t i = 0; i < n.args.size(); ++i) s += (i ? ", " : "") + Expr(n.args[i], false);
    for (double p : n.params) s += ", " + FormatNumber(p);
    return s + ")";
  }

  const ElementwiseGraph& graph_;
  std::vector<int> uses_;
  std::map<int, std::string> names_;
};

}  // namespace

const char* ExprOpName(ExprOp op) { return Info(op).name; }

const char* ReduceCombinerName(ReduceCombiner c) {
  switch (c) {
    case ReduceCombiner::kSum: return "sum";
    case ReduceCombiner::kMax: return "amax";
    case ReduceCombiner::kMin: return "amin";
    case ReduceCombiner::kProd: return "prod";
    case ReduceCombiner::kArgMax: return "argmax";
    case ReduceCombiner::kArgMin: return "argmin";
    case ReduceCombiner::kMean: return "mean";
  }
  return "?";
}
int ExprOpArity(ExprOp op) { return Info(op).arity; }

std::vector<int> ElementwiseGraph::LiveNodes() const {
  std::vector<bool> live(nodes.size(), false);
  if (output >= 0) live[output] = true;
  for (int id = static_cast<int>(nodes.size()) - 1; id >= 0; --id) {
    if (!live[id]) continue;
    for (int arg : nodes[id].args) live[arg] = true;
  }
  std::vector<int> ids;
  for (int id = 0; id < static_cast<int>(nodes.size()); ++id) {
    if (live[id]) ids.push_back(id);
  }
  return ids;
}

std::vector<int> ElementwiseGraph::UsedInputs() const {
  std::set<int> used;
  for (int id : LiveNodes()) {
    if (nodes[id].op == ExprOp::kInput) used.insert(nodes[id].input);
  }
  return {used.begin(), used.end()};
}

std::string FormatExpression(const ElementwiseGraph& graph) {
  return Formatter(graph).Run();
}

int64_t NumElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}


}  // namespace akg
