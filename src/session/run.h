// A Run: one task, on the session's target, through one workflow, with its own cancel token.
//
//   Run(session, RunRequest, events)
//     Check()   the workflow and its inputs (--kernel), before anything runs
//     Task()    the task staged and inspected (TaskConstructor: a file, pasted code or a
//               sentence), or the resumed run's, read from its folder: what the interactive
//               session shows before it asks to go on
//     Execute() agents (from this run's model registry), the run folder, the workflow, the
//               final kernel and reports; progress as RunEvents (workflow/run_events.h)
//   Cancel()    from any thread (or Ctrl-C, where the front end made this run's token the
//               interrupt target): this run's harness children and LLM transfers stop, the
//               session's servers stay warm; Execute ends with exit code 130.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "agents/agent_factory.h"
#include "agents/agents.h"
#include "core/json.h"
#include "core/status.h"
#include "env/cancel.h"
#include "llm/accounting.h"
#include "llm/registry.h"
#include "llm/transcript.h"
#include "session/session.h"
#include "store/run_folder.h"
#include "workflow/run_events.h"
#include "workflow/workflow.h"

namespace akg {

struct TaskInput {
  enum class Kind { kFile, kCode, kSentence, kResume };
  Kind kind = Kind::kFile;
  std::string text;  // the file's path (kFile), the code (kCode), the sentence, the run folder
};

struct RunRequest {
  TaskInput task;
  std::string workflow;          // "" = the config's default_workflow
  std::string kernel_file;       // verifier_only: the kernel to check
  std::string out_dir;           // the run folder ("" = <log_dir>/<stamp>-<task>-<dsl>)
  std::string command_line;      // for the report
};

// A kernel was generated and built but this machine cannot run it ("not verified: no CUDA
// device"): `op`'s exit code, never 0.
inline constexpr int kExitNotVerified = 3;

struct RunResult {
  int exit_code = 1;             // 0 a verified kernel (or kernelgen_only's one), 1 none,
                                 // kExitNotVerified built but not run here, 130
  std::filesystem::path folder;
  WorkflowOutcome outcome;
  std::string final_table;       // FormatFinalTable of the report
  Json report;                   // report.json
};

class Run {
 public:
  // `session` must outlive the run; `events` may be empty.
  Run(Session* session, RunRequest request, RunEventSink events);
  ~Run();

  CancelToken* token() { return &token_; }
  void Cancel() { token_.Cancel(); }
  const std::string& workflow() const { return workflow_; }

  Status Check() const;
  Result<const TaskInfo*> Task();
  // Errors: input and agent failures (exit 2 in `op`), cancelled (130). A kernel that fails is
  // a RunResult with exit_code 1, not an error.
  Result<RunResult> Execute();

 private:
  Result<TaskInfo> StageTask();
  Result<RunFolder> OpenFolder();
  WorkflowContext Context(const AgentSet& agents, const RunFolder& run, const Json& peaks);
  Result<RunResult> Finish(const RunFolder& run, const AgentSet& agents, WorkflowOutcome outcome);
  void Emit(const RunEvent& e) const {
    if (events_) events_(e);
  }

  Session* session_;
  RunRequest request_;
  RunEventSink events_;
  CancelToken token_;
  std::string workflow_;
  double started_s_ = 0;
  std::string started_utc_;
  Ledger ledger_;
  std::shared_ptr<TranscriptRecorder> recorder_;
  std::unique_ptr<ModelRegistry> registry_;
  std::optional<TaskInfo> task_;
  std::optional<RunFolder> resumed_;  // the folder of a resumed run, opened by Task()
};

}  // namespace akg
