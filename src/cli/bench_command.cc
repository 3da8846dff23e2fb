#include "cli/bench_command.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <system_error>
#include <thread>

#include <CLI/CLI.hpp>

#include "cli/bench_results.h"
#include "core/files.h"
#include "session/run.h"
#include "session/session.h"
#include "workflow/progress.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

constexpr const char* kResultsFile = "results.json";
constexpr const char* kResultsMarkdown = "results.md";

struct BenchTask {
  std::string name;  // the file's stem: the row's key and the run folder's name
  std::string file;
};

int ExitCodeFor(const Status& s) { return s.kind() == ErrorKind::kInternal ? 1 : 2; }

int Fail(const BenchOptions& o, const BenchDeps& deps, const Status& s) {
  *deps.err << "akg_cli: error: " << s.message() << "\n";
  int code = s.kind() == ErrorKind::kCancelled ? 130 : ExitCodeFor(s);
  if (o.json) *deps.out << Json{{"exit_code", code}, {"error", s.message()}}.dump(2) << "\n";
  return code;
}

// "2026-11-25T12:00:00Z" -> "20261125-120000".
std::string FolderStamp(const std::string& iso) {
  std::string d;
  for (char c : iso) {
    if (std::isdigit(static_cast<unsigned char>(c))) d += c;
  }
  return d.size() >= 14 ? d.substr(0, 8) + "-" + d.substr(8, 6) : d;
}

Result<std::vector<BenchTask>> FolderTasks(const fs::path& dir) {
  std::vector<BenchTask> tasks;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".py") {
      tasks.push_back({entry.path().stem().string(), entry.path().string()});
    }
  }
  if (ec) return InputError("cannot read the folder '" + dir.string() + "': " + ec.message());
  std::sort(tasks.begin(), tasks.end(),
            [](const BenchTask& a, const BenchTask& b) { return a.file < b.file; });
  if (tasks.empty()) {
    return InputError("the folder '" + dir.string() + "' holds no *.py task files; give a folder "
                      "of KernelBench-style task files (class Model, get_inputs)");
  }
  return tasks;
}

// One folder (its *.py files, sorted) or a list of files; run folders are named by stem, so
// two files of one name are refused.
Result<std::vector<BenchTask>> FindTasks(const std::vector<std::string>& inputs) {
  if (inputs.empty()) {
    return UsageError("give a folder of task files or task files, e.g. akg_cli bench "
                      "examples/tasks --backend cpu --arch x86_64 --dsl cpp");
  }
  std::vector<BenchTask> tasks;
  if (inputs.size() == 1 && fs::is_directory(inputs[0])) {
    AKG_ASSIGN_OR_RETURN(tasks, FolderTasks(inputs[0]));
  } else {
    for (const std::string& in : inputs) {
      if (fs::is_directory(in)) {
        return UsageError("'" + in + "' is a folder: give one folder, or task files, not both");
      }
      if (!fs::is_regular_file(in)) {
        return InputError("'" + in + "' does not exist; give an existing folder of task files "
                          "or task files");
      }
      tasks.push_back({fs::path(in).stem().string(), in});
    }
  }
  std::map<std::string, std::string> seen;
  for (const BenchTask& t : tasks) {
    auto [it, fresh] = seen.emplace(t.name, t.file);
    if (!fresh) {
      return UsageError("two task files are named '" + t.name + "' (" + it->second + ", " +
                        t.file + "); their run folders would collide: rename one");
    }
  }
  return tasks;
}

Status CheckWorkflow(const std::string& name) {
  const WorkflowInfo* w = FindWorkflow(name);
  if (w == nullptr) {
    return UsageError("workflow '" + name + "' is not available in this build; use " +
                      WorkflowNames());
  }
  if (w->needs_kernel) {
    return UsageError("--workflow " + name + " checks one given kernel; bench writes kernels: "
                      "use another workflow (" + WorkflowNames() + ")");
  }
  return Status::Ok();
}

std::string TargetText(const Target& t) {
  return t.framework + "/" + t.backend + "/" + t.arch + "/" + t.dsl;
}

