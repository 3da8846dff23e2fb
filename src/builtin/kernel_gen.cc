#include "builtin/kernel_gen.h"

#include <fmt/format.h>

#include "builtin/cpp_codegen.h"
#include "builtin/elementwise_ir.h"
#include "builtin/triton_codegen.h"
#include "builtin/tunables.h"

namespace akg {
namespace {

// The tunables object in the design's hints, or nullptr when the hints are for another DSL
// (or there is no design).
const Json* TunableHints(const GenRequest& request) {
  if (request.design == nullptr) return nullptr;
  const Json& hints = request.design->hints;
  if (!hints.is_object() || hints.value("dsl", std::string()) != request.target.dsl ||
      !hints.contains("tunables")) {
    return nullptr;
  }
  return &hints["tunables"];
}

std::string FallbackReason(const GenRequest& request) {
  const Feedback& last = request.history.back();
  return "conservative variant after " + (last.verdict.empty() ? "a failure" : last.verdict);
}

Result<Candidate> GenerateCpp(const GenRequest& request, const ElementwiseGraph& graph) {
  CppCodegenOptions options;
  options.tunables = DefaultCppTunables(NumElements(graph.output_shape));
  if (const Json* hints = TunableHints(request)) {
    AKG_ASSIGN_OR_RETURN(options.tunables, CppTunablesFromJson(*hints));
  }
  options.conservative = !request.history.empty();
  AKG_ASSIGN_OR_RETURN(std::string code, GenerateCppCandidate(graph, options));
  const CppTunables& t = options.tunables;
  std::string threads = t.num_threads > 0 ? std::to_string(t.num_threads) : "all";
  std::string how = options.conservative
                        ? FallbackReason(request) + ": scalar loops over rows, strided reads, "
                                                    "scalar libm"
                        : fmt::format("OpenMP over rows x {}-element tiles ({}, {} threads), "
                                      "omp simd with libmvec", t.tile, t.schedule, threads);
  return Candidate{std::move(code),
                   "builtin fused elementwise C++ kernel for " + FormatExpression(graph) +
                       "; " + how};
}

Result<Candidate> GenerateTriton(const GenRequest& request, const ElementwiseGraph& graph) {
  TritonCodegenOptions options;
  options.tunables = DefaultTritonTunables(NumElements(graph.output_shape));
  if (const Json* hints = TunableHints(request)) {
    AKG_ASSIGN_OR_RETURN(options.tunables, TritonTunablesFromJson(*hints));
  }
  options.conservative = !request.history.empty();
  const TritonTunables& t = options.tunables;
  std::string how = options.conservative
                        ? FallbackReason(request) + ": all operands through the strided path, "
                                                    "BLOCK <= 256"
                        : fmt::format("BLOCK {}, {} warps, contiguous operands read linearly",
                                      t.block, t.num_warps);
  return Candidate{GenerateTritonCandidate(graph, options),
                   "builtin fused elementwise Triton kernel for " + FormatExpression(graph) +
                       "; " + how};
}

}  // namespace

Status CheckBuiltinDsl(const std::string& dsl) {
  if (dsl == "cpp" || dsl == "triton_cuda") return Status::Ok();
  return UnsupportedError("the builtin model writes kernels only in the cpp and triton_cuda "
                          "DSLs, not " + dsl);
}

Result<Candidate> BuiltinKernelGen::Generate(const GenRequest& request) {
  if (request.task == nullptr) return InternalError("KernelGen called without a task");
  AKG_RETURN_IF_ERROR(CheckBuiltinDsl(request.target.dsl));
  AKG_ASSIGN_OR_RETURN(ElementwiseGraph graph, ParseElementwiseGraph(request.task->inspection));
  if (request.target.dsl == "cpp") return GenerateCpp(request, graph);
  return GenerateTriton(request, graph);
}

}  // namespace akg
