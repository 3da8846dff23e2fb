// BuiltinDesigner: the builtin model's design phase. It parses the task's graph, and writes a
// Markdown sketch (fused expression, memory traffic against eager, parallel mapping,
// vectorisation, tunables and why) plus hints JSON that BuiltinKernelGen reads back:
//   {"builtin": "elementwise", "dsl": "cpp", "tunables": {...}, "expression": "...",
//    "fused_bytes": N, "eager_bytes": M, "eager_kernels": K}
// See kernel_gen.h for the map of the area.
#pragma once

#include <cstdint>

#include "agents/agents.h"
#include "core/status.h"

namespace akg {

// Bytes an unfused eager run moves: each ATen call is one kernel that reads its tensor
// operands and writes its result (shapes and dtypes from the graph's metadata).
struct EagerTraffic {
  int kernels = 0;
  int64_t bytes_read = 0;
  int64_t bytes_written = 0;
};
EagerTraffic EstimateEagerTraffic(const Json& inspection);

class BuiltinDesigner : public KernelDesigner {
 public:
  // Fails with kUnsupported for a DSL or task the builtin model cannot handle.
  Result<Design> MakeDesign(const DesignRequest& request) override;
};

}  // namespace akg
