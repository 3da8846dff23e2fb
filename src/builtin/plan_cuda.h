// The builtin model's CUDA C emitter of kernel plans (plan.h), beside plan_triton and plan_cpp:
//
//   KernelProgram ──EmitCudaProgram (plan_cuda.cc: program, row and pointwise kernels)──▶
//       CUDA_SOURCE (one string: kernels + extern "C" host launchers, nvcc through load_cuda at
//       import) + ctypes launchers + plan_glue's ModelNew
//   Matmul and Pool launches: plan_cuda_anchor.cc (shared-memory tiled FMA matmul with its
//   epilogue; one thread per pooled output)
//
// Conv launches are declined with a reason naming the plan (UnsupportedError), never a stub.
#pragma once

#include <string>

#include "builtin/plan_emit.h"

namespace akg {

Result<std::string> EmitCudaProgram(const KernelProgram& program, const PlanEmitOptions& o);

// ---- plan_cuda_anchor.cc ----------------------------------------------------------------------

// A Matmul launch's kernels and host launcher `akg_launch<k>`, and its Python `_launch<k>`.
std::string MatmulCudaSource(const Launch& l, size_t k, const Json& tunables, bool conservative);
std::string MatmulCudaLauncher(const Launch& l, size_t k);
// A Pool launch's kernel and host launcher, and its Python launcher (plan_pool's _pool_shape).
std::string PoolCudaSource(const Launch& l, size_t k, const Json& tunables);
std::string PoolCudaLauncher(const Launch& l, size_t k);

}  // namespace akg
