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
    if (n.op == ExprOp::kInput) return graph_.inputs[n.input].name;
    if (n.op == ExprOp::kConst) return FormatNumber(n.params[0]);
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

int DtypeBytes(const std::string& dtype) {
  if (dtype == "float16" || dtype == "bfloat16") return 2;
  if (dtype == "float64" || dtype == "int64") return 8;
  return 4;
}

}  // namespace akg
