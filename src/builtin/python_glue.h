// Host-side Python shared by the cpp and triton_cuda candidates: the forward signature and
// `_plan`, which broadcasts the operands at run time and flattens them to kGlueRank dims.
// See kernel_gen.h for the map of the area.
#pragma once

#include <string>
#include <vector>

#include "builtin/elementwise_ir.h"

namespace akg {

// Dims the kernels index; the glue merges and pads every problem to exactly this many.
inline constexpr int kGlueRank = 4;

// Python names of forward's parameters, one per forward argument: the task's own names where
// they are safe identifiers, otherwise arg<k>.
std::vector<std::string> ForwardParamNames(const ElementwiseGraph& graph);
std::vector<std::string> ForwardParamNames(const std::vector<TensorArg>& inputs);

// Python source of `_contiguous_strides`, `_coalesce` and `_plan(operands, shape)`, which
// returns (views, sizes, strides): the operands expanded to `shape` (views, no copies), the
// kGlueRank sizes and one kGlueRank-long element-stride list per operand. An operand is
// copied (made contiguous) only when its layout leaves more than kGlueRank unmergeable dims.
std::string PlanHelpersSource();

// The ModelNew class whose forward passes the used arguments to `_launch([...])`.
std::string ModelNewSource(const ElementwiseGraph& graph);

// A module docstring line block: the expression and the argument names.
std::string DocstringSource(const ElementwiseGraph& graph, const std::string& what);

}  // namespace akg
