#include "session/run.h"
#include "store/run_folder.h"

#include <cctype>
#include <system_error>

#include <fmt/format.h>

#include "agents/agent_factory.h"
#include "agents/task_constructor.h"
#include "core/files.h"
#include "session/run_manifest.h"
#include "store/history.h"
#include "store/report.h"
#include "store/standalone.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

// "2026-11-25T12:00:00Z" -> "20261125-120000", for folder names.
std::string FolderStamp(const std::string& iso) {
  std::string digits;
  for (char c : iso) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  }
  return digits.size() >= 14 ? digits.substr(0, 8) + "-" + digits.substr(8, 6) : digits;
}

std::string TaskName(const TaskInput& in) {
  switch (in.kind) {
    case TaskInput::Kind::kFile: return fs::path(in.text).stem().string();
    case TaskInput::Kind::kCode: return "pasted";
    case TaskInput::Kind::kSentence: return "intent";
    case TaskInput::Kind::kResume: return "task";
  }
  return "task";
}

// 0: a kernel passed (or, unverified, the one attempt did); 1: none did; 3: a kernel was built
// but this machine cannot run it (not verified); 130: interrupted.
int ExitCodeOf(const WorkflowOutcome& outcome) {
  if (outcome.interrupted) return 130;
  if (outcome.unverified) return outcome.candidates[0].verdict.passed() ? 0 : 1;
  if (outcome.built() != nullptr) return kExitNotVerified;
  return outcome.passing() ? 0 : 1;
}

// A task the builtin model cannot write says how to get an LLM-backed agent.
Status WithLlmHint(const Status& failed) {
  if (failed.kind() != ErrorKind::kUnsupported) return failed;
  return UnsupportedError(failed.message() +
                          "; such tasks need an LLM-backed agent: configure a model in "
                          ".akg/settings.yaml or AKG_STANDARD_MODEL/AKG_STANDARD_BASE_URL");
}

}  // namespace

Run::Run(Session* session, RunRequest request, RunEventSink events)
    : session_(session),
      request_(std::move(request)),
      events_(std::move(events)),
      token_(session->token()),
      started_s_(session->env().clock()->NowSeconds()),
      started_utc_(session->env().clock()->NowIso8601()),
      ledger_(session->env().clock(), session->llm_settings().budget),
      recorder_(std::make_shared<TranscriptRecorder>(ApiKeys(session->llm_settings()))) {
  workflow_ = request_.workflow.empty() ? session->config().default_workflow : request_.workflow;
  registry_ = std::make_unique<ModelRegistry>(
      session->llm_settings(), LlmDeps{session->env().runner(), session->env().clock()}, &ledger_,
      recorder_);
}

Run::~Run() = default;

Status Run::Check() const {
  const WorkflowInfo* w = FindWorkflow(workflow_);
  if (w == nullptr) {
    return UnsupportedError("workflow '" + workflow_ + "' is not available in this build; use " +
                            WorkflowNames());
  }
  const std::string& kernel = request_.kernel_file;
  if (w->needs_kernel) {
    if (kernel.empty()) return UsageError("--workflow " + workflow_ + " needs --kernel FILE");
    if (!fs::is_regular_file(kernel)) {
      return InputError("kernel file '" + kernel + "' does not exist; check the --kernel path");
    }
  } else if (!kernel.empty()) {
    return UsageError("--kernel is only for --workflow verifier_only");
  }
  if (const std::string& why = session_->unverifiable(); !why.empty() && w->search) {
    return UsageError("--workflow " + workflow_ + " cannot run on this machine: " + why +
                      " to measure its candidates; run the search on a machine with a CUDA GPU, "
                      "or use --workflow default or kernelgen_only to generate and compile here");
  }
  if (request_.task.kind == TaskInput::Kind::kResume && !w->resumable) {
    return UsageError("only " + ResumableWorkflowNames() + " runs can be resumed");
  }
  return Status::Ok();
}

Result<const TaskInfo*> Run::Task() {
  if (task_) return &*task_;
  if (request_.task.kind == TaskInput::Kind::kResume) {
    AKG_ASSIGN_OR_RETURN(RunFolder opened, RunFolder::Open(request_.task.text));
    resumed_ = opened;
    AKG_ASSIGN_OR_RETURN(TaskInfo task, TaskOfRun(*resumed_));
    task_ = std::move(task);
  } else {
    Emit(PhaseEvent("task", "inspecting the task with the harness"));
    AKG_ASSIGN_OR_RETURN(TaskInfo task, StageTask());
    task_ = std::move(task);
  }
  return &*task_;
}

