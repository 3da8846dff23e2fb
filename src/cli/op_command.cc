#include "cli/op_command.h"

#include <cstdlib>
#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "agents/agent_factory.h"
#include "builtin/intent.h"
#include "config/dsl_config.h"
#include "config/target.h"
#include "core/files.h"
#include "store/report.h"
#include "store/run_folder.h"
#include "store/standalone.h"
#include "verify/harness_client.h"
#include "verify/peaks.h"
#include "workflow/workflow.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

// Where configs/, harness/ and examples/ live: AKG_HOME, else the source tree it was built from.
fs::path HomeDir() {
  const char* home = std::getenv("AKG_HOME");
  return home && *home ? fs::path(home) : fs::path(AKG_SOURCE_DIR);
}

std::string HarnessPython(const DslConfig& config) {
  if (!config.python.empty()) return config.python;
  const char* env = std::getenv("AKG_PYTHON");
  return env && *env ? env : "python3";
}

// "2026-11-25T12:00:00Z" -> "20261125-120000", for folder names.
std::string FolderStamp(const std::string& iso) {
  std::string digits;
  for (char c : iso) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
  }
  return digits.size() >= 14 ? digits.substr(0, 8) + "-" + digits.substr(8, 6) : digits;
}

bool HostHasCudaDevice() { return fs::exists("/dev/nvidiactl"); }