Result<BenchResults> ReadResumed(const BenchOptions& o, const Target& target) {
  fs::path file = fs::path(o.resume) / kResultsFile;
  if (!fs::is_regular_file(file)) {
    return InputError("'" + o.resume + "' has no " + kResultsFile + "; give --resume the folder "
                      "of an earlier akg_cli bench");
  }
  AKG_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  AKG_ASSIGN_OR_RETURN(Json j, ParseJson(text, file.string()));
  AKG_ASSIGN_OR_RETURN(BenchResults r, BenchResultsFromJson(j, file.string()));
  const Target& was = r.target;
  if (was.framework != target.framework || was.backend != target.backend ||
      was.arch != target.arch || was.dsl != target.dsl) {
    return UsageError("the bench in '" + o.resume + "' ran on " + TargetText(was) + ", not " +
                      TargetText(target) + "; give the same --backend, --arch and --dsl to "
                      "resume it");
  }
  if (!o.workflow.empty() && o.workflow != r.workflow) {
    return UsageError("the bench in '" + o.resume + "' ran the " + r.workflow + " workflow; drop "
                      "--workflow or give --workflow " + r.workflow + " to resume it");
  }
  return r;
}

struct Plan {
  SessionOptions session;
  std::vector<BenchTask> tasks;
  std::optional<BenchResults> resumed;
};

// Everything that needs no Session, so a bad invocation starts no harness and writes nothing.
Result<Plan> PlanFromFlags(const BenchOptions& o) {
  Plan p;
  p.session.target = {o.framework, o.backend, o.arch, o.dsl};
  p.session.devices = o.devices;
  p.session.config_file = o.config_file;
  if (o.backend.empty() || o.arch.empty() || o.dsl.empty()) {
    return UsageError("give --backend, --arch and --dsl");
  }
  AKG_RETURN_IF_ERROR(ValidateTarget(p.session.target).status());
  AKG_RETURN_IF_ERROR(ParseDevices(o.devices).status());
  if (!o.workflow.empty()) AKG_RETURN_IF_ERROR(CheckWorkflow(o.workflow));
  AKG_ASSIGN_OR_RETURN(p.tasks, FindTasks(o.inputs));
  if (!o.resume.empty()) {
    if (!o.out_dir.empty() && fs::path(o.out_dir) != fs::path(o.resume)) {
      return UsageError("--resume continues the bench in its own folder; drop --out");
    }
    AKG_ASSIGN_OR_RETURN(BenchResults r, ReadResumed(o, p.session.target));
    p.resumed = std::move(r);
  }
  return p;
}

// The out folder, checked (not created): --resume's, --out, or <log_dir>/bench-<stamp>.
Result<fs::path> OutFolder(const BenchOptions& o, Session& session) {
  if (!o.resume.empty()) return fs::path(o.resume);
  fs::path out = o.out_dir.empty()
                     ? fs::path(session.config().log_dir) /
                           ("bench-" + FolderStamp(session.env().clock()->NowIso8601()))
                     : fs::path(o.out_dir);
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) {
    return UsageError("'" + out.string() + "' already exists and is not empty; give another "
                      "--out, or --resume " + out.string() + " to continue a bench there");
  }
  return out;
}

// The tasks of one bench on one Session; rows recorded as they end.
class Bench {
 public:
  Bench(Session* session, const BenchOptions& o, fs::path out, BenchResults results,
        std::vector<BenchTask> todo, Progress* progress, bool terminal)
      : session_(session), options_(o), out_(std::move(out)), results_(std::move(results)),
        todo_(std::move(todo)), fresh_(todo_.size()), progress_(progress), terminal_(terminal) {}

  // Runs the tasks on up to |devices| threads; the error is a failure to write the results.
  Status RunAll() {
    AKG_RETURN_IF_ERROR(Write());
    size_t workers = std::min(session_->devices().size(), todo_.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < workers; ++i) threads.emplace_back([this] { Work(); });
    for (auto& t : threads) t.join();
    std::lock_guard<std::mutex> lock(mu_);
    results_.finished_utc = session_->env().clock()->NowIso8601();
    results_.interrupted = IsCancelled(session_->token());
    AKG_RETURN_IF_ERROR(write_error_);
    return WriteLocked();
  }

  // What results.json holds (after RunAll: every row, the finish time).
  const BenchResults& written() const { return written_; }
  // Tasks of this bench without a finished row (cancelled, or never started).
  size_t unfinished() const {
    size_t n = 0;
    for (const auto& r : fresh_) n += !r || !Finished(*r);
    return n;
  }
  // The first agent_error row (the bench stopped there), or null.
  const BenchRow* agent_error() const { return agent_error_ ? &*agent_error_ : nullptr; }

