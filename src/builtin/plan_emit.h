// Emitters of kernel plans (plan.h): one per DSL, with the Python glue they share.
//
//   KernelProgram ──EmitTritonProgram (plan_triton)──▶ @triton.jit kernels per launch
//                 ──EmitCppProgram (plan_cpp)──────▶ C++/OpenMP kernels per launch
//   both: plan_glue's ModelNew (the reference's __init__, so the same parameters; forward runs
//   the launches in order), `_rows` (an operand as [outer, R, inner] strides over a row
//   plan's domain) and `_mm_views` (a matmul's operands as 3-d views).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "builtin/plan.h"
#include "core/json.h"
#include "core/status.h"

namespace akg {

struct PlanEmitOptions {
  std::string task_source;   // the task file: ModelNew's __init__ is its Model's
  bool conservative = false; // after a failure: the plainest variant of every launch
  Json tunables;             // {"launches": [{name: value}, ...]}; missing = defaults
};

Result<std::string> EmitTritonProgram(const KernelProgram& program, const PlanEmitOptions& o);
Result<std::string> EmitCppProgram(const KernelProgram& program, const PlanEmitOptions& o);

// ---- shared by the emitters (plan_glue.cc) ----------------------------------------------------

// The class ModelNew: __init__ is the task's Model.__init__ (its signature and body) when the
// program reads parameters or buffers, else it takes any arguments; forward calls
// `_launch<k>([...operands])` in order and returns the last value.
Result<std::string> ProgramModelSource(const KernelProgram& program,
                                       const std::string& task_source);

// Python: `_prod`, `_rows(t, shape, b, e)` and `_mm_views(ops)` (see the top of this file).
std::string ProgramHelpersSource();

// Where each node of a row launch is evaluated.
struct RowSchedule {
  std::vector<bool> row_level;     // per expr node: a per-row value (a reduction of, or a
                                   // function of reductions and constants); else per element
  std::vector<int> stage;          // per node: reductions it depends on, nested (0: none)
  std::vector<int> live;           // live nodes in topological order
  int stages = 0;
  bool has_arg_reduce = false;     // argmax / argmin
  bool has_scan = false;           // cumsum / cumprod: evaluated in the output pass, in order
  bool scan_reverse = false;       // the output pass runs from the row's end
  std::string error;               // why the emitters cannot schedule it ("" = they can)
};
RowSchedule ScheduleRow(const Launch& launch);

// The live nodes `root` needs, stopping at row-level nodes (which are computed already) and
// inputs (loads): what one pass over the row evaluates per element.
std::vector<int> ElementNodesFor(const Launch& launch, const RowSchedule& s,
                                 const std::vector<int>& roots);

// Python for a row launcher: the row's dims "b, e" (a pointwise launch picks them at run time,
// _pointwise_split) and the output's shape from `shape`, b and e.
std::string RowSplitSource(const Launch& l);
std::string RowOutShapeSource(const Launch& l);

// A kReduce or kScan node's combiner, and whether it returns an index.
inline ReduceCombiner CombinerOf(const ExprNode& n) {
  return static_cast<ReduceCombiner>(static_cast<int>(n.params[0]));
}
inline bool IsArg(ReduceCombiner c) {
  return c == ReduceCombiner::kArgMax || c == ReduceCombiner::kArgMin;
}

// The Pool plan's kernels (plan_pool.cc): Triton's kernel and launcher, C++'s function and
// launcher, and the `_pool_shape` helper both launchers call (once per program).
std::string PoolTritonKernel(const Launch& l, size_t k);
std::string PoolTritonLauncher(const Launch& l, size_t k, const Json& tunables);
std::string PoolCppFunction(const Launch& l, size_t k);
std::string PoolCppLauncher(const Launch& l, size_t k);
std::string PoolHelperSource();

// The Conv plan's kernels (plan_conv.cc) and the `_conv_shape` helper (once per program).
std::string ConvTritonKernel(const Launch& l, size_t k, const Json& tunables);
std::string ConvTritonLauncher(const Launch& l, size_t k, const Json& tunables, bool conservative);
std::string ConvCppFunction(const Launch& l, size_t k);
std::string ConvCppLauncher(const Launch& l, size_t k);
std::string ConvHelperSource();

// Lines of code at one indentation (`unit` spaces a level): the anchor emitters' builder.
struct EmitCode {
  std::string text;
  int unit = 4;
  void Line(int indent, const std::string& s) { text += std::string(unit * indent, ' ') + s + "\n"; }
};

// f(0) sep f(1) sep ... f(n-1).
template <typename F>
std::string JoinIndexed(int n, F f, const char* sep = ", ") {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? sep : "") + f(i);
  return s;
}

// An anchor launch's (pool, conv) epilogue: one statement per live node on `c` at `indent`,
// kAcc read as `acc`, each epilogue operand k by the statement `load(k)` naming it w<k>.
// Returns the result's expression.
std::string AnchorEpilogue(const Launch& l, bool cpp, EmitCode& c, int indent,
                           const std::function<std::string(int)>& load);

// A launch's tunable: tunables["launches"][k][name] when present (an integer), else `fallback`.
int LaunchTunable(const Json& tunables, size_t launch, const char* name, int fallback);

// The tile product of a matmul or conv kernel, `acc += A @ B`, at `indent`: with F32 (a
// constexpr: an operand is float32, or the two differ) both are widened to float32 and meet
// at the launch's "dot" tunable (ieee, tf32x3 or tf32; `fallback` when absent), else at the
// operands' own dtype (fp16/bf16 tensor cores, float32 accumulation).
void EmitTileDot(EmitCode& c, int indent, const Json& tunables, size_t launch,
                 const char* fallback);

}  // namespace akg
