// Workflows drive the agents and the harness. All six share one core step (core_step.h):
// generate (KernelGen, no device held) -> verify -> profile (one device of the pool held for
// both) -> re-verify a suspect profile, recorded in the run folder as it happens.
//
//   default          KernelDesigner, then KernelGen <-> Verifier with each failure fed back,
//                    up to max_steps, then the Profiler (attempts/NN/, profile.json); while the
//                    passing kernel is clearly slow, up to optimise_steps more attempts with
//                    its profile fed back (optimise.h), the fastest passing one kept
//   coder_only       the same without the design phase
//   kernelgen_only   one kernel, static integrity rules only; reported as UNVERIFIED
//   verifier_only    verify and profile an existing kernel file (--kernel)
//   evolve           island model over the search logic in src/search (search_workflows.cc)
//   adaptive_search  asynchronous pipeline with a UCB bandit over parents
//
// The searches keep every candidate under candidates/<id>/ with its lineage and log their
// ask/tell calls (search_log.jsonl), so --resume continues an interrupted run exactly.
// Device pool: device_pool.h; worker threads: executor.h; status line: progress.h.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agents/agents.h"
#include "config/dsl_config.h"
#include "env/clock.h"
#include "store/run_folder.h"
#include "verify/harness_client.h"
#include "verify/verdict.h"
#include "workflow/candidate.h"
#include "workflow/run_events.h"

namespace akg {

class DevicePool;

struct WorkflowContext {
  const TaskInfo* task = nullptr;
  Target target;
  const DslConfig* config = nullptr;
  KernelDesigner* designer = nullptr;  // unused by coder_only, kernelgen_only, verifier_only
  // Called from up to search.concurrency worker threads at once in the searches.
  KernelGen* kernel_gen = nullptr;
  HarnessClient* harness = nullptr;    // static checks; verify/profile when `pool` is null
  DevicePool* pool = nullptr;          // verify/profile hold one of its devices; null = `harness`
  const RunFolder* run = nullptr;
  Clock* clock = nullptr;              // timings and wall budgets; null = the system clock
  Json peaks;  // peak rates of the target (ArchPeaks::ToJson), null when unknown
  std::filesystem::path kernel_file;   // verifier_only: the kernel to check
  bool resume = false;                 // searches: continue the run logged in `run`
  // Progress as typed events (run_events.h): phases, attempts, verdicts, timings, a search's
  // live status. Called from the searches' worker threads too.
  RunEventSink emit = [](const RunEvent&) {};
  // The run's token (env/cancel.h): every harness call and LLM request of the run carries it;
  // a cancelled run stops its children and transfers and ends as interrupted. null = the root.
  const CancelToken* cancel = nullptr;
  bool cancelled() const { return IsCancelled(cancel); }
  // Budgets the agent cannot see (LLM tokens, cost): true = start no further candidate, with
  // the reason in *why. Checked before every candidate of a search.
  std::function<bool(std::string* why)> budget_exhausted = [](std::string*) { return false; };
  // Non-empty when no kernel can be run on this machine for the target, the one line that
  // says why ("not verified: no CUDA device"): the core step builds each candidate on the CPU
  // (static rules, native compile) and stops there with a not_verified verdict.
  std::string unverifiable;
};


struct WorkflowOutcome {
  std::string workflow;
  std::optional<Design> design;
  int passing_attempt = 0;  // 1-based index into candidates; 0 = no kernel passed
  std::optional<ProfileResult> profile;
  // A profile too good to trust (faster than the speed of light, or a speedup above
  // suspect_speedup) is re-verified with twice the trials on other seeds; this is that verdict.
  std::optional<Verdict> reverification;
  bool interrupted = false;
  std::string stop_reason;  // why the run ended (searches), or why no kernel passed

  // kernelgen_only: the kernel was never run against the reference; the static check's
  // verdict is candidates[0].verdict.
  bool unverified = false;
  // The run stopped before verification because this machine cannot run the target's kernels
  // (ctx.unverifiable's line); the last candidate is the built kernel (verdict not_verified).
  std::string not_verified;
  const CandidateRecord* built() const {
    return !not_verified.empty() && !candidates.empty() ? &candidates.back() : nullptr;
  }
  // Every kernel the run checked, in one record shape for every workflow: the default
  // workflow's attempts in order (attempt-01, ...), kernelgen_only's and verifier_only's one,
  // a search's candidates (with their lineage) in id order.
  std::vector<CandidateRecord> candidates;
  bool is_search = false;
  Json search;              // settings, migrations, counts (searches), or null
  // default/coder_only: the optimise steps after the first pass (workflow/optimise.h): each
  // decision with its reason, the steps' outcomes, the kernel kept; null when none was considered.
  Json optimise;
  Json device_utilisation;  // per device: busy seconds, leases, utilisation; or null

  const CandidateRecord* passing() const {
    return passing_attempt > 0 ? &candidates[passing_attempt - 1] : nullptr;
  }
};

// The workflows, one row each: what front ends check a request against and RunWorkflow runs.
struct WorkflowInfo {
  const char* name;
  Result<WorkflowOutcome> (*run)(const WorkflowContext&);
  bool resumable;     // --resume continues an interrupted run from its folder
  bool needs_kernel;  // checks the user's kernel (--kernel FILE) instead of generating one
  bool verifies;      // runs kernels against the reference (kernelgen_only does not)
  bool search;        // many candidates over the device pool
};
const std::vector<WorkflowInfo>& Workflows();
// null for a name that is not a workflow.
const WorkflowInfo* FindWorkflow(const std::string& name);
// "default, coder_only, ...", for messages.
std::string WorkflowNames();
// "evolve and adaptive_search": the workflows --resume continues, for messages.
std::string ResumableWorkflowNames();

// Runs any workflow by name. Errors are failures of the agent or its agents (e.g. the builtin
// model cannot handle the task); a kernel that fails is a candidate with its verdict, not an error.
Result<WorkflowOutcome> RunWorkflow(const WorkflowContext& ctx, const std::string& workflow);

// `default` or `coder_only`.
Result<WorkflowOutcome> RunGenerateVerifyWorkflow(const WorkflowContext& ctx,
                                                  const std::string& workflow);
Result<WorkflowOutcome> RunKernelGenOnly(const WorkflowContext& ctx);
Result<WorkflowOutcome> RunVerifierOnly(const WorkflowContext& ctx);
Result<WorkflowOutcome> RunEvolve(const WorkflowContext& ctx);
Result<WorkflowOutcome> RunAdaptiveSearch(const WorkflowContext& ctx);

}  // namespace akg
