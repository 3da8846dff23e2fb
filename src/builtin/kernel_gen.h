// The builtin offline model: deterministic agents that write kernels from the task's typed
// graph (task/op_graph.h), with no LLM.
//
//   OpGraph ──ParseElementwiseGraph (elementwise_ir; elementwise_parse walks the graph,
//       aten_lowering turns each ATen call into ExprNodes)──▶ ElementwiseGraph, when the task
//       is a pure elementwise chain over its arguments:
//     ElementwiseGraph + tunables (tunables) ──EmitExpression (expr_emit)──▶ straight-line code
//       ├─ cpp_codegen:    C++ kernel (OpenMP rows x tiles, omp simd, libmvec) + ctypes launch
//       └─ triton_codegen: @triton.jit kernels on a 1-D grid + launch
//     both wrapped by python_glue: ModelNew, run-time broadcasting, coalescing to 4 dims
//   anything else ──PlanProgram (plan.h: plan_lowering, plan)──▶ KernelProgram (launches:
//       pointwise, row = reduce/normalize/scan, matmul + epilogue) ──plan_triton / plan_cpp /
//       plan_cuda (+ plan_glue, plan_tunables)──▶ a candidate (cuda: every task takes this path)
//   BuiltinDesigner (designer) sketches either; BuiltinKernelGen (this file) dispatches on the
//   graph and Target::dsl and falls back to a conservative variant when an earlier attempt
//   failed. intent.h turns a sentence into a task file.
#pragma once

#include <string>

#include "agents/agents.h"
#include "core/status.h"

namespace akg {

// OK when the builtin model writes kernels in `dsl` ("cpp", "triton_cuda", "cuda"); otherwise an
// UnsupportedError that names the DSL.
Status CheckBuiltinDsl(const std::string& dsl);

class BuiltinKernelGen : public KernelGen {
 public:
  // Reads the tunables from request.design->hints when they are for this DSL, else defaults;
  // with request.parent (a search), from the parent's hints. With request.seed != 0 the
  // tunables vary deterministically with the seed: one seed in three first takes a parameter
  // from the fastest passed inspiration that beats the parent, then one or two parameters
  // are mutated (tunables.h). The conservative variant (and no variation) follows a failure:
  // request.history non-empty without a parent, or a parent that did not pass.
  // Candidate::hints holds the tunables used; the description says what changed. Stateless,
  // so safe to call from several threads at once.
  Result<Candidate> Generate(const GenRequest& request) override;
};

}  // namespace akg
