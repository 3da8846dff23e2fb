// The triton_cuda DSL backend of the builtin model: a candidate Python file whose @triton.jit
// kernels (1-D grid) evaluate a fused ElementwiseGraph in fp32 for float32/float16/bfloat16
// tensors of any shape, also under TRITON_INTERPRET=1 on CPU tensors. Same-shape contiguous
// operands take a linear kernel with the fewest arguments (cheapest launch); any other layout
// takes a strided kernel over the broadcast output. See kernel_gen.h for the map.
#pragma once

#include <string>

#include "builtin/elementwise_ir.h"
#include "builtin/tunables.h"

namespace akg {

struct TritonCodegenOptions {
  TritonTunables tunables;
  // The fallback after a failed attempt: every operand takes the general strided path
  // (no contiguous fast path), and BLOCK is capped at 256.
  bool conservative = false;
};

std::string GenerateTritonCandidate(const ElementwiseGraph& graph,
                                    const TritonCodegenOptions& options);

// The @triton.jit helpers the expression templates call (_akg_expm1, _akg_log1p, _akg_tanh):
// accurate forms from tl.exp and tl.log, so code runs compiled and under the interpreter.
// Shared with the plan emitter (plan_triton).
const char* TritonMathHelpersSource();

}  // namespace akg
