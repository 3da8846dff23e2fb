#include "builtin/kernel_gen.h"

#include <fmt/format.h>

#include "builtin/cpp_codegen.h"
#include "builtin/elementwise_ir.h"
#include "builtin/plan.h"
#include "builtin/plan_cuda.h"
#include "builtin/plan_emit.h"
#include "builtin/plan_tunables.h"
#include "builtin/triton_codegen.h"
#include "builtin/tunables.h"
#include "search/rng.h"

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
  if (request.history.empty()) return "conservative variant of failed parent " + request.parent->id;
  const Feedback& last = request.history.back();
  return "conservative variant after " + (last.verdict.empty() ? "a failure" : last.verdict);
}

// Without a parent, the conservative variant follows a failure fed back; with one, it
// follows a parent that failed (a passed parent is mutated, whatever else failed).
bool Conservative(const GenRequest& request) {
  if (request.parent == nullptr) return !request.history.empty();
  return request.parent->verdict != "passed";
}

// The passed inspiration faster than the parent (or than nothing), the fastest first.
const ScoredKernel* BestDonor(const GenRequest& request) {
  double floor = request.parent ? request.parent->speedup_vs_eager : 0;
  const ScoredKernel* best = nullptr;
  for (const auto& k : request.inspirations) {
    if (k.verdict == "passed" && k.hints.is_object() && k.speedup_vs_eager > floor &&
        (best == nullptr || k.speedup_vs_eager > best->speedup_vs_eager)) {
      best = &k;
    }
  }
  return best;
}

// The tunables for this request: defaults, the design's hints, or the parent's; then, with a
// seed, a crossover with a faster inspiration (one seed in three) and a mutation. `change`
// says what varied.
template <typename T, typename FromJson>
Result<T> ChooseTunables(const GenRequest& request, T base, FromJson from_json,
                         std::string* change) {
  if (const Json* hints = TunableHints(request)) {
    AKG_ASSIGN_OR_RETURN(base, from_json(*hints));
  }
  if (request.parent != nullptr && request.parent->hints.is_object()) {
    AKG_ASSIGN_OR_RETURN(base, from_json(request.parent->hints));
  }
  if (request.seed == 0 || Conservative(request)) return base;
  std::string what;
  const ScoredKernel* donor = BestDonor(request);
  if (donor != nullptr && MixSeed(request.seed) % 3 == 0) {
    auto d = from_json(donor->hints);
    if (d.ok()) {
      std::string crossed;
      base = CrossTunables(base, *d, request.seed, &crossed);
      what += "took " + crossed + " from " + donor->id + "; ";
    }
  }
  std::string mutated;
  base = MutateTunables(base, request.seed, &mutated);
  what += "mutated " + mutated;
  *change = (request.parent ? "variant of " + request.parent->id + ": " : "variant: ") + what;
  return base;
}

std::string WithChange(std::string description, const std::string& change) {
  return change.empty() ? description : description + " [" + change + "]";
}

Result<Candidate> GenerateCpp(const GenRequest& request, const ElementwiseGraph& graph) {
  CppCodegenOptions options;
  std::string change;
  AKG_ASSIGN_OR_RETURN(options.tunables,
                       ChooseTunables(request, DefaultCppTunables(NumElements(graph.output_shape)),
                                      CppTunablesFromJson, &change));
  options.conservative = Conservative(request);
  AKG_ASSIGN_OR_RETURN(std::string code, GenerateCppCandidate(graph, options));
  const CppTunables& t = options.tunables;
  std::string threads = t.num_threads > 0 ? std::to_string(t.num_threads) : "all";
  std::string how = options.conservative
                        ? FallbackReason(request) + ": scalar loops over rows, strided reads, "
                                                    "scalar libm"
                        : fmt::format("OpenMP over rows x {}-element tiles ({}, {} threads), "
                                      "omp simd with libmvec", t.tile, t.schedule, threads);
  return Candidate{std::move(code),
                   WithChange("builtin fused elementwise C++ kernel for " +
                                  FormatExpression(graph) + "; " + how, change),
                   ToJson(t)};
}

