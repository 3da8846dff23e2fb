// Straight-line code for an ElementwiseGraph in C++ or Triton: one statement per live node
// (so shared subexpressions are computed once), each operation written from a per-DSL
// template that reproduces PyTorch's formula and NaN/Inf behaviour. Used by cpp_codegen and
// triton_codegen; see kernel_gen.h for the map of the area.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "builtin/elementwise_ir.h"

namespace akg {

enum class EmitDsl { kCpp, kTriton };

struct EmittedExpr {
  std::vector<std::string> lines;  // C++: "const float t3 = ...;"  Triton: "t3 = ..."
  std::string result;              // the variable (or literal) holding the output value
};

// `input_name(k)` names the variable that holds forward argument k's value.
EmittedExpr EmitExpression(const ElementwiseGraph& graph, EmitDsl dsl,
                           const std::function<std::string(int)>& input_name);

// The statements of one operation node (not an input, constant or plan-only node), given the
// names of its operands in `names`; appends to `lines` and returns the node's variable.
// `prefix` starts the variable's name ("t" gives t<id>).
std::string EmitNode(const ElementwiseGraph& graph, int id, EmitDsl dsl,
                     const std::map<int, std::string>& names, std::vector<std::string>* lines,
                     const std::string& prefix = "t");

// A float32 constant as a C++ literal ("2.0f", "(-0.5f)", "__builtin_inff()").
std::string CppFloatLiteral(double value);
// A constant as a Python float literal ("2.0", "(-0.5)").
std::string PyFloatLiteral(double value);

}  // namespace akg
