// The cpp DSL backend of the builtin model: a candidate Python file whose C++ kernel
// (compiled through akg_harness.native.load_cpp, called through ctypes) evaluates a fused
// ElementwiseGraph on float32 CPU tensors of any shape. See kernel_gen.h for the map.
#pragma once

#include <string>
#include <vector>

#include "builtin/elementwise_ir.h"
#include "builtin/tunables.h"
#include "core/status.h"

namespace akg {

struct CppCodegenOptions {
  CppTunables tunables;
  // The fallback after a failed attempt: plain scalar loops over rows, every operand read
  // through its strides, libm called without vector variants.
  bool conservative = false;
};

// The libm functions the fast kernel calls through libmvec's vector variants ("expf", ...).
std::vector<std::string> CppVectorMathCalls(const ElementwiseGraph& graph);

// The C++ translation unit alone (exports `akg_fused_elementwise`).
std::string CppKernelSource(const ElementwiseGraph& graph, const CppCodegenOptions& options);

// The whole candidate file. Fails (kUnsupported) for tensors other than float32.
Result<std::string> GenerateCppCandidate(const ElementwiseGraph& graph,
                                         const CppCodegenOptions& options);

}  // namespace akg
