#include "builtin/designer.h"

#include <map>

#include <fmt/format.h>

#include "builtin/cpp_codegen.h"
#include "builtin/elementwise_ir.h"
#include "builtin/kernel_gen.h"
#include "builtin/plan.h"
#include "builtin/plan_tunables.h"
#include "builtin/tunables.h"

namespace akg {
namespace {

std::string Mib(int64_t bytes) { return fmt::format("{:.1f} MiB", bytes / 1048576.0); }

std::string OperandTable(const ElementwiseGraph& g) {
  std::string s = "| operand | shape (at inspect) | dtype |\n|---|---|---|\n";
  for (int k : g.UsedInputs()) {
    s += "| " + g.inputs[k].name + " | " + ShapeText(g.inputs[k].shape) + " | " +
         g.inputs[k].dtype + " |\n";
  }
  return s + "| out | " + ShapeText(g.output_shape) + " | " + g.output_dtype + " |\n";
}

std::string TrafficSection(const GraphTraffic& eager,
                           int64_t fused_read, int64_t fused_written) {
  int64_t fused = fused_read + fused_written;
  int64_t unfused = eager.eager_bytes_read + eager.eager_bytes_written;
  std::string s = "## Memory traffic\n\n";
  s += fmt::format("- Fused: 1 kernel reads {} and writes {} ({} in all).\n", Mib(fused_read),
                   Mib(fused_written), Mib(fused));
  s += fmt::format("- Eager: {} kernels read {} and write {} ({} in all), counting each ATen call "
                   "as a kernel that reads its tensor operands and writes its result.\n",
                   eager.eager_kernels, Mib(eager.eager_bytes_read), Mib(eager.eager_bytes_written),
                   Mib(unfused));
  if (fused > 0 && unfused > 0) {
    s += fmt::format("- Fusion moves {:.2f}x fewer bytes. Elementwise chains are bound by memory "
                     "bandwidth, so this ratio is roughly the best speedup to expect.\n",
                     static_cast<double>(unfused) / fused);
  }
  return s + "\n";
}

std::string CppSections(const ElementwiseGraph& g, const CppTunables& t) {
  std::string threads = t.num_threads > 0 ? std::to_string(t.num_threads) : "all cores";
  std::string calls;
  for (const std::string& f : CppVectorMathCalls(g)) calls += (calls.empty() ? "" : ", ") + f;
  std::string math = calls.empty()
      ? "The expression needs no libm call, so the loop is plain vector arithmetic and blends."
      : "Its libm calls (" + calls + ") are declared `simd(\"notinbranch\")`, so GCC calls "
        "glibc's libmvec vector variants; each call sits outside any conditional.";
  return fmt::format(
      "## Parallel mapping\n\n"
      "The Python glue broadcasts the operands at run time (expanded views, no copies), merges "
      "neighbouring dims that are contiguous for every operand and pads to 4 dims, so any "
      "shape works. The kernel runs OpenMP over (row, tile) work items: a row is an index of "
      "the first three dims, a tile {0} elements of the last; rows x tiles gives every thread "
      "work even when the whole tensor coalesces to one long row.\n\n"
      "## Vectorisation\n\n"
      "Per tile each operand is read in place (unit stride), splatted (stride 0: broadcast) or "
      "gathered into an L1 buffer, so one `#pragma omp simd` loop evaluates the whole "
      "expression on unit-stride data. {3} No fast-math and no FMA contraction: NaN, Inf "
      "and rounding follow eager PyTorch.\n\n"
      "## Tunables\n\n"
      "- tile = {0}: 4 KiB per operand at 1024, so the staging buffers stay in L1 while a "
      "work item is long enough to amortise its index arithmetic.\n"
      "- schedule = {1}: every work item costs the same, so static chunks keep each thread on "
      "a contiguous range of memory.\n"
      "- threads = {2}: the chain is bandwidth-bound and all cores share it.\n",
      t.tile, t.schedule, threads, math);
}

std::string TritonSections(const TritonTunables& t) {
  return fmt::format(
      "## Parallel mapping\n\n"
      "A 1-D grid of cdiv(numel, BLOCK) programs over the contiguous output. When every "
      "operand has the output's shape and is contiguous, a linear kernel with the fewest "
      "arguments runs (launch overhead counts for sub-millisecond kernels). Otherwise the "
      "Python glue broadcasts and coalesces the operands to 4 dims at run time; an operand "
      "contiguous with the output (constexpr flag FULL<k>) is read at the linear offset, any "
      "other through the 4-d index and its runtime strides (stride 0 = broadcast), in 32-bit "
      "index arithmetic unless an offset can reach 2**31.\n\n"
      "## Vectorisation\n\n"
      "Loads are cast to fp32, the expression is evaluated in fp32 registers (tanh, expm1 "
      "and log1p written with tl.exp/tl.log in accurate forms, no libdevice) and the result "
      "is cast to the output dtype on store; contiguous loads and the store coalesce.\n\n"
      "## Tunables\n\n"
      "- BLOCK = {0}, num_warps = {1}: {2}\n",
      t.block, t.num_warps,
      t.block >= 1024 ? "enough bytes in flight per program for a bandwidth-bound kernel."
                      : "a small output needs more programs to occupy the SMs.");
}

// The sketch of a kernel-plan design, rendered from the plan: one section per launch.
Design PlanDesign(const KernelProgram& p, const OpGraph& graph, const std::string& dsl) {
  GraphTraffic t = graph.Traffic();
  std::string s = "# Builtin design: kernel plans (" + dsl + ")\n\n";
  s += fmt::format("{} launch{} instead of eager's {} ATen calls.\n\n", p.launches.size(),
                   p.launches.size() == 1 ? "" : "es", t.eager_kernels);
  s += fmt::format("- Work: {:.3g} GFLOP in matrix products; at least {} moved (every input, "
                   "parameter and output once); eager moves {}.\n\n",
                   t.flops / 1e9, Mib(t.min_bytes), Mib(t.eager_bytes_read + t.eager_bytes_written));
  for (size_t k = 0; k < p.launches.size(); ++k) {
    const Launch& l = p.launches[k];
    s += fmt::format("## Launch {}: {}\n\n{}\n\n", k, PlanKindName(l.kind), DescribeLaunch(l));
    if (dsl == "cuda" && (l.kind == PlanKind::kRow || l.kind == PlanKind::kPointwise)) {
      s += l.kind == PlanKind::kPointwise
               ? "CUDA C: a grid-stride loop over the output, four elements per thread through "
                 "float4 loads and stores when every operand is unit-stride or broadcast along "
                 "the last dim and the rows are 16-byte aligned.\n\n"
               : "CUDA C: the domain is seen as [outer, row, inner]. A contiguous row (inner 1, "
                 "64 or more long) is one block's: its threads stride over it (float4 where the "
                 "operands allow), each reduction stage ends in warp shuffles and one shared-"
                 "memory step, a scan runs in chunked block scans. A one-stage reduction of few "
                 "long rows is split over (part, row) blocks and finished by one block per row; "
                 "anything else (a reduction over a middle dim, short rows) is one thread per "
                 "row, neighbouring threads reading neighbouring columns. float32 "
                 "accumulation; max/min propagate NaN and argmax/argmin take the first index, "
                 "as torch does.\n\n";
    } else if (l.kind == PlanKind::kRow || l.kind == PlanKind::kPointwise) {
      s += "The domain is seen as [outer, row, inner] (row = the reduced dims); each program "
           "takes a tile of rows. A row that fits one tile stays in registers (one read, one "
           "write); a longer one is looped once per reduction stage. A one-stage reduction to "
           "few rows is split along the row and finished by a second launch. Accumulation is "
           "float32; max/min propagate NaN and argmax/argmin take the first index, as torch "
           "does.\n\n";
    } else if (l.kind == PlanKind::kPool) {
      s += "One program per block of output elements; each gathers its window's taps through "
           "the input's strides (padding masked: -inf for max, zeros for average), max keeps "
           "NaN, averages sum in float32 and divide by torch's divisor; the epilogue runs before "
           "the one store.\n\n";
    } else if (l.kind == PlanKind::kConv) {
      s += "Implicit GEMM per group: M = batch x output positions, N = output channels, K = "
           "input channels x kernel taps; A's tiles gathered from the input through its strides "
           "(padding, and for a transposed convolution the positions no input reaches, masked), "
           "float32 accumulation without TF32, the epilogue (bias, activations) before the one "
           "store.\n\n";
    } else {
      s += "Tiled matrix product over [batch, M, N] with float32 accumulation (float32 operands "
           "stay float32: no TF32), operands read through their strides (transposes are free), "
           "the epilogue applied to the accumulator before the one store.\n\n";
    }
  }
  Design d;
  d.sketch = s;
  d.hints = {{"builtin", "plan"}, {"dsl", dsl}, {"tunables", ToJson(DefaultPlanTunables(p))},
             {"launches", p.launches.size()}, {"min_bytes", t.min_bytes}, {"flops", t.flops},
             {"eager_kernels", t.eager_kernels}};
  return d;
}

}  // namespace

Result<Design> BuiltinDesigner::MakeDesign(const DesignRequest& request) {
  if (request.task == nullptr) return InternalError("KernelDesigner called without a task");
  const std::string& dsl = request.target.dsl;
  AKG_RETURN_IF_ERROR(CheckBuiltinDsl(dsl));
  OpGraphPtr graph = GraphOf(*request.task);
  // cuda writes every task as kernel plans (as BuiltinKernelGen does).
  Result<ElementwiseGraph> parsed = dsl == "cuda" ? Result<ElementwiseGraph>(UnsupportedError("plans"))
                                                  : ParseElementwiseGraph(*graph);
  if (!parsed.ok()) {
    if (parsed.status().kind() != ErrorKind::kUnsupported) return parsed.status();
    AKG_ASSIGN_OR_RETURN(KernelProgram program, PlanProgram(*graph));
    return PlanDesign(program, *graph, dsl);
  }
  const ElementwiseGraph& g = *parsed;
  int64_t fused_read = 0;
  for (int k : g.UsedInputs()) {
    fused_read += NumElements(g.inputs[k].shape) * DtypeBytes(g.inputs[k].dtype);
  }
  int64_t numel = NumElements(g.output_shape);
  int64_t fused_written = numel * DtypeBytes(g.output_dtype);
  GraphTraffic eager = graph->Traffic();
  std::string expression = FormatExpression(g);
  Design design;
  design.sketch = "# Builtin design: fused elementwise kernel (" + dsl + ")\n\n" +
                  "`out = " + expression + "`\n\n" + OperandTable(g) + "\n" +
                  TrafficSection(eager, fused_read, fused_written);
  Json tunables;
  if (dsl == "cpp") {
    CppTunables t = DefaultCppTunables(numel);
    design.sketch += CppSections(g, t);
    tunables = ToJson(t);
  } else {
    TritonTunables t = DefaultTritonTunables(numel);
    design.sketch += TritonSections(t);
    tunables = ToJson(t);
  }
  design.hints = {{"builtin", "elementwise"}, {"dsl", dsl}, {"tunables", tunables},
                  {"expression", expression}, {"fused_bytes", fused_read + fused_written},
                  {"eager_bytes", eager.eager_bytes_read + eager.eager_bytes_written},
                  {"eager_kernels", eager.eager_kernels}};
  return design;
}

}  // namespace akg
