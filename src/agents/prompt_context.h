// What the LLM agents (llm_designer.h, llm_kernel_gen.h) share: their options, and the pieces
// of template context built from a task, a target and the skills. The words of the prompts
// live in prompts/*.md (see prompt/template.h); this file decides which facts go in.
//
//   TaskInfo (source + inspect result) ──TaskContext──▶ {name, source, inputs, op_graph, ...}
//   Target + arch peaks ──TargetContext──▶ {dsl, arch, device_name, peaks, dsl_is, ...}
//   skills + SkillQuery + stage ──SkillLedger::Select──▶ [{name, body}] (names remembered)
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agents/agents.h"
#include "config/target.h"
#include "core/json.h"
#include "core/status.h"
#include "llm/llm.h"
#include "skills/skills.h"

namespace akg {

struct LlmAgentOptions {
  std::filesystem::path prompts_dir;           // <AKG home>/prompts (template files)
  const std::vector<Skill>* skills = nullptr;  // loaded skills, not owned; null = none
  SkillQuery skill_query;                      // base query (dsl, backend, arch, max_chars);
                                               // categories and stage are set per call
  Json arch_peaks;                             // ArchPeaks::ToJson() of the arch, null = unknown
  std::string policy = "strict";               // verify policy the kernel must satisfy
  std::string shapes = "vary";                 // verify_settings.shapes: "vary" = shape trials
  std::vector<std::string> extra_glue;         // framework calls allowed on top of the glue list
  std::optional<double> temperature;           // absent = the model's configured value
  size_t log_excerpt_chars = 4000;             // verifier log kept per failure (head + tail)
};

// One agent call's request: prompts/<system_file> and prompts/<user_file> rendered with `ctx`.
Result<LlmRequest> RenderChatRequest(const std::string& agent, const LlmAgentOptions& options,
                                     const std::string& system_file, const std::string& user_file,
                                     const Json& ctx);

// The task as the prompts show it: source, inputs/outputs/parameters as text lines, the op
// graph summary, the operator categories and the eager time.
Json TaskContext(const TaskInfo& task);

// The target: dsl, backend, arch, a device name, peak rates as text (and the ridge point),
// `dsl_is.<dsl>` flags for per-DSL sections, `gpu` (an accelerator backend), the policy, the extra glue and `shapes_vary`
// (whether the kernel is also verified at other sizes).
Json TargetContext(const Target& target, const LlmAgentOptions& options);

// Context shared by the designer's and kernel generator's templates: {task, target, policy,
// policy_strict, extra_glue, dsl_notes (prompts/dsl_<dsl>.md), contract
// (prompts/candidate_contract.md)}. Fails when a template is missing or broken.
Result<Json> AgentContext(const TaskInfo& task, const Target& target,
                          const LlmAgentOptions& options);

// One line per ATen call of the inspect result's graph ("mul = aten.mul.Tensor(gelu, 2) ->
// float32[4, 8]"), placeholders first; long graphs keep their first and last nodes.
std::string OpGraphSummary(const OpGraph& graph, size_t max_nodes = 80);

// The head and tail of a long log with a marker for what was cut, within about `max_chars`.
std::string LogExcerpt(const std::string& log, size_t max_chars);

// What to do about a failure, for reason codes whose fix the verdict's message alone does not
// make plain (shape_specific); "" for the others.
std::string FailureAdvice(const std::string& reason);

// "1.53x" or "not measured" (0 or negative).
std::string FormatSpeedup(double speedup);

// Chooses skills for a stage and remembers the names of every skill any call chose.
// Thread-safe: a search may call its agents from several threads.
class SkillLedger {
 public:
  // [{name, description, body}] of the selected skills, best first; [] without skills.
  Json Select(const LlmAgentOptions& options, const std::string& stage, const OpGraph& graph);
  std::vector<std::string> names() const;  // sorted

 private:
  mutable std::mutex mutex_;
  std::set<std::string> names_;
};

}  // namespace akg
