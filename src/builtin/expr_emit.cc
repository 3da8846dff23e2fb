#include "builtin/expr_emit.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

namespace akg {
namespace {

// One statement of a template: `suffix` empty for the node's own value, otherwise an
// auxiliary variable named <node name><suffix>. In `expr`, {0} and {1} are the operands,
// {p0}..{p2} the parameters and {t} the node's name. Every libm call sits in a statement of
// its own, outside any conditional, so GCC can vectorise it (simd "notinbranch").
struct Step {
  const char* suffix;
  const char* expr;
};
struct Templates {
  std::vector<Step> cpp;
  std::vector<Step> triton;
};

const std::map<ExprOp, Templates>& AllTemplates() {
  static const auto* t = new std::map<ExprOp, Templates>{
      {ExprOp::kNeg, {{{"", "-{0}"}}, {{"", "-{0}"}}}},
      {ExprOp::kAbs, {{{"", "__builtin_fabsf({0})"}}, {{"", "tl.abs({0})"}}}},
      {ExprOp::kExp, {{{"", "expf({0})"}}, {{"", "tl.exp({0})"}}}},
      {ExprOp::kLog, {{{"", "logf({0})"}}, {{"", "tl.log({0})"}}}},
      {ExprOp::kSqrt, {{{"", "__builtin_sqrtf({0})"}}, {{"", "tl.sqrt_rn({0})"}}}},
      {ExprOp::kRsqrt,
       {{{"", "1.0f / __builtin_sqrtf({0})"}}, {{"", "1.0 / tl.sqrt_rn({0})"}}}},
      {ExprOp::kReciprocal, {{{"", "1.0f / {0}"}}, {{"", "1.0 / {0}"}}}},
      // relu(NaN) is NaN in torch: the comparison is false for NaN and keeps x.
      {ExprOp::kRelu,
       {{{"", "{0} <= 0.0f ? 0.0f : {0}"}}, {{"", "tl.where({0} <= 0.0, 0.0, {0})"}}}},
      {ExprOp::kLeakyRelu,
       {{{"", "{0} > 0.0f ? {0} : {0} * {p0}"}},
        {{"", "tl.where({0} > 0.0, {0}, {0} * {p0})"}}}},
      {ExprOp::kSigmoid,
       {{{"e", "expf(-{0})"}, {"", "1.0f / (1.0f + {t}e)"}},
        {{"", "1.0 / (1.0 + tl.exp(-{0}))"}}}},
      {ExprOp::kTanh, {{{"", "tanhf({0})"}}, {{"", "_akg_tanh({0})"}}}},
      // torch's CPU gelu returns NaN for +-inf; adding (x - x), zero for finite x, keeps that.
      {ExprOp::kGelu,
       {{{"e", "erff({0} * 0.70710678118654752f)"},
         {"", "{0} * 0.5f * (1.0f + {t}e) + ({0} - {0})"}},
        {{"", "{0} * 0.5 * (1.0 + tl.math.erf({0} * 0.7071067811865476))"}}}},
      {ExprOp::kGeluTanh,
       {{{"e", "tanhf(0.79788456080286536f * ({0} + 0.044715f * ({0} * {0} * {0})))"},
         {"", "0.5f * {0} * (1.0f + {t}e)"}},
        {{"i", "0.7978845608028654 * ({0} + 0.044715 * ({0} * {0} * {0}))"},
         {"", "0.5 * {0} * (1.0 + _akg_tanh({t}i))"}}}},
      {ExprOp::kSilu,
       {{{"e", "expf(-{0})"}, {"", "{0} / (1.0f + {t}e)"}},
        {{"", "{0} / (1.0 + tl.exp(-{0}))"}}}},
      {ExprOp::kElu,
       {{{"e", "expm1f({0} * {p2})"}, {"", "{0} <= 0.0f ? {t}e * {p0} : {0} * {p1}"}},
        {{"e", "_akg_expm1({0} * {p2}) * {p0}"}, {"", "tl.where({0} <= 0.0, {t}e, {0} * {p1})"}}}},
      {ExprOp::kHardsigmoid,
       {{{"h", "{0} + 3.0f"}, {"c", "{t}h < 0.0f ? 0.0f : {t}h"},
         {"", "({t}c > 6.0f ? 6.0f : {t}c) / 6.0f"}},
        {{"h", "{0} + 3.0"}, {"c", "tl.where({t}h < 0.0, 0.0, {t}h)"},
         {"", "tl.where({t}c > 6.0, 6.0, {t}c) / 6.0"}}}},
      {ExprOp::kHardswish,
       {{{"h", "{0} + 3.0f"}, {"c", "{t}h < 0.0f ? 0.0f : {t}h"},
         {"", "{0} * ({t}c > 6.0f ? 6.0f : {t}c) / 6.0f"}},
        {{"h", "{0} + 3.0"}, {"c", "tl.where({t}h < 0.0, 0.0, {t}h)"},
         {"", "{0} * tl.where({t}c > 6.0, 6.0, {t}c) / 6.0"}}}},
      {ExprOp::kSoftplus,
       {{{"b", "{0} * {p0}"}, {"e", "expf({t}b)"}, {"l", "log1pf({t}e) / {p0}"},
         {"", "{t}b > {p1} ? {0} : {t}l"}},
        {{"b", "{0} * {p0}"}, {"l", "_akg_log1p(tl.exp({t}b)) / {p0}"},
         {"", "tl.where({t}b > {p1}, {0}, {t}l)"}}}},
      {ExprOp::kClampMin,
       {{{"", "{0} < {p0} ? {p0} : {0}"}}, {{"", "tl.where({0} < {p0}, {p0}, {0})"}}}},
      {ExprOp::kClampMax,
       {{{"", "{0} > {p0} ? {p0} : {0}"}}, {{"", "tl.where({0} > {p0}, {p0}, {0})"}}}},
      // min first, then max, as torch.clamp does (an empty range yields max).
      {ExprOp::kClamp,
       {{{"l", "{0} < {p0} ? {p0} : {0}"}, {"", "{t}l > {p1} ? {p1} : {t}l"}},
        {{"l", "tl.where({0} < {p0}, {p0}, {0})"}, {"", "tl.where({t}l > {p1}, {p1}, {t}l)"}}}},
      {ExprOp::kAdd, {{{"", "{0} + {1}"}}, {{"", "{0} + {1}"}}}},
      {ExprOp::kSub, {{{"", "{0} - {1}"}}, {{"", "{0} - {1}"}}}},
      {ExprOp::kMul, {{{"", "{0} * {1}"}}, {{"", "{0} * {1}"}}}},
      {ExprOp::kDiv, {{{"", "{0} / {1}"}}, {{"", "{0} / {1}"}}}},
      // torch.minimum/maximum propagate a NaN from either side.
      {ExprOp::kEq, {{{"", "({0} == {1} ? 1.0f : 0.0f)"}}, {{"", "tl.where({0} == {1}, 1.0, 0.0)"}}}},
      {ExprOp::kNe, {{{"", "({0} != {1} ? 1.0f : 0.0f)"}}, {{"", "tl.where({0} != {1}, 1.0, 0.0)"}}}},
      {ExprOp::kGe, {{{"", "({0} >= {1} ? 1.0f : 0.0f)"}}, {{"", "tl.where({0} >= {1}, 1.0, 0.0)"}}}},
      {ExprOp::kWhere, {{{"", "({0} != 0.0f ? {1} : {2})"}}, {{"", "tl.where({0} != 0.0, {1}, {2})"}}}},
      // Only inside a row launch, whose element loop variable is r.
      {ExprOp::kRowIndex, {{{"", "static_cast<float>(r)"}}, {{"", "r.to(tl.float32)"}}}},
      {ExprOp::kMinimum,
       {{{"", "{0} != {0} ? {0} : ({1} != {1} ? {1} : ({0} < {1} ? {0} : {1}))"}},
        {{"", "tl.where({0} != {0}, {0}, tl.where({1} != {1}, {1}, "
              "tl.where({0} < {1}, {0}, {1})))"}}}},
      {ExprOp::kMaximum,
       {{{"", "{0} != {0} ? {0} : ({1} != {1} ? {1} : ({0} > {1} ? {0} : {1}))"}},
        {{"", "tl.where({0} != {0}, {0}, tl.where({1} != {1}, {1}, "
              "tl.where({0} > {1}, {0}, {1})))"}}}},
  };
  return *t;
}

// Replaces {name} placeholders; unknown names stay as written.
std::string Fill(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    size_t close = text[i] == '{' ? text.find('}', i) : std::string::npos;
    auto it = close == std::string::npos ? values.end()
                                         : values.find(text.substr(i + 1, close - i - 1));
    if (it == values.end()) {
      out += text[i];
      continue;
    }
    out += it->second;
    i = close;
  }
  return out;
}

std::string ShortestRepr(double value) {
  std::string s = fmt::format("{}", value);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string CppFloatLiteral(double value) {
  if (std::isnan(value)) return "__builtin_nanf(\"\")";
  if (std::isinf(value)) return value > 0 ? "__builtin_inff()" : "(-__builtin_inff())";
  std::string s = ShortestRepr(value) + "f";
  return value < 0 || std::signbit(value) ? "(" + s + ")" : s;
}

std::string PyFloatLiteral(double value) {
  if (std::isnan(value)) return "float('nan')";
  if (std::isinf(value)) return value > 0 ? "float('inf')" : "float('-inf')";
  std::string s = ShortestRepr(value);
  return value < 0 || std::signbit(value) ? "(" + s + ")" : s;
}

std::string EmitNode(const ElementwiseGraph& graph, int id, EmitDsl dsl,
                     const std::map<int, std::string>& names, std::vector<std::string>* lines,
                     const std::string& prefix) {
  const bool cpp = dsl == EmitDsl::kCpp;
  const ExprNode& n = graph.nodes[id];
  std::string name = fmt::format("{}{}", prefix, id);
  std::map<std::string, std::string> values{{"t", name}};
  for (size_t i = 0; i < n.args.size(); ++i) values[std::to_string(i)] = names.at(n.args[i]);
  for (size_t i = 0; i < n.params.size(); ++i) {
    values["p" + std::to_string(i)] =
        cpp ? CppFloatLiteral(n.params[i]) : PyFloatLiteral(n.params[i]);
  }
  const Templates& templates = AllTemplates().at(n.op);
  for (const Step& step : cpp ? templates.cpp : templates.triton) {
    std::string var = name + step.suffix;
    std::string expr = Fill(step.expr, values);
    lines->push_back(cpp ? "const float " + var + " = " + expr + ";" : var + " = " + expr);
  }
  return name;
}

EmittedExpr EmitExpression(const ElementwiseGraph& graph, EmitDsl dsl,
                           const std::function<std::string(int)>& input_name) {
  const bool cpp = dsl == EmitDsl::kCpp;
  std::map<int, std::string> names;  // node id -> variable or literal
  EmittedExpr out;
  for (int id : graph.LiveNodes()) {
    const ExprNode& n = graph.nodes[id];
    if (n.op == ExprOp::kInput) {
      names[id] = input_name(n.input);
      continue;
    }
    if (n.op == ExprOp::kConst) {
      names[id] = cpp ? CppFloatLiteral(n.params[0]) : PyFloatLiteral(n.params[0]);
      continue;
    }
    names[id] = EmitNode(graph, id, dsl, names, &out.lines);
  }
  out.result = names[graph.output];
  return out;
}

}  // namespace akg
