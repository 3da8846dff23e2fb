#include "builtin/aten_lowering.h"

namespace akg {
namespace {

constexpr double kSeluAlpha = 1.6732632423543772;
constexpr double kSeluScale = 1.0507009873554805;

AtenHandler Unary(ExprOp op) {
  return [op](const AtenCall& c, Lowering& l) -> Result<int> {
    AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
    return l.b.Add(op, {x});
  };
}

AtenHandler Identity() {
  return [](const AtenCall& c, Lowering& l) { return l.Operand(c, 0, "self"); };
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
AtenHandler AddSub(ExprOp op, bool reversed) {
  return [op, reversed](const AtenCall& c, Lowering& l) -> Result<int> {
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

AtenHandler Binary(ExprOp op) {
  return [op](const AtenCall& c, Lowering& l) -> Result<int> {
    if (op == ExprOp::kDiv && l.Arg(c, 2, "rounding_mode") != nullptr) {
      return UnsupportedError("the builtin model cannot write " + c.target +
                              " with a rounding_mode (true division only)");
    }
    AKG_ASSIGN_OR_RETURN(int a, l.Operand(c, 0, "self"));
    AKG_ASSIGN_OR_RETURN(int b, l.Operand(c, 1, "other"));
    return l.b.Add(op, {a, b});
  };
}

Result<int> Pow(const AtenCall& c, Lowering& l) {
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

Result<int> Square(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  return l.b.Add(ExprOp::kMul, {x, x});
}

Result<int> LeakyRelu(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(double slope, l.NumberOr(c, 1, "negative_slope", 0.01));
  return l.b.Add(ExprOp::kLeakyRelu, {x}, {slope});
}

Result<int> Gelu(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  const Json* mode = l.Arg(c, 1, "approximate");
  if (mode == nullptr || *mode == "none") return l.b.Add(ExprOp::kGelu, {x});
  if (*mode == "tanh") return l.b.Add(ExprOp::kGeluTanh, {x});
  return UnsupportedError("the builtin model cannot write " + c.target + " with approximate=" +
                          mode->dump());
}

Result<int> EluCall(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(double alpha, l.NumberOr(c, 1, "alpha", 1.0));
  AKG_ASSIGN_OR_RETURN(double scale, l.NumberOr(c, 2, "scale", 1.0));
  AKG_ASSIGN_OR_RETURN(double input_scale, l.NumberOr(c, 3, "input_scale", 1.0));
  return Elu(l, x, alpha, scale, input_scale);
}

Result<int> Selu(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  return Elu(l, x, kSeluAlpha, kSeluScale, 1.0);
}

Result<int> Celu(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(double alpha, l.NumberOr(c, 1, "alpha", 1.0));
  return Elu(l, x, alpha, 1.0, 1.0 / alpha);
}

Result<int> Softplus(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(double beta, l.NumberOr(c, 1, "beta", 1.0));
  AKG_ASSIGN_OR_RETURN(double threshold, l.NumberOr(c, 2, "threshold", 20.0));
  return l.b.Add(ExprOp::kSoftplus, {x}, {beta, threshold});
}

// mish(x) = x * tanh(softplus(x)).
Result<int> Mish(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  int sp = l.b.Add(ExprOp::kSoftplus, {x}, {1.0, 20.0});
  return l.b.Add(ExprOp::kMul, {x, l.b.Add(ExprOp::kTanh, {sp})});
}

// dropout(input, p, train): the identity in evaluation or with p = 0; random otherwise.
Result<int> Dropout(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "input"));
  AKG_ASSIGN_OR_RETURN(double p, l.NumberOr(c, 1, "p", 0.5));
  const Json* train = l.Arg(c, 2, "train");
  bool training = train == nullptr || !train->is_boolean() || train->get<bool>();
  if (training && p != 0) {
    return UnsupportedError("the builtin model writes dropout only in evaluation or with p=0 "
                            "(training-mode dropout is random)");
  }
  return x;
}

Result<int> Hardtanh(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(double lo, l.NumberOr(c, 1, "min_val", -1.0));
  AKG_ASSIGN_OR_RETURN(double hi, l.NumberOr(c, 2, "max_val", 1.0));
  return Clamp(l, x, lo, hi);
}

Result<int> Relu6(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  return Clamp(l, x, 0.0, 6.0);
}

Result<int> ClampCall(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(std::optional<double> lo, l.Number(c, 1, "min"));
  AKG_ASSIGN_OR_RETURN(std::optional<double> hi, l.Number(c, 2, "max"));
  return Clamp(l, x, lo, hi);
}

// Keyed by the ATen operator name; every overload (.default, .Tensor, .Scalar) shares one.
const std::map<std::string, AtenHandler>& Handlers() {
  static const auto* handlers = new std::map<std::string, AtenHandler>{
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
      {"maximum", Binary(ExprOp::kMaximum)}, {"pow", Pow}, {"square", Square},
      {"leaky_relu", LeakyRelu}, {"gelu", Gelu}, {"elu", EluCall}, {"selu", Selu},
      {"celu", Celu}, {"softplus", Softplus}, {"mish", Mish}, {"dropout", Dropout}, {"hardtanh", Hardtanh}, {"relu6", Relu6},
      {"clamp", ClampCall},
  };
  return *handlers;
}

}  // namespace

int ExprBuilder::Add(ExprOp op, std::vector<int> args, std::vector<double> params, int input) {
  Key key{op, args, params, input};
  if (auto it = index_.find(key); it != index_.end()) return it->second;
  graph_->nodes.push_back({op, std::move(args), std::move(params), input});
  int id = static_cast<int>(graph_->nodes.size()) - 1;
  index_.emplace(std::move(key), id);
  return id;
}

const Json* Lowering::Arg(const AtenCall& call, size_t pos, const char* kw) const {
  const Json* v = nullptr;
  if (call.args->size() > pos) v = &(*call.args)[pos];
  else if (kw != nullptr && call.kwargs->contains(kw)) v = &(*call.kwargs)[kw];
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

Result<int> Lowering::Operand(const AtenCall& call, size_t pos, const char* kw) {
  const Json* v = Arg(call, pos, kw);
  if (v == nullptr) return InputError(call.target + " lacks its operand " + std::to_string(pos));
  if (v->is_object() && v->contains("node") && (*v)["node"].is_string()) {
    auto it = ids.find((*v)["node"].get<std::string>());
    if (it == ids.end()) return InputError(call.target + " uses an unknown node");
    return it->second;
  }
  if (v->is_number()) return b.Const(v->get<double>());
  return UnsupportedError("the builtin model cannot handle the argument " + v->dump() + " of " +
                          call.target + " (tensors and numbers only)");
}

Result<std::optional<double>> Lowering::Number(const AtenCall& call, size_t pos, const char* kw) {
  const Json* v = Arg(call, pos, kw);
  if (v == nullptr) return std::optional<double>();
  if (!v->is_number()) {
    return UnsupportedError("the builtin model cannot handle " + std::string(kw) + "=" +
                            v->dump() + " of " + call.target + " (numbers only)");
  }
  return std::optional<double>(v->get<double>());
}

Result<double> Lowering::NumberOr(const AtenCall& call, size_t pos, const char* kw,
                                  double fallback) {
  AKG_ASSIGN_OR_RETURN(std::optional<double> v, Number(call, pos, kw));
  return v.value_or(fallback);
}

const AtenHandler* FindAtenHandler(const std::string& name) {
  auto it = Handlers().find(name);
  return it == Handlers().end() ? nullptr : &it->second;
}

AtenCall MakeAtenCall(const OpNode& node) {
  static const Json kEmptyArray = Json::array();
  AtenCall call;
  call.target = node.target.empty() ? "?" : node.target;
  call.args = node.args.is_array() ? &node.args : &kEmptyArray;
  call.kwargs = &node.kwargs;
  if (call.target.rfind("aten.", 0) != 0) return call;
  std::string rest = call.target.substr(5);
  std::string name = rest.substr(0, rest.find('.'));
  if (!name.empty() && name.back() == '_' && name.front() != '_') name.pop_back();
  call.name = name;
  return call;
}

}  // namespace akg
