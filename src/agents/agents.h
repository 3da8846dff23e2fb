// The agents' interfaces. A workflow talks only to these; the builtin offline model
// (src/builtin) and, later, LLM-backed agents implement them.
//
//   TaskInfo ──KernelDesigner::Design──▶ Design
//   TaskInfo + Design + feedback ──KernelGen::Generate──▶ Candidate (code in the target DSL)
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "config/target.h"
#include "core/json.h"
#include "core/status.h"
#include "env/cancel.h"
#include "task/op_graph.h"

namespace akg {

// A task that the harness has inspected (see docs/HARNESS_PROTOCOL.md, `inspect`).
struct TaskInfo {
  std::string name;                 // file stem, used in run folder names
  std::filesystem::path task_path;  // absolute path of the task file
  std::string source;               // the task file's text
  Json inspection;                  // the harness's inspect result
  OpGraphPtr graph;                 // the inspection parsed once (null: see GraphOf)
};

// The task's typed graph: the one parsed when the task was staged, or (a TaskInfo built
// without it, as in tests) parsed now from the inspection.
inline OpGraphPtr GraphOf(const TaskInfo& task) {
  return task.graph ? task.graph : MakeOpGraph(task.inspection);
}

struct Design {
  std::string sketch;  // Markdown: algorithm sketch with optimisation hints
  Json hints;          // machine-readable hints (tunables) KernelGen may use
};

struct DesignRequest {
  const TaskInfo* task = nullptr;
  Target target;
  const CancelToken* cancel = nullptr;  // the run's token; LLM calls stop when it is cancelled
  // Streamed model text as it arrives (LLM agents; may be empty), for a live tail.
  std::function<void(const std::string&)> on_text;
};

// What went wrong with the previous attempt, for KernelGen's next try.
struct Feedback {
  std::string verdict;  // "compile_error", "runtime_error", "wrong_answer", ...
  std::string message;  // one line
  std::string log;      // compiler output or traceback (may be long)
  std::string reason;   // stable reason code (docs/INTEGRITY.md), may be ""
};

// A kernel a search has already measured, shown to KernelGen as the parent to improve or as
// an inspiration (search workflows, issue 5).
struct ScoredKernel {
  std::string id;               // candidate id in the run folder
  std::string code;
  std::string description;
  Json hints;                   // tunables it was generated with (builtin), or null
  std::string verdict;          // "passed", "wrong_answer", ...
  std::string feedback;         // one line: the failure, or the profile summary
  double speedup_vs_eager = 0;  // 0 when not measured; over the run's eager baseline
  double median_ms = 0;         // its own median time; 0 when not measured
  bool noisy = false;           // the measurement cannot be ranked as fact (profile's noisy)
};

struct GenRequest {
  const TaskInfo* task = nullptr;
  Target target;
  const Design* design = nullptr;  // null in workflows without a design phase
  int attempt = 1;                 // 1-based
  std::vector<Feedback> history;   // feedback of earlier attempts, oldest first
  const ScoredKernel* parent = nullptr;   // search workflows: the kernel to improve
  std::vector<ScoredKernel> inspirations; // search workflows: others to learn from
  uint64_t seed = 0;                      // for deterministic variation (builtin mutation,
                                          // and the LLM's own seed where a provider takes one)
  // A search's from-scratch candidate: its index among them (evolve's round 0), so each gets
  // a different direction drawn from the optimise skills by `explore_seed` (agents/exploration);
  // -1 otherwise.
  int explore = -1;
  uint64_t explore_seed = 0;
  // The default workflow's optimise step: the parent's profile as lines for the model (time
  // against the baselines, fraction of the speed of light and the bound, ncu's counters or why
  // there are none: verify/profile_report.h); "" elsewhere.
  std::string profile_report;
  const CancelToken* cancel = nullptr;    // the run's token; LLM calls stop when it is cancelled
  std::function<void(const std::string&)> on_text;  // streamed model text (LLM agents)
};

struct Candidate {
  std::string code;         // a Python file defining class ModelNew
  std::string description;  // one line: what this variant does
  Json hints;               // tunables used (builtin), or null
};

class KernelDesigner {
 public:
  virtual ~KernelDesigner() = default;
  virtual Result<Design> MakeDesign(const DesignRequest& request) = 0;
};

class KernelGen {
 public:
  virtual ~KernelGen() = default;
  virtual Result<Candidate> Generate(const GenRequest& request) = 0;
};

}  // namespace akg
