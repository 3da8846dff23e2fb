// Workflows drive the agents and the harness. This version has the two that share the
// generate -> verify loop: `default` (KernelDesigner, then KernelGen <-> Verifier with each
// failure fed back, up to max_steps, then the Profiler) and `coder_only` (the same without the
// design phase). Everything a step produces is written to the run folder as it happens.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agents/agents.h"
#include "config/dsl_config.h"
#include "store/run_folder.h"
#include "verify/harness_client.h"
#include "verify/verdict.h"

namespace akg {

struct WorkflowContext {
  const TaskInfo* task = nullptr;
  Target target;
  const DslConfig* config = nullptr;
  KernelDesigner* designer = nullptr;  // unused by coder_only
  KernelGen* kernel_gen = nullptr;
  HarnessClient* harness = nullptr;
  const RunFolder* run = nullptr;
  Json peaks;  // peak rates of the target (ArchPeaks::ToJson), null when unknown
  std::function<void(const std::string&)> log = [](const std::string&) {};  // progress lines
  std::function<bool()> cancelled = [] { return false; };
};

struct Attempt {
  int number = 0;           // 1-based
  std::string description;  // KernelGen's one-line summary
  std::string code_path;    // relative to the run folder
  Verdict verdict;
};

struct WorkflowOutcome {
  std::string workflow;
  std::optional<Design> design;
  std::vector<Attempt> attempts;
  int passing_attempt = 0;  // 1-based index into attempts; 0 = no kernel passed
  std::optional<ProfileResult> profile;
  // A profile too good to trust (faster than the speed of light, or a speedup above
  // suspect_speedup) is re-verified with twice the trials on other seeds; this is that verdict.
  std::optional<Verdict> reverification;
  bool interrupted = false;
  std::string stop_reason;  // why the loop ended without a passing kernel, if it did

  const Attempt* passing() const {
    return passing_attempt > 0 ? &attempts[passing_attempt - 1] : nullptr;
  }
};

// The names accepted by --workflow and default_workflow, with whether this build has them.
bool WorkflowImplemented(const std::string& name);

// Runs `default` or `coder_only`. Errors are failures of the agent or its agents (e.g. the
// builtin model cannot handle the task); a kernel that fails is an Attempt, not an error.
Result<WorkflowOutcome> RunGenerateVerifyWorkflow(const WorkflowContext& ctx,
                                                  const std::string& workflow);

}  // namespace akg