 private:
  void Work() {
    // A failure of the agent itself (not of the task) would fail every task after it.
    while (!IsCancelled(session_->token()) && !stop_) {
      size_t i = next_.fetch_add(1);
      if (i >= todo_.size()) return;
      BenchRow row = RunTask(todo_[i]);
      progress_->Line(FormatRowLine(row));
      std::lock_guard<std::mutex> lock(mu_);
      if (row.status == "agent_error" && !agent_error_) {
        agent_error_ = row;
        stop_ = true;
      }
      fresh_[i] = std::move(row);
      if (Status s = WriteLocked(); !s.ok() && write_error_.ok()) write_error_ = s;
    }
  }

  BenchRow RunTask(const BenchTask& task) {
    fs::path folder = out_ / task.name;
    // A run folder without a finished row (cancelled, or the bench crashed in it) starts over.
    std::error_code ec;
    if (fs::is_regular_file(folder / "run.json", ec)) fs::remove_all(folder, ec);
    RunRequest request;
    request.task = {TaskInput::Kind::kFile, task.file};
    request.workflow = results_.workflow;
    request.out_dir = folder.string();
    request.command_line = options_.command_line;
    Run run(session_, request, Sink(task.name));
    auto result = run.Execute();
    if (!result.ok()) {
      // A cancel that surfaced as another error (a child killed mid-way) is still a cancel.
      Status why = result.status();
      if (IsCancelled(run.token())) why = Status::Error(ErrorKind::kCancelled, why.message());
      return RowFromError(task.name, task.file, why);
    }
    return RowFromReport(task.name, task.file, result->report, result->exit_code);
  }

  // On a terminal, one status line that each event rewrites; elsewhere each event a line.
  RunEventSink Sink(const std::string& name) {
    return [this, name](const RunEvent& e) {
      if (e.kind == RunEvent::Kind::kTokens) return;
      std::string text = e.kind == RunEvent::Kind::kDesign ? "[design] written"
                                                           : FormatRunEvent(e);
      text = name + " " + text.substr(0, text.find('\n'));
      if (terminal_) {
        progress_->Status(text);
      } else if (e.kind != RunEvent::Kind::kStatus) {
        progress_->Line(text);
      }
    };
  }

  Status Write() {
    std::lock_guard<std::mutex> lock(mu_);
    return WriteLocked();
  }