// The one way a task is built: TaskConstructor. Code that is already a complete task (a task
// file, or a complete paste) is inspected as it is, never rewritten by a model; incomplete code
// and sentences go to the task_constructor's model, or offline to the builtin catalogue.
Result<TaskInfo> Run::StageTask() {
  const DslConfig& config = session_->config();
  AKG_ASSIGN_OR_RETURN(fs::path work, session_->RunWorkDir());
  TaskConstructorOptions tco;
  tco.prompts_dir = session_->home() / "prompts";
  tco.work_dir = work;
  tco.file_stem = "task";
  tco.target = session_->target();
  tco.inspect_seed = config.verify_settings.seed;
  tco.inspect_timeout_s = config.inspect_timeout;
  tco.cancel = &token_;
  AKG_ASSIGN_OR_RETURN(auto constructor_llm,
                       registry_->ForLevel(AgentLevel(config, "task_constructor")));
  TaskInfo task;
  task.name = TaskName(request_.task);
  Result<ConstructedTask> made = InternalError("no task");
  if (request_.task.kind == TaskInput::Kind::kSentence) {
    made = TaskConstructor(constructor_llm.get(), session_->harness(), tco)
               .FromSentence(request_.task.text);
  } else {
    std::string code = request_.task.text;
    if (request_.task.kind == TaskInput::Kind::kFile) {
      AKG_ASSIGN_OR_RETURN(code, ReadFile(request_.task.text));
    }
    LlmClient* llm = FindTaskPieces(code).complete() ? nullptr : constructor_llm.get();
    made = TaskConstructor(llm, session_->harness(), tco).FromCode(code);
  }
  if (!made.ok()) return made.status();
  task.source = made->source;
  task.task_path = made->path;
  task.inspection = made->inspection;
  task.graph = MakeOpGraph(task.inspection);
  return task;
}

// A new run folder with the task, its inspection and the manifest (the task then points at the
// folder's copy), or the resumed run's own.
Result<RunFolder> Run::OpenFolder() {
  if (resumed_) return *resumed_;
  const DslConfig& config = session_->config();
  fs::path path = request_.out_dir.empty()
                      ? DefaultRunFolderPath(config.log_dir, FolderStamp(started_utc_), task_->name,
                                             session_->target().dsl)
                      : fs::path(request_.out_dir);
  AKG_ASSIGN_OR_RETURN(RunFolder run, RunFolder::Create(path));
  AKG_RETURN_IF_ERROR(run.WriteText(RunFiles::kTask, task_->source));
  AKG_RETURN_IF_ERROR(run.WriteJson(RunFiles::kInspect, task_->inspection));
  AKG_RETURN_IF_ERROR(WriteRunManifest(run, session_->options(), workflow_, task_->name));
  task_->task_path = run.Resolve(RunFiles::kTask);
  return run;
}

WorkflowContext Run::Context(const AgentSet& agents, const RunFolder& run, const Json& peaks) {
  WorkflowContext ctx;
  ctx.task = &*task_;
  ctx.target = session_->target();
  ctx.config = &session_->config();
  ctx.designer = agents.designer.get();
  ctx.kernel_gen = agents.kernel_gen.get();
  ctx.harness = session_->harness();
  ctx.pool = session_->pool();
  ctx.run = &run;
  ctx.clock = session_->env().clock();
  ctx.peaks = peaks;
  ctx.kernel_file = request_.kernel_file;
  ctx.resume = resumed_.has_value();
  ctx.cancel = &token_;
  ctx.unverifiable = session_->unverifiable();
  ctx.budget_exhausted = [this](std::string* why) { return ledger_.BudgetExhausted(why); };
  ctx.emit = events_ ? events_ : RunEventSink([](const RunEvent&) {});
  return ctx;
}