Result<Candidate> GenerateTriton(const GenRequest& request, const ElementwiseGraph& graph) {
  TritonCodegenOptions options;
  std::string change;
  AKG_ASSIGN_OR_RETURN(options.tunables,
                       ChooseTunables(request,
                                      DefaultTritonTunables(NumElements(graph.output_shape)),
                                      TritonTunablesFromJson, &change));
  options.conservative = Conservative(request);
  const TritonTunables& t = options.tunables;
  std::string how = options.conservative
                        ? FallbackReason(request) + ": all operands through the strided path, "
                                                    "BLOCK <= 256"
                        : fmt::format("BLOCK {}, {} warps, contiguous operands read linearly",
                                      t.block, t.num_warps);
  return Candidate{GenerateTritonCandidate(graph, options),
                   WithChange("builtin fused elementwise Triton kernel for " +
                                  FormatExpression(graph) + "; " + how, change),
                   ToJson(t)};
}

// A kernel-plan candidate: the tunables from the design, the parent or defaults, mutated
// with a seed (plan_tunables), the conservative variant after a failure.
Result<Candidate> GeneratePlan(const GenRequest& request, const KernelProgram& program) {
  PlanEmitOptions options;
  options.task_source = request.task->source;
  options.conservative = Conservative(request);
  std::string change;
  AKG_ASSIGN_OR_RETURN(PlanTunables tunables,
                       ChooseTunables(request, DefaultPlanTunables(program),
                                      [&](const Json& j) { return PlanTunablesFromJson(program, j); },
                                      &change));
  options.tunables = tunables.value;
  const std::string& dsl = request.target.dsl;
  Result<std::string> code = dsl == "cpp"    ? EmitCppProgram(program, options)
                             : dsl == "cuda" ? EmitCudaProgram(program, options)
                                             : EmitTritonProgram(program, options);
  if (!code.ok()) return code.status();
  std::string what;
  for (size_t k = 0; k < program.launches.size(); ++k) {
    what += (k ? "; " : "") + DescribeLaunch(program.launches[k]);
  }
  std::string how = options.conservative ? FallbackReason(request) + ": smaller tiles, no split"
                                         : std::to_string(program.launches.size()) + " launch" +
                                               (program.launches.size() == 1 ? "" : "es");
  return Candidate{*code, WithChange("builtin kernel plan (" + request.target.dsl + "): " + what +
                                         "; " + how, change),
                   options.tunables};
}

}  // namespace

Status CheckBuiltinDsl(const std::string& dsl) {
  if (dsl == "cpp" || dsl == "triton_cuda" || dsl == "cuda") return Status::Ok();
  return UnsupportedError("the builtin model writes kernels only in the cpp, triton_cuda and "
                          "cuda DSLs, not " + dsl);
}

Result<Candidate> BuiltinKernelGen::Generate(const GenRequest& request) {
  if (request.task == nullptr) return InternalError("KernelGen called without a task");
  AKG_RETURN_IF_ERROR(CheckBuiltinDsl(request.target.dsl));
  OpGraphPtr task_graph = GraphOf(*request.task);
  // CUDA C has no separate elementwise path: a chain is a pointwise plan.
  Result<ElementwiseGraph> graph = request.target.dsl == "cuda"
                                       ? Result<ElementwiseGraph>(UnsupportedError("plans"))
                                       : ParseElementwiseGraph(*task_graph);
  if (graph.ok()) {
    if (request.target.dsl == "cpp") return GenerateCpp(request, *graph);
    return GenerateTriton(request, *graph);
  }
  if (graph.status().kind() != ErrorKind::kUnsupported) return graph.status();
  // Not a pure elementwise chain over the arguments: the kernel plans.
  AKG_ASSIGN_OR_RETURN(KernelProgram program, PlanProgram(*task_graph));
  return GeneratePlan(request, program);
}

}  // namespace akg
