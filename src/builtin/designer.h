// BuiltinDesigner: the builtin model's design phase. It parses the task's graph, and writes a
// Markdown sketch (fused expression, memory traffic against eager, parallel mapping,
// vectorisation, tunables and why) plus hints JSON that BuiltinKernelGen reads back:
//   {"builtin": "elementwise", "dsl": "cpp", "tunables": {...}, "expression": "...",
//    "fused_bytes": N, "eager_bytes": M, "eager_kernels": K}
// See kernel_gen.h for the map of the area.
#pragma once

#include "agents/agents.h"
#include "core/status.h"

namespace akg {

class BuiltinDesigner : public KernelDesigner {
 public:
  // Fails with kUnsupported for a DSL or task the builtin model cannot handle.
  Result<Design> MakeDesign(const DesignRequest& request) override;
};

}  // namespace akg