Result<RunResult> Run::Execute() {
  AKG_RETURN_IF_ERROR(Check());
  AKG_RETURN_IF_ERROR(Task().status());
  Json peaks = session_->Peaks(&token_);
  AgentDeps agent_deps{registry_.get(), &session_->skills(), session_->home() / "prompts", peaks};
  AKG_ASSIGN_OR_RETURN(AgentSet agents, MakeAgents(session_->config(), session_->target(), agent_deps));
  if (!agents.notice.empty()) session_->notes()(agents.notice);
  AKG_ASSIGN_OR_RETURN(RunFolder run, OpenFolder());
  AKG_RETURN_IF_ERROR(recorder_->Attach(run.Resolve("llm")));

  WorkflowContext ctx = Context(agents, run, peaks);
  auto outcome = RunWorkflow(ctx, workflow_);
  if (!outcome.ok()) {
    std::error_code ec;
    if (!resumed_) fs::remove_all(run.path(), ec);  // nothing useful was produced
    return WithLlmHint(outcome.status());
  }
  if (outcome->device_utilisation.is_null()) outcome->device_utilisation = session_->pool()->Utilisation();
  return Finish(run, agents, std::move(outcome).value());
}

Result<RunResult> Run::Finish(const RunFolder& run, const AgentSet& agents, WorkflowOutcome outcome) {
  RunResult result;
  result.folder = run.path();
  result.outcome = std::move(outcome);
  const WorkflowOutcome& o = result.outcome;
  Json llm = recorder_->calls() > 0 ? ledger_.ToJson() : Json();
  if (llm.is_object()) {
    RunEvent tokens = NoteEvent("llm", "");
    tokens.kind = RunEvent::Kind::kTokens;
    tokens.tokens = static_cast<long long>(NumberOr(llm, "input_tokens", 0) +
                                           NumberOr(llm, "output_tokens", 0));
    tokens.cost = NumberOr(llm, "cost", 0);  // null when a model has no price
    tokens.text = fmt::format("{:.0f} model calls, {} tokens", NumberOr(llm, "calls", 0),
                              tokens.tokens);
    Emit(tokens);
  }
  RunSummary summary{&*task_, session_->target(), &session_->config(), &o, agents.models,
                     run.path().string(), "", request_.command_line, started_utc_,
                     session_->env().clock()->NowSeconds() - started_s_, session_->interpreter(),
                     llm, agents.skills_used()};
  const CandidateRecord* final = o.passing();
  // kernelgen_only: the kernel that passed the static rules, marked as never verified.
  bool unverified = o.unverified && !o.candidates.empty() && o.candidates[0].verdict.passed();
  if (unverified) final = &o.candidates[0];
  if (o.built() != nullptr) final = o.built();
  if (final != nullptr) {
    AKG_ASSIGN_OR_RETURN(std::string code, ReadFile(run.Resolve(final->code_path())));
    AKG_ASSIGN_OR_RETURN(std::string loader,
                         ReadFile(session_->home() / "harness" / "akg_harness" / "native.py"));
    std::string header = unverified ? "# UNVERIFIED: written by the kernelgen_only workflow and "
                                      "never run against the reference.\n"
                         : o.built() ? "# NOT VERIFIED: built on the CPU (static rules, native "
                                       "compile) but never run: " + o.not_verified + ".\n"
                                     : "";
    AKG_RETURN_IF_ERROR(run.WriteText(RunFiles::kKernel, header + InlineNativeLoader(code, loader)));
    summary.final_kernel = RunFiles::kKernel;
  }
  result.report = BuildReportJson(summary);
  AKG_RETURN_IF_ERROR(run.WriteJson(RunFiles::kReport, result.report));
  AKG_RETURN_IF_ERROR(run.WriteText(RunFiles::kReportMarkdown, BuildReportMarkdown(summary)));
  // The history is a convenience over the run folders: failing to write it never fails the run.
  std::string note;
  const fs::path& db = session_->llm_settings().history_db;
  auto history = RunHistory::Open(db.empty() ? DefaultHistoryPath(session_->env()) : db, &note);
  if (!note.empty()) session_->notes()("run history: " + note);
  Status recorded = history.status();
  if (history.ok()) {
    recorded = (*history)->Record(HistoryRunFromReport(result.report, run.path())).status();
  }
  if (!recorded.ok()) session_->notes()("run history: " + recorded.message());
  result.final_table = FormatFinalTable(summary);
  result.exit_code = ExitCodeOf(o);
  return result;
}

}  // namespace akg
