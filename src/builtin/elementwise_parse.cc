// ParseElementwiseGraph: lowers the ATen calls of a torch.export graph into ExprNodes.
#include <functional>
#include <map>
#include <optional>
#include <tuple>

#include "builtin/elementwise_ir.h"

namespace akg {
namespace {

constexpr double kSeluAlpha = 1.6732632423543772;
constexpr double kSeluScale = 1.0507009873554805;

// Appends nodes, reusing an existing node with the same (op, args, params, input).
class Builder {
 public:
  explicit Builder(ElementwiseGraph* graph) : graph_(graph) {}

  int Add(ExprOp op, std::vector<int> args, std::vector<double> params = {}, int input = -1) {
    Key key{op, args, params, input};
    if (auto it = index_.find(key); it != index_.end()) return it->second;
    graph_->nodes.push_back({op, std::move(args), std::move(params), input});
    int id = static_cast<int>(graph_->nodes.size()) - 1;
    index_.emplace(std::move(key), id);
    return id;
  }
  int Const(double value) { return Add(ExprOp::kConst, {}, {value}); }
  const ElementwiseGraph& graph() const { return *graph_; }

 private:
  using Key = std::tuple<ExprOp, std::vector<int>, std::vector<double>, int>;
  ElementwiseGraph* graph_;
  std::map<Key, int> index_;
};

// One ATen call: "aten.add_.Tensor" has name "add" (in-place suffix dropped).
struct Call {
  std::string target;
  std::string name;
  const Json* args = nullptr;
  const Json* kwargs = nullptr;
};

struct Lowering {
  explicit Lowering(ElementwiseGraph* graph) : b(graph) {}
  Builder b;
  std::map<std::string, int> ids;  // graph node name -> expression node id

  // The argument at `pos` (or keyword `kw`), nullptr when absent or None.
  const Json* Arg(const Call& call, size_t pos, const char* kw) const {
    const Json* v = nullptr;
    if (call.args->size() > pos) v = &(*call.args)[pos];
    else if (kw != nullptr && call.kwargs->contains(kw)) v = &(*call.kwargs)[kw];
    return (v == nullptr || v->is_null()) ? nullptr : v;
  }

  // A tensor operand (node reference) or a Python number (becomes a constant).
  Result<int> Operand(const Call& call, size_t pos, const char* kw) {
    const Json* v = Arg(call, pos, kw);
    if (v == nullptr) return InputError(call.target + " lacks its operand " + std::to_string(pos));
    if (v->is_object() && v->contains("node") && (*v)["node"].is_string()) {
      auto it = ids.find((*v)["node"].get<std::string>());
      if (it == ids.end()) return InputError(call.target + " uses an unknown node");
      return it->second;
    }
    if (v->is_number()) return b.Const(v->get<double>());
    return UnsupportedError("the builtin model cannot handle the argument " + v->dump() +
                            " of " + call.target + " (tensors and numbers only)");
  }

  Result<std::optional<double>> Number(const Call& call, size_t pos, const char* kw) {
    const Json* v = Arg(call, pos, kw);
    if (v == nullptr) return std::optional<double>();
    if (!v->is_number()) {
      return UnsupportedError("the builtin model cannot handle " + std::string(kw) + "=" +
                              v->dump() + " of " + call.target + " (numbers only)");
    }
    return std::optional<double>(v->get<double>());
  }

