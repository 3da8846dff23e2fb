// The triton_cuda DSL backend of the builtin model: a candidate Python file with one
// @triton.jit kernel over a 1-D grid that evaluates a fused ElementwiseGraph in fp32 for
// float32/float16/bfloat16 tensors of any shape (also under TRITON_INTERPRET=1 on CPU
// tensors). See kernel_gen.h for the map.
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

}  // namespace akg