  // The finished rows read back, then this bench's in task order.
  Status WriteLocked() {
    BenchResults r = results_;
    for (const auto& row : fresh_) {
      if (row) r.rows.push_back(*row);
    }
    Json j = BenchResultsJson(r);
    AKG_RETURN_IF_ERROR(WriteFileAtomic(
        out_ / kResultsFile, j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"));
    AKG_RETURN_IF_ERROR(WriteFileAtomic(out_ / kResultsMarkdown, BenchMarkdown(r)));
    written_ = std::move(r);
    return Status::Ok();
  }

  Session* session_;
  const BenchOptions& options_;
  fs::path out_;
  BenchResults results_;  // the header and the rows read back by --resume
  std::vector<BenchTask> todo_;
  std::vector<std::optional<BenchRow>> fresh_;  // per todo_ entry, once it ended
  Progress* progress_;
  bool terminal_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::optional<BenchRow> agent_error_;
  std::mutex mu_;
  Status write_error_;
  BenchResults written_;  // what results.json holds now
};

}  // namespace

int RunBenchCommand(const BenchOptions& o, const BenchDeps& deps) {
  auto plan = PlanFromFlags(o);
  if (!plan.ok()) return Fail(o, deps, plan.status());
  bool terminal = !o.json && deps.env->StdoutIsTerminal();
  Progress progress(deps.err, terminal);
  // Each run repeats the session's notices (e.g. "no LLM is configured"): each is said once.
  auto said = std::make_shared<std::pair<std::mutex, std::set<std::string>>>();
  NoteSink notes = [&progress, said](const std::string& note) {
    std::lock_guard<std::mutex> lock(said->first);
    if (said->second.insert(note).second) progress.Line("akg_cli: note: " + note);
  };
  auto session = Session::Open(plan->session, deps.env, notes);
  if (!session.ok()) return Fail(o, deps, session.status());
  Session* s = session->get();

  BenchResults results;
  if (plan->resumed) {
    results = *plan->resumed;
    results.resumes.push_back({o.command_line, s->env().clock()->NowIso8601()});
    results.finished_utc.clear();
    results.interrupted = false;
  } else {
    results.target = s->target();
    results.workflow = o.workflow.empty() ? s->config().default_workflow : o.workflow;
    results.devices = o.devices;
    results.command = o.command_line;
    results.started_utc = s->env().clock()->NowIso8601();
  }
  if (Status w = CheckWorkflow(results.workflow); !w.ok()) return Fail(o, deps, w);
  if (const WorkflowInfo* w = FindWorkflow(results.workflow); w->search && !s->unverifiable().empty()) {
    return Fail(o, deps, UsageError("--workflow " + results.workflow + " cannot run on this "
                                    "machine: " + s->unverifiable() + " to measure its candidates; "
                                    "run the search on a machine with a CUDA GPU"));
  }
  auto out = OutFolder(o, *s);
  if (!out.ok()) return Fail(o, deps, out.status());

  std::vector<std::string> names;
  for (const BenchTask& t : plan->tasks) names.push_back(t.name);
  std::vector<BenchTask> todo;
  for (size_t i : TasksToRun(names, &results.rows)) todo.push_back(plan->tasks[i]);
  if (plan->resumed) {
    progress.Line("akg_cli: note: resuming " + out->string() + ": " +
                  std::to_string(results.rows.size()) + " tasks done, " +
                  std::to_string(todo.size()) + " to run");
  }

  Bench bench(s, o, *out, std::move(results), std::move(todo), &progress, terminal);
  Status ran = bench.RunAll();
  progress.Finish();
  if (!ran.ok()) return Fail(o, deps, ran);
  const BenchResults& done = bench.written();
  if (o.json) {
    *deps.out << BenchResultsJson(done).dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  } else {
    *deps.out << FormatBenchTable(done.rows) << "\n" << FormatFigures(ComputeFigures(done.rows))
              << "\nresults: " << (*out / kResultsFile).string() << "\n";
  }
  if (const BenchRow* broken = bench.agent_error(); broken && !done.interrupted) {
    *deps.err << "akg_cli: error: task " << broken->task << ": " << broken->why
              << "; the bench stopped (the agent failed, not the task): fix it and continue with "
              << "the same command and --resume " << out->string() << "\n";
    return 1;
  }
  if (done.interrupted) {
    *deps.err << "akg_cli: interrupted: " << bench.unfinished() << " tasks not finished; "
              << "continue with the same command and --resume " << out->string() << "\n";
    return 130;
  }
  return 0;
}

std::function<int()> SetupBenchCommand(CLI::App* cmd, const std::string& command_line) {
  auto o = std::make_shared<BenchOptions>();
  o->command_line = command_line;
  cmd->add_option("tasks", o->inputs, "a folder of task files (its *.py, not recursive) or task files");
  cmd->add_option("--framework", o->framework, "framework of the reference")->default_val("torch");
  cmd->add_option("--backend", o->backend, "cuda | cpu | ascend (required)");
  cmd->add_option("--arch", o->arch, "e.g. x86_64, h100, a100, ascend910b4 (required)");
  cmd->add_option("--dsl", o->dsl,
                  "triton_cuda | cuda | tilelang_cuda | cpp | triton_ascend (required)");
  cmd->add_option("--workflow", o->workflow,
                  "default | coder_only | kernelgen_only | evolve | adaptive_search (default: the "
                  "config's default_workflow)");
  cmd->add_option("--devices", o->devices,
                  "comma list of device ids; as many tasks run at once")->default_val("0");
  cmd->add_option("--config", o->config_file, "YAML overriding configs/<dsl>.yaml key by key");
  cmd->add_option("--out", o->out_dir,
                  "the bench folder: results.json, results.md, one run folder per task "
                  "(default: <log_dir>/bench-<time>)");
  cmd->add_option("--resume", o->resume,
                  "continue the bench in this folder: run only the tasks without a row");
  cmd->add_flag("--json", o->json,
                "print results.json's object on stdout instead of the table; progress goes to stderr");
  cmd->footer(
      "\nExit code: 0 the suite ran (whatever the verdicts), 2 bad input, 130 interrupted.\n"
      "Examples:\n"
      "  akg_cli bench examples/tasks --backend cpu --arch x86_64 --dsl cpp\n"
      "  akg_cli bench bench/gpu_tasks --backend cuda --arch h100 --dsl triton_cuda --devices 0,1\n"
      "  akg_cli bench examples/tasks --backend cpu --arch x86_64 --dsl cpp --resume runs/bench-X\n");
  return [o] {
    SystemEnv env;
    BenchDeps deps{&env, &std::cout, &std::cerr};
    return RunBenchCommand(*o, deps);
  };
}

}  // namespace akg