  Result<double> NumberOr(const Call& call, size_t pos, const char* kw, double fallback) {
    AKG_ASSIGN_OR_RETURN(std::optional<double> v, Number(call, pos, kw));
    return v.value_or(fallback);
  }
};

using Handler = std::function<Result<int>(const Call&, Lowering&)>;

Handler Unary(ExprOp op) {
  return [op](const Call& c, Lowering& l) -> Result<int> {
    AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
    return l.b.Add(op, {x});
  };
}

Handler Identity() {
  return [](const Call& c, Lowering& l) { return l.Operand(c, 0, "self"); };
}

Result<int> Elu(Lowering& l, int x, double alpha, double scale, double input_scale) {
  // torch multiplies the float-cast alpha and scale for the negative branch.
  double negcoef = static_cast<float>(alpha) * static_cast<float>(scale);
  return l.b.Add(ExprOp::kElu, {x}, {negcoef, scale, input_scale});
}

Result<int> Clamp(Lowering& l, int x, std::optional<double> lo, std::optional<double> hi) {
  if (lo && hi) return l.b.Add(ExprOp::kClamp, {x}, {*lo, *hi});
  if (lo) return l.b.Add(ExprOp::kClampMin, {x}, {*lo});
  if (hi) return l.b.Add(ExprOp::kClampMax, {x}, {*hi});
  return x;
}

// add/sub: a (+|-) alpha*b;  rsub: b - alpha*a.
Handler AddSub(ExprOp op, bool reversed) {
  return [op, reversed](const Call& c, Lowering& l) -> Result<int> {
    AKG_ASSIGN_OR_RETURN(int a, l.Operand(c, 0, "self"));
    AKG_ASSIGN_OR_RETURN(int b, l.Operand(c, 1, "other"));
    AKG_ASSIGN_OR_RETURN(double alpha, l.NumberOr(c, 2, "alpha", 1.0));
    if (reversed) std::swap(a, b);
    if (alpha == 1.0) return l.b.Add(op, {a, b});
    const ExprNode& scaled = l.b.graph().nodes[b];
    b = scaled.op == ExprOp::kConst ? l.b.Const(scaled.params[0] * alpha)
                                    : l.b.Add(ExprOp::kMul, {b, l.b.Const(alpha)});
    return l.b.Add(op, {a, b});
  };
}

Handler Binary(ExprOp op) {
  return [op](const Call& c, Lowering& l) -> Result<int> {
    if (op == ExprOp::kDiv && l.Arg(c, 2, "rounding_mode") != nullptr) {
      return UnsupportedError("the builtin model cannot write " + c.target +
                              " with a rounding_mode (true division only)");
    }
    AKG_ASSIGN_OR_RETURN(int a, l.Operand(c, 0, "self"));
    AKG_ASSIGN_OR_RETURN(int b, l.Operand(c, 1, "other"));
    return l.b.Add(op, {a, b});
  };
}

Result<int> Pow(const Call& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(std::optional<double> e, l.Number(c, 1, "exponent"));
  // The same special cases torch's pow kernel takes, so results round identically.
  if (e == 1.0) return x;
  if (e == 2.0) return l.b.Add(ExprOp::kMul, {x, x});
  if (e == 3.0) return l.b.Add(ExprOp::kMul, {l.b.Add(ExprOp::kMul, {x, x}), x});
  if (e == 0.5) return l.b.Add(ExprOp::kSqrt, {x});
  if (e == -0.5) return l.b.Add(ExprOp::kRsqrt, {x});
  if (e == -1.0) return l.b.Add(ExprOp::kReciprocal, {x});
  if (e == -2.0) return l.b.Add(ExprOp::kReciprocal, {l.b.Add(ExprOp::kMul, {x, x})});
  return UnsupportedError("the builtin model cannot write " + c.target +
                          " with this exponent (it handles 1, 2, 3, 0.5, -0.5, -1, -2)");
}

const std::map<std::string, Handler>& Handlers() {
  static const auto* handlers = new std::map<std::string, Handler>{
      {"neg", Unary(ExprOp::kNeg)}, {"abs", Unary(ExprOp::kAbs)}, {"exp", Unary(ExprOp::kExp)},
      {"log", Unary(ExprOp::kLog)}, {"sqrt", Unary(ExprOp::kSqrt)},
      {"rsqrt", Unary(ExprOp::kRsqrt)}, {"reciprocal", Unary(ExprOp::kReciprocal)},
      {"relu", Unary(ExprOp::kRelu)}, {"sigmoid", Unary(ExprOp::kSigmoid)},
      {"tanh", Unary(ExprOp::kTanh)}, {"silu", Unary(ExprOp::kSilu)},
      {"hardsigmoid", Unary(ExprOp::kHardsigmoid)}, {"hardswish", Unary(ExprOp::kHardswish)},
      {"clone", Identity()}, {"alias", Identity()}, {"detach", Identity()},
      {"add", AddSub(ExprOp::kAdd, false)}, {"sub", AddSub(ExprOp::kSub, false)},
      {"rsub", AddSub(ExprOp::kSub, true)}, {"mul", Binary(ExprOp::kMul)},
      {"div", Binary(ExprOp::kDiv)}, {"minimum", Binary(ExprOp::kMinimum)},
      {"maximum", Binary(ExprOp::kMaximum)}, {"pow", Pow},
      {"square", [](const Call& c, Lowering& l) -> Result<int> {
         AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
         return l.b.Add(ExprOp::kMul, {x, x});
       }},
      {"leaky_relu", [](const Call& c, Lowering& l) -> Result<int> {
         AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
         AKG_ASSIGN_OR_RETURN(double slope, l.NumberOr(c, 1, "negative_slope", 0.01));
         return l.b.Add(ExprOp::kLeakyRelu, {x}, {slope});
       }},
      {"gelu", [](const Call& c, Lowering& l) -> Result<int> {
         AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
         const Json* mode = l.Arg(c, 1, "approximate");
         if (mode == nullptr || *mode == "none") return l.b.Add(ExprOp::kGelu, {x});
         if (*mode == "tanh") return l.b.Add(ExprOp::kGeluTanh, {x});
         return UnsupportedError("the builtin model cannot write " + c.target +
                                 " with approximate=" + mode->dump());
       }},
      {"elu", [](const Call& c, Lowering& l) -> Result<int> {
         AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
         AKG_ASSIGN_OR_RETURN(double alpha, l.NumberOr(c, 1, "alpha", 1.0));
         AKG_ASSIGN_OR_RETURN(double scale, l.NumberOr(c, 2, "scale", 1.0));
         AKG_ASSIGN_OR_RETURN(double input_scale, l.NumberOr(c, 3, "input_scale", 1.0));
         return Elu(l, x, alpha, scale, input_scale);
       }},
      {"selu", [](const Call& c, Lowering& l) -> Result<int> {
         AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
         return Elu(l, x, kSeluAlpha, kSeluScale, 1.0);
       }},
      {"celu", [](const Call& c, Lowering& l) -> Result<int> {
         AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
         AKG_ASSIGN_OR_RETURN(double alpha, l.NumberOr(c, 1, "alpha", 1.0));
         return Elu(l, x, alpha, 1.0, 1.0 / alpha);
       }},
      {"softplus", [](const Call& c, Lowering& l) -> Result<int> {
         AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
         AKG_ASSIGN_OR_RETURN(double beta, l.NumberOr(c, 1, "beta", 1.0));
         AKG_ASSIGN_OR_RETURN(double threshold, l.NumberOr(c, 2, "threshold", 20.0));
         return l.b.Add(ExprOp::kSoftplus, {x}, {beta, threshold});
       }},
      {"hardtanh", [](const Call& c, Lowering& l) -> Result<int> {
         AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
         AKG_ASSIGN_OR_RETURN(double lo, l.NumberOr(c, 1, "min_val", -1.0));
         AKG_ASSIGN_OR_RETURN(double hi, l.NumberOr(c, 2, "max_val", 1.0));
         return Clamp(l, x, lo, hi);
       }},
      {"relu6", [](const Call& c, Lowering& l) -> Result<int> {
         AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
         return Clamp(l, x, 0.0, 6.0);
       }},
      {"clamp", [](const Call& c, Lowering& l) -> Result<int> {
         AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
         AKG_ASSIGN_OR_RETURN(std::optional<double> lo, l.Number(c, 1, "min"));
         AKG_ASSIGN_OR_RETURN(std::optional<double> hi, l.Number(c, 2, "max"));
         return Clamp(l, x, lo, hi);
       }},
  };
  return *handlers;
}

// Splits "aten.relu_.default" into name "relu"; empty name for non-ATen targets.
Call MakeCall(const Json& node) {
  static const Json kEmptyArray = Json::array();
  static const Json kEmptyObject = Json::object();
  Call call;
  call.target = node.value("target", std::string("?"));
  call.args = node.contains("args") && node["args"].is_array() ? &node["args"] : &kEmptyArray;
  call.kwargs =
      node.contains("kwargs") && node["kwargs"].is_object() ? &node["kwargs"] : &kEmptyObject;
  if (call.target.rfind("aten.", 0) != 0) return call;
  std::string rest = call.target.substr(5);
  std::string name = rest.substr(0, rest.find('.'));
  if (!name.empty() && name.back() == '_' && name.front() != '_') name.pop_back();
  call.name = name;
  return call;
}

bool IsFloatDtype(const std::string& dtype) {
  return dtype == "float32" || dtype == "float16" || dtype == "bfloat16";
}

Status CheckDtype(const Json& node) {
  std::string dtype = node.value("dtype", std::string("float32"));
  if (IsFloatDtype(dtype)) return Status::Ok();
  return UnsupportedError("the builtin model handles float32, float16 and bfloat16 tensors; '" +
                          node.value("name", std::string("?")) + "' is " + dtype);
}

// How often each node name is referenced by other nodes' arguments.
void CountUses(const Json& value, std::map<std::string, int>* uses) {
  if (value.is_object() && value.contains("node") && value["node"].is_string()) {
    ++(*uses)[value["node"].get<std::string>()];
  } else if (value.is_array() || value.is_object()) {
    for (const Json& item : value) CountUses(item, uses);
  }
}

// Names the first operator the builtin model cannot write, before anything else is judged:
// for a convolution task "cannot write aten.conv2d" says more than "has parameters".
Status CheckOperators(const Json& nodes) {
  for (const Json& node : nodes) {
    std::string op = node.value("op", std::string());
    if (op == "placeholder" || op == "output") continue;
    Call call = MakeCall(node);
    if (op != "call_function" || !Handlers().contains(call.name)) {
      std::string what = op == "call_function" ? call.target : op + " '" +
                         node.value("name", std::string("?")) + "'";
      return UnsupportedError("the builtin model cannot write " + what +
                              " (it handles elementwise operators only)");
    }
  }
  return Status::Ok();
}

Status AddPlaceholders(const Json& nodes, Lowering& l, ElementwiseGraph& g) {
  std::vector<std::string> foreign;
  std::map<int, const Json*> by_index;
  for (const Json& node : nodes) {
    if (node.value("op", std::string()) != "placeholder") continue;
    std::string name = node.value("name", std::string("?"));
    if (node.value("role", std::string("user_input")) != "user_input") {
      foreign.push_back(node.value("target", name));
      continue;
    }
    if (!node.contains("shape") || !node.contains("dtype")) {
      return UnsupportedError("forward argument '" + name + "' is not a tensor; the builtin " +
                              "model handles tensor arguments only");
    }
    AKG_RETURN_IF_ERROR(CheckDtype(node));
    by_index[node.value("index", static_cast<int>(by_index.size()))] = &node;
  }
  if (!foreign.empty()) {
    std::string names;
    for (const std::string& n : foreign) names += (names.empty() ? "" : ", ") + n;
    return UnsupportedError("the task has parameters, buffers or constant tensors (" + names +
                            "); the builtin model handles only tasks whose forward reads its "
                            "tensor arguments alone");
  }
  for (const auto& [index, node] : by_index) {
    if (index != static_cast<int>(g.inputs.size())) {
      return InputError("the graph's user inputs are not numbered 0..n-1");
    }
    std::string name = (*node)["name"].get<std::string>();
    g.inputs.push_back({name, (*node)["shape"].get<std::vector<int64_t>>(),
                        (*node)["dtype"].get<std::string>()});
    l.ids[name] = l.b.Add(ExprOp::kInput, {}, {}, index);
  }
  return Status::Ok();
}

Status LowerCall(const Json& node, const std::map<std::string, int>& uses, Lowering& l) {
  AKG_RETURN_IF_ERROR(CheckDtype(node));
  Call call = MakeCall(node);
  bool in_place = call.target.find(call.name + "_.") != std::string::npos;
  if (in_place && !call.args->empty() && (*call.args)[0].contains("node")) {
    std::string mutated = (*call.args)[0]["node"].get<std::string>();
    auto it = uses.find(mutated);
    if (it != uses.end() && it->second > 1) {
      return UnsupportedError("the task changes '" + mutated + "' in place with " + call.target +
                              " and reads it elsewhere; the builtin model cannot follow that");
    }
  }
  AKG_ASSIGN_OR_RETURN(int id, Handlers().at(call.name)(call, l));
  l.ids[node.value("name", std::string())] = id;
  return Status::Ok();
}

Status SetOutput(const Json& node, const std::map<std::string, const Json*>& by_name,
                 Lowering& l, ElementwiseGraph& g) {
  const Json& results = node.contains("args") && node["args"].is_array() && !node["args"].empty()
                            ? node["args"][0] : Json();
  if (!results.is_array() || results.size() != 1 || !results[0].is_object() ||
      !results[0].contains("node")) {
    return UnsupportedError("the task returns " + results.dump() + "; the builtin model handles "
                            "exactly one tensor output");
  }
  std::string name = results[0]["node"].get<std::string>();
  auto it = l.ids.find(name);
  auto meta = by_name.find(name);
  if (it == l.ids.end() || meta == by_name.end()) {
    return InputError("the graph's output names an unknown node");
  }
  g.output = it->second;
  g.output_shape = meta->second->value("shape", std::vector<int64_t>());
  g.output_dtype = meta->second->value("dtype", std::string("float32"));
  return Status::Ok();
}

Status WalkNodes(const Json& nodes, ElementwiseGraph& g) {
  AKG_RETURN_IF_ERROR(CheckOperators(nodes));
  Lowering lowering(&g);
  AKG_RETURN_IF_ERROR(AddPlaceholders(nodes, lowering, g));
  std::map<std::string, int> uses;
  for (const Json& node : nodes) {
    CountUses(node.value("args", Json()), &uses);
    CountUses(node.value("kwargs", Json()), &uses);
  }
  std::map<std::string, const Json*> by_name;
  for (const Json& node : nodes) {
    std::string op = node.value("op", std::string());
    by_name[node.value("name", std::string())] = &node;
    if (op == "call_function") {
      AKG_RETURN_IF_ERROR(LowerCall(node, uses, lowering));
      ++g.eager_kernels;
    } else if (op == "output") {
      AKG_RETURN_IF_ERROR(SetOutput(node, by_name, lowering, g));
    }
  }
  if (g.output < 0) return InputError("the graph has no output node");
  return Status::Ok();
}

Status CheckResult(const Json& inspection, ElementwiseGraph& g) {
  for (const Json& in : inspection.value("inputs", Json::array())) {
    if (in.value("kind", std::string("tensor")) != "tensor") {
      return UnsupportedError("forward argument " + std::to_string(in.value("index", 0)) +
                              " is not a tensor; the builtin model handles tensor arguments only");
    }
  }
  if (!IsFloatDtype(g.output_dtype)) {
    return UnsupportedError("the task's output is " + g.output_dtype +
                            "; the builtin model handles float32, float16 and bfloat16 outputs");
  }
  if (g.UsedInputs().empty()) {
    return UnsupportedError("the task's output does not depend on any tensor argument");
  }
  return Status::Ok();
}

Status ParseInto(const Json& inspection, ElementwiseGraph& g) {
  const Json& graph = inspection.value("graph", Json());
  if (!graph.is_object()) {
    const Json& why = inspection.value("graph_error", Json());
    return UnsupportedError("the harness could not capture the task's graph (" +
                            (why.is_string() ? why.get<std::string>() : why.dump()) +
                            "); the builtin model needs one");
  }
  if (graph.value("source", std::string()) != "torch.export") {
    return UnsupportedError("the builtin model needs a torch.export graph; the task was only "
                            "traced by " + graph.value("source", std::string("?")));
  }
  const Json& nodes = graph.value("nodes", Json::array());
  AKG_RETURN_IF_ERROR(WalkNodes(nodes, g));
  return CheckResult(inspection, g);
}

}  // namespace

Result<ElementwiseGraph> ParseElementwiseGraph(const Json& inspection) {
  ElementwiseGraph g;
  try {
    AKG_RETURN_IF_ERROR(ParseInto(inspection, g));
  } catch (const Json::exception& e) {
    return InputError(std::string("malformed inspect result: ") + e.what());
  }
  return g;
}

}  // namespace akg