// A temporary folder for one run's harness calls; removed when the run ends.
class WorkRoot {
 public:
  static Result<WorkRoot> Make() {
    std::string tmpl = (fs::temp_directory_path() / "akg-run-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return InternalError("cannot create a temporary folder in " + tmpl);
    return WorkRoot(tmpl);
  }
  WorkRoot(WorkRoot&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ~WorkRoot() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit WorkRoot(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

struct Prepared {
  Target target;
  TargetRow row;
  DslConfig config;
  std::string workflow;
  std::vector<int> devices;
};

Result<Prepared> PrepareInputs(const OpOptions& o) {
  Prepared p;
  p.target = {o.framework, o.backend, o.arch, o.dsl};
  AKG_ASSIGN_OR_RETURN(p.row, ValidateTarget(p.target));
  AKG_ASSIGN_OR_RETURN(p.devices, ParseDevices(o.devices));
  if (o.task_file.empty() == o.intent.empty()) {
    return UsageError("give exactly one of --task FILE or --intent TEXT");
  }
  if (!o.task_file.empty() && !fs::is_regular_file(o.task_file)) {
    return InputError("task file '" + o.task_file + "' does not exist; check the --task path");
  }
  std::optional<fs::path> override_file;
  if (!o.config_file.empty()) override_file = o.config_file;
  AKG_ASSIGN_OR_RETURN(p.config, LoadDslConfig(HomeDir() / "configs", o.dsl, override_file));
  p.workflow = o.workflow.empty() ? p.config.default_workflow : o.workflow;
  if (!WorkflowImplemented(p.workflow)) {
    return UnsupportedError("workflow '" + p.workflow +
                            "' is not available in this build yet; use --workflow default or "
                            "--workflow coder_only");
  }
  return p;
}

// Writes the task to <work>/task.py (from the file or the sentence) and inspects it.
Result<TaskInfo> StageTask(const OpOptions& o, const fs::path& work, HarnessClient* harness,
                           const DslConfig& config) {
  TaskInfo task;
  if (!o.task_file.empty()) {
    AKG_ASSIGN_OR_RETURN(task.source, ReadFile(o.task_file));
    task.name = fs::path(o.task_file).stem().string();
  } else {
    AKG_ASSIGN_OR_RETURN(task.source, TaskSourceFromIntent(o.intent));
    task.name = "intent";
  }
  task.task_path = work / "task.py";
  AKG_RETURN_IF_ERROR(WriteFileAtomic(task.task_path, task.source));
  AKG_ASSIGN_OR_RETURN(task.inspection,
                       harness->Inspect(task.task_path, config.verify_settings.seed,
                                        config.inspect_timeout));
  return task;
}

Status WriteResults(const RunFolder& run, RunSummary* summary, const WorkflowOutcome& outcome) {
  if (const Attempt* a = outcome.passing()) {
    AKG_ASSIGN_OR_RETURN(std::string code, ReadFile(run.Resolve(a->code_path)));
    AKG_ASSIGN_OR_RETURN(std::string loader,
                         ReadFile(HomeDir() / "harness" / "akg_harness" / "native.py"));
    AKG_RETURN_IF_ERROR(run.WriteText("kernel.py", InlineNativeLoader(code, loader)));
    summary->final_kernel = "kernel.py";
  }
  AKG_RETURN_IF_ERROR(run.WriteJson("report.json", BuildReportJson(*summary)));
  return run.WriteText("report.md", BuildReportMarkdown(*summary));
}

int ExitCodeFor(const Status& s) {
  if (s.kind() == ErrorKind::kCancelled) return 130;
  if (s.kind() == ErrorKind::kInternal) return 1;
  return 2;
}

int Fail(const OpDeps& deps, const Status& s) {
  *deps.err << "akg_cli: error: " << s.message() << "\n";
  return ExitCodeFor(s);
}

}  // namespace

Result<std::vector<int>> ParseDevices(const std::string& text) {
  std::vector<int> ids;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos || item.size() > 4) {
      return UsageError("bad device id '" + item + "' in --devices '" + text +
                        "'; use a comma list such as 0,1");
    }
    ids.push_back(std::stoi(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return ids;
}

int RunOpCommand(const OpOptions& o, const OpDeps& deps) {
  double t0 = deps.clock->NowSeconds();
  std::string started = deps.clock->NowIso8601();
  auto prepared = PrepareInputs(o);
  if (!prepared.ok()) return Fail(deps, prepared.status());
  Prepared& p = *prepared;

  auto work = WorkRoot::Make();
  if (!work.ok()) return Fail(deps, work.status());
  HarnessOptions ho;
  ho.python = HarnessPython(p.config);
  ho.harness_dir = HomeDir() / "harness";
  ho.work_root = work->path();
  ho.device = p.row.harness_device;
  if (ho.device == "cuda") ho.visible_devices = std::to_string(p.devices.front());
  bool interpreter = p.target.dsl == "triton_cuda" && !HostHasCudaDevice();
  ho.triton_interpret = interpreter;
  ho.limits.core_dumps = false;
  ho.limits.open_files = 4096;
  HarnessClient harness(deps.runner, ho);
  if (interpreter) {
    *deps.err << "akg_cli: note: no CUDA device on this machine: Triton kernels run under "
                 "Triton's interpreter on the CPU (correctness only; times are not performance)\n";
  }

  *deps.out << "[task] inspecting the task with the harness\n";
  auto task = StageTask(o, work->path(), &harness, p.config);
  if (!task.ok()) return Fail(deps, task.status());

  AgentSet agents = MakeAgents(p.config);
  if (!agents.notice.empty()) *deps.err << "akg_cli: note: " << agents.notice << "\n";

  fs::path run_path = o.out_dir.empty()
                          ? DefaultRunFolderPath(p.config.log_dir, FolderStamp(started), task->name, o.dsl)
                          : fs::path(o.out_dir);
  auto run = RunFolder::Create(run_path);
  if (!run.ok()) return Fail(deps, run.status());
  if (auto s = run->WriteText("task.py", task->source); !s.ok()) return Fail(deps, s);
  if (auto s = run->WriteJson("inspect.json", task->inspection); !s.ok()) return Fail(deps, s);
  task->task_path = run->Resolve("task.py");

  WorkflowContext ctx;
  ctx.task = &*task;
  ctx.target = p.target;
  ctx.config = &p.config;
  ctx.designer = agents.designer.get();
  ctx.kernel_gen = agents.kernel_gen.get();
  ctx.harness = &harness;
  ctx.run = &*run;
  PeaksLookup peaks = ResolvePeaks(HomeDir() / "configs" / "arch_peaks.yaml", p.target.arch,
                                   DefaultPeaksCacheDir(), &harness);
  if (!peaks.note.empty()) *deps.err << "akg_cli: note: " << peaks.note << "\n";
  ctx.peaks = peaks.peaks;
  ctx.log = [&deps](const std::string& line) { *deps.out << line << "\n" << std::flush; };
  ctx.cancelled = [] { return CancelRequested(); };
  auto outcome = RunGenerateVerifyWorkflow(ctx, p.workflow);
  if (!outcome.ok()) {
    std::error_code ec;
    fs::remove_all(run->path(), ec);  // nothing useful was produced
    Status s = outcome.status();
    if (s.kind() == ErrorKind::kUnsupported) {
      s = UnsupportedError(s.message() +
                           "; such tasks need an LLM-backed agent, which this build does not "
                           "include yet (only the builtin model)");
    }
    return Fail(deps, s);
  }

  RunSummary summary{&*task, p.target, &p.config, &*outcome, agents.models, run->path().string(),
                     "", o.command_line, started, deps.clock->NowSeconds() - t0, interpreter};
  if (auto s = WriteResults(*run, &summary, *outcome); !s.ok()) return Fail(deps, s);
  *deps.out << "\n" << FormatFinalTable(summary);
  if (outcome->interrupted) return 130;
  return outcome->passing() ? 0 : 1;
}

}  // namespace akg
