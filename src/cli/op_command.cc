#include "cli/op_command.h"

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <filesystem>
#include <ostream>
#include <thread>

#include <fmt/format.h>

#include "agents/agent_factory.h"
#include "agents/task_constructor.h"
#include "builtin/intent.h"
#include "config/dsl_config.h"
#include "config/target.h"
#include "core/files.h"
#include "llm/accounting.h"
#include "llm/registry.h"
#include "llm/settings.h"
#include "llm/transcript.h"
#include "skills/skills.h"
#include "store/report.h"
#include "store/run_folder.h"
#include "store/standalone.h"
#include "verify/harness_client.h"
#include "verify/peaks.h"
#include "workflow/device_pool.h"
#include "workflow/progress.h"
#include "workflow/workflow.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

// Processors needed to inspect the task in a Python of its own while slot 0's server imports
// torch (fewer: the inspection waits for the server instead).
constexpr unsigned kCoresToInspectBesideStart = 4;

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
  OpOptions options;  // as given, or as recorded in the resumed run's run.json
  Target target;
  TargetRow row;
  DslConfig config;
  std::string workflow;
  std::vector<int> devices;
};

// --resume: the interrupted run's own target, workflow, devices and --config.
Result<OpOptions> OptionsOfRun(const OpOptions& o) {
  if (!o.task_file.empty() || !o.intent.empty() || !o.out_dir.empty()) {
    return UsageError("--resume continues the run in its own folder with its own task; drop "
                      "--task, --intent and --out");
  }
  fs::path run = o.resume;
  auto text = ReadFile(run / "run.json");
  if (!text.ok()) {
    return UsageError("'" + o.resume + "' is not a run folder of this agent (no run.json); give "
                      "--resume the folder an earlier run printed");
  }
  AKG_ASSIGN_OR_RETURN(Json j, ParseJson(*text, (run / "run.json").string()));
  OpOptions r = o;
  r.framework = StringOr(j, "framework", "torch");
  r.backend = StringOr(j, "backend", "");
  r.arch = StringOr(j, "arch", "");
  r.dsl = StringOr(j, "dsl", "");
  r.devices = StringOr(j, "devices", "0");
  r.workflow = StringOr(j, "workflow", "");
  if (fs::exists(run / "config_override.yaml")) r.config_file = (run / "config_override.yaml").string();
  if (r.workflow != "evolve" && r.workflow != "adaptive_search") {
    return UsageError("'" + o.resume + "' is a " + r.workflow + " run; only evolve and "
                      "adaptive_search runs can be resumed");
  }
  return r;
}

Status CheckWorkflowInputs(const OpOptions& o, const std::string& workflow) {
  if (!WorkflowImplemented(workflow)) {
    return UnsupportedError("workflow '" + workflow + "' is not available in this build");
  }
  if (workflow == "verifier_only") {
    if (o.kernel_file.empty()) return UsageError("--workflow verifier_only needs --kernel FILE");
    if (!fs::is_regular_file(o.kernel_file)) {
      return InputError("kernel file '" + o.kernel_file + "' does not exist; check the --kernel path");
    }
  } else if (!o.kernel_file.empty()) {
    return UsageError("--kernel is only for --workflow verifier_only");
  }
  return Status::Ok();
}

Result<Prepared> PrepareInputs(const OpOptions& given) {
  Prepared p;
  if (!given.resume.empty()) {
    AKG_ASSIGN_OR_RETURN(p.options, OptionsOfRun(given));
  } else {
    p.options = given;
  }
  const OpOptions& o = p.options;
  if (o.backend.empty() || o.arch.empty() || o.dsl.empty()) {
    return UsageError("give --backend, --arch and --dsl (or --resume RUN_FOLDER)");
  }
  p.target = {o.framework, o.backend, o.arch, o.dsl};
  AKG_ASSIGN_OR_RETURN(p.row, ValidateTarget(p.target));
  AKG_ASSIGN_OR_RETURN(p.devices, ParseDevices(o.devices));
  if (o.resume.empty()) {
    if (o.task_file.empty() == o.intent.empty()) {
      return UsageError("give exactly one of --task FILE or --intent TEXT");
    }
    if (!o.task_file.empty() && o.task_file != "-" && !fs::is_regular_file(o.task_file)) {
      return InputError("task file '" + o.task_file + "' does not exist; check the --task path");
    }
  }
  std::optional<fs::path> override_file;
  if (!o.config_file.empty()) override_file = o.config_file;
  AKG_ASSIGN_OR_RETURN(p.config, LoadDslConfig(HomeDir() / "configs", o.dsl, override_file));
  p.workflow = o.workflow.empty() ? p.config.default_workflow : o.workflow;
  AKG_RETURN_IF_ERROR(CheckWorkflowInputs(o, p.workflow));
  return p;
}

// What --resume needs to continue the run: written at the start of every run.
Status WriteRunRecord(const RunFolder& run, const Prepared& p, const std::string& task_name) {
  const OpOptions& o = p.options;
  if (!o.config_file.empty()) {
    AKG_ASSIGN_OR_RETURN(std::string text, ReadFile(o.config_file));
    AKG_RETURN_IF_ERROR(run.WriteText("config_override.yaml", text));
  }
  return run.WriteJson("run.json", {{"framework", o.framework}, {"backend", o.backend},
                                    {"arch", o.arch}, {"dsl", o.dsl}, {"devices", o.devices},
                                    {"workflow", p.workflow}, {"task_name", task_name},
                                    {"config_override", !o.config_file.empty()}});
}

// The task of a resumed run, from its folder (inspected when the run began).
Result<TaskInfo> TaskOfRun(const RunFolder& run) {
  TaskInfo task;
  task.task_path = run.Resolve("task.py");
  AKG_ASSIGN_OR_RETURN(task.source, ReadFile(task.task_path));
  AKG_ASSIGN_OR_RETURN(std::string inspection, ReadFile(run.Resolve("inspect.json")));
  AKG_ASSIGN_OR_RETURN(task.inspection, ParseJson(inspection, run.Resolve("inspect.json").string()));
  AKG_ASSIGN_OR_RETURN(std::string record, ReadFile(run.Resolve("run.json")));
  AKG_ASSIGN_OR_RETURN(Json j, ParseJson(record, run.Resolve("run.json").string()));
  task.name = StringOr(j, "task_name", "task");
  return task;
}

// The models of a run: settings files and environment, or --replay of an earlier run.
Result<LlmSettings> RunLlmSettings(const OpOptions& o) {
  AKG_ASSIGN_OR_RETURN(LlmSettings settings, LoadLlmSettings(fs::current_path(), ProcessEnvLookup()));
  if (!o.replay.empty()) {
    fs::path transcript = fs::path(o.replay) / "llm" / "transcript.jsonl";
    if (!fs::is_regular_file(transcript)) {
      return UsageError("--replay '" + o.replay + "' has no llm/transcript.jsonl; give the run "
                        "folder of an earlier run whose agents used an LLM");
    }
    ModelSpec replay;
    replay.name = "replay";
    replay.provider = "replay";
    replay.replay_path = transcript.string();
    settings.models = {{"replay", replay}};
    settings.levels = {{"complex", "replay"}, {"standard", "replay"}, {"fast", "replay"}};
  }
  return settings;
}

// Writes the task to <work>/task.py (from the file or the sentence) and inspects it. With an
// LLM for the task_constructor, a sentence becomes a task written by the model and pasted code
// without get_inputs/get_init_inputs is completed; offline, the builtin catalogue serves
// sentences.
Result<TaskInfo> StageTask(const OpOptions& o, const fs::path& work, HarnessClient* harness,
                           const DslConfig& config, LlmClient* constructor_llm,
                           const Target& target) {
  TaskInfo task;
  TaskConstructorOptions tco;
  tco.prompts_dir = HomeDir() / "prompts";
  tco.work_dir = work;
  tco.file_stem = "task";
  tco.target = target;
  tco.inspect_seed = config.verify_settings.seed;
  tco.inspect_timeout_s = config.inspect_timeout;
  if (o.task_file == "-") {  // pasted code
    task.source.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (task.source.find_first_not_of(" \n\t\r") == std::string::npos) {
      return InputError("--task - read no code from stdin; pipe or paste the PyTorch code");
    }
    task.name = "pasted";
  } else if (!o.task_file.empty()) {
    AKG_ASSIGN_OR_RETURN(task.source, ReadFile(o.task_file));
    task.name = fs::path(o.task_file).stem().string();
  }
  if (!o.task_file.empty()) {
    if (!FindTaskPieces(task.source).complete()) {
      TaskConstructor constructor(constructor_llm, harness, tco);
      AKG_ASSIGN_OR_RETURN(ConstructedTask made, constructor.FromCode(task.source));
      task.source = made.source;
      task.task_path = made.path;
      task.inspection = made.inspection;
      return task;
    }
  } else if (constructor_llm != nullptr) {
    TaskConstructor constructor(constructor_llm, harness, tco);
    AKG_ASSIGN_OR_RETURN(ConstructedTask made, constructor.FromSentence(o.intent));
    task.source = made.source;
    task.task_path = made.path;
    task.inspection = made.inspection;
    task.name = "intent";
    return task;
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
  const Attempt* final = outcome.passing();
  // kernelgen_only: the kernel that passed the static rules, marked as never verified.
  bool unverified = outcome.unverified && !outcome.attempts.empty() &&
                    outcome.attempts[0].verdict.passed();
  if (unverified) final = &outcome.attempts[0];
  if (final != nullptr) {
    AKG_ASSIGN_OR_RETURN(std::string code, ReadFile(run.Resolve(final->code_path)));
    AKG_ASSIGN_OR_RETURN(std::string loader,
                         ReadFile(HomeDir() / "harness" / "akg_harness" / "native.py"));
    std::string header = unverified ? "# UNVERIFIED: written by the kernelgen_only workflow and "
                                      "never run against the reference.\n"
                                    : "";
    AKG_RETURN_IF_ERROR(run.WriteText("kernel.py", header + InlineNativeLoader(code, loader)));
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

namespace {

// The harness children's settings for this run (slot 0; the device pool derives the others).
HarnessOptions MakeHarnessOptions(const Prepared& p, const fs::path& work_root, bool interpreter,
                                  std::ostream* err) {
  HarnessOptions ho;
  ho.python = HarnessPython(p.config);
  ho.harness_dir = HomeDir() / "harness";
  ho.work_root = work_root;
  ho.bytecode_cache = DefaultCacheDir() / "pycache";
  ho.device = p.row.harness_device;
  if (ho.device == "cuda") {
    ho.visible_devices = std::to_string(p.devices.front());
    ho.cuda_arch = CudaSmOf(p.target.arch);  // the same nvcc build on and off the GPU
  }
  ho.triton_interpret = interpreter;
  ho.limits.core_dumps = false;
  ho.limits.open_files = 4096;
  ho.mode = HarnessModeFromName(p.config.harness_mode);
  // A warm server that cannot start (or dies for good) is said once per device, not hidden.
  auto note_mu = std::make_shared<std::mutex>();
  ho.on_note = [err, note_mu](const std::string& note) {
    std::lock_guard<std::mutex> lock(*note_mu);
    *err << "akg_cli: note: " << note << "\n";
  };
  return ho;
}

// A new run folder with the task, its inspection and the run record; the task then points at
// the folder's copy.
Result<RunFolder> CreateRunFolder(const Prepared& p, const std::string& started, TaskInfo* task) {
  const OpOptions& o = p.options;
  fs::path run_path = o.out_dir.empty()
                          ? DefaultRunFolderPath(p.config.log_dir, FolderStamp(started), task->name, o.dsl)
                          : fs::path(o.out_dir);
  AKG_ASSIGN_OR_RETURN(RunFolder run, RunFolder::Create(run_path));
  AKG_RETURN_IF_ERROR(run.WriteText("task.py", task->source));
  AKG_RETURN_IF_ERROR(run.WriteJson("inspect.json", task->inspection));
  AKG_RETURN_IF_ERROR(WriteRunRecord(run, p, task->name));
  task->task_path = run.Resolve("task.py");
  return run;
}

// A workflow that ended in an error: nothing useful was produced (unless resuming), and a task
// the builtin model cannot write says how to get an LLM-backed agent.
Status WorkflowFailure(const Status& failed, bool resume, const RunFolder& run) {
  std::error_code ec;
  if (!resume) fs::remove_all(run.path(), ec);
  if (failed.kind() != ErrorKind::kUnsupported) return failed;
  return UnsupportedError(failed.message() +
                          "; such tasks need an LLM-backed agent: configure a model in "
                          ".akg/settings.yaml or AKG_STANDARD_MODEL/AKG_STANDARD_BASE_URL");
}

// The task of the run being resumed (its folder opened into *run), or the user's input staged
// and inspected (TaskConstructor for pasted code or a sentence).
Result<TaskInfo> ResumeOrStageTask(const Prepared& p, const fs::path& work, HarnessClient* harness,
                                   ModelRegistry* registry, std::ostream* out,
                                   std::optional<RunFolder>* run) {
  const OpOptions& o = p.options;
  if (!o.resume.empty()) {
    AKG_ASSIGN_OR_RETURN(RunFolder opened, RunFolder::Open(o.resume));
    *run = opened;
    return TaskOfRun(**run);
  }
  *out << "[task] inspecting the task with the harness" << std::endl;
  AKG_ASSIGN_OR_RETURN(auto constructor_llm,
                       registry->ForLevel(AgentLevel(p.config, "task_constructor")));
  return StageTask(o, work, harness, p.config, constructor_llm.get(), p.target);
}

WorkflowContext MakeWorkflowContext(const Prepared& p, const TaskInfo* task, const AgentSet& agents,
                                    HarnessClient* harness, DevicePool* pool, RunFolder* run,
                                    Clock* clock, Ledger* ledger, Progress* progress) {
  WorkflowContext ctx;
  ctx.task = task;
  ctx.target = p.target;
  ctx.config = &p.config;
  ctx.designer = agents.designer.get();
  ctx.kernel_gen = agents.kernel_gen.get();
  ctx.harness = harness;
  ctx.pool = pool;
  ctx.run = run;
  ctx.clock = clock;
  ctx.kernel_file = p.options.kernel_file;
  ctx.resume = !p.options.resume.empty();
  ctx.budget_exhausted = [ledger](std::string* why) { return ledger->BudgetExhausted(why); };
  ctx.log = [progress](const std::string& line) { progress->Line(line); };
  ctx.status = [progress](const std::string& line) { progress->Status(line); };
  ctx.cancel = &ProcessCancelToken();
  return ctx;
}

// 0: a kernel passed (or, unverified, the one attempt did); 1: none did; 130: interrupted.
int ExitCodeOf(const WorkflowOutcome& outcome) {
  if (outcome.interrupted) return 130;
  if (outcome.unverified) return outcome.attempts[0].verdict.passed() ? 0 : 1;
  return outcome.passing() ? 0 : 1;
}

}  // namespace

int RunOpCommand(const OpOptions& given, const OpDeps& deps) {
  double t0 = deps.clock->NowSeconds();
  std::string started = deps.clock->NowIso8601();
  auto prepared = PrepareInputs(given);
  if (!prepared.ok()) return Fail(deps, prepared.status());
  Prepared& p = *prepared;
  const OpOptions& o = p.options;

  auto work = WorkRoot::Make();
  if (!work.ok()) return Fail(deps, work.status());
  bool interpreter = p.target.dsl == "triton_cuda" && !HostHasCudaDevice();
  HarnessOptions ho = MakeHarnessOptions(p, work->path(), interpreter, deps.err);
  HarnessClient harness(deps.runner, ho);
  if (interpreter) {
    *deps.err << "akg_cli: note: no CUDA device on this machine: Triton kernels run under "
                 "Triton's interpreter on the CPU (correctness only; times are not performance)\n";
  }

  // Models: settings files, environment or --replay; every call accounted and recorded.
  auto llm_settings = RunLlmSettings(o);
  if (!llm_settings.ok()) return Fail(deps, llm_settings.status());
  Ledger ledger(deps.clock, llm_settings->budget);
  auto recorder = std::make_shared<TranscriptRecorder>(ApiKeys(*llm_settings));
  ModelRegistry registry(*llm_settings, LlmDeps{deps.runner, deps.clock}, &ledger, recorder);
  std::vector<fs::path> skill_roots = {HomeDir() / "skills"};
  for (const auto& d : llm_settings->skills_dirs) skill_roots.push_back(d);
  auto skills = LoadSkills(skill_roots);
  if (!skills.ok()) return Fail(deps, skills.status());
  if (!o.replay.empty()) *deps.err << "akg_cli: note: replaying the LLM transcript of " << o.replay << "\n";

  // The device pool: slot 0 is the client that inspects the task (same device); the other
  // slots' harness servers start now, importing torch while the task is inspected. With cores
  // to spare, slot 0's starts too and the inspection runs in a Python of its own beside it (an
  // inspection does not wait for a starting server); on a 2-core machine the two imports of
  // torch would only slow each other (the CPU example took 4% longer).
  OwnedDevicePool pool = MakeDevicePool(deps.runner, ho, p.devices, p.config.search.cpu_slots,
                                        deps.clock, &harness);
  if (std::thread::hardware_concurrency() >= kCoresToInspectBesideStart) harness.StartInBackground();

  std::optional<RunFolder> run;
  auto task = ResumeOrStageTask(p, work->path(), &harness, &registry, deps.out, &run);
  if (!task.ok()) return Fail(deps, task.status());

  // Agents: one block, chosen per model level from the config.
  PeaksLookup peaks = ResolvePeaks(HomeDir() / "configs" / "arch_peaks.yaml", p.target.arch,
                                   DefaultPeaksCacheDir(), &harness);
  if (!peaks.note.empty()) *deps.err << "akg_cli: note: " << peaks.note << "\n";
  AgentDeps agent_deps{&registry, &*skills, HomeDir() / "prompts", peaks.peaks};
  auto made_agents = MakeAgents(p.config, p.target, agent_deps);
  if (!made_agents.ok()) return Fail(deps, made_agents.status());
  AgentSet& agents = *made_agents;
  if (!agents.notice.empty()) *deps.err << "akg_cli: note: " << agents.notice << "\n";

  if (!run) {
    auto created = CreateRunFolder(p, started, &*task);
    if (!created.ok()) return Fail(deps, created.status());
    run = std::move(created).value();
  }

  if (auto st = recorder->Attach(run->Resolve("llm")); !st.ok()) return Fail(deps, st);

  Progress progress(deps.out, deps.terminal);
  WorkflowContext ctx = MakeWorkflowContext(p, &*task, agents, &harness, pool.pool.get(), &*run,
                                            deps.clock, &ledger, &progress);
  ctx.peaks = peaks.peaks;
  auto outcome = RunWorkflow(ctx, p.workflow);
  progress.Finish();
  if (!outcome.ok()) return Fail(deps, WorkflowFailure(outcome.status(), ctx.resume, *run));
  if (outcome->device_utilisation.is_null()) outcome->device_utilisation = pool.pool->Utilisation();

  RunSummary summary{&*task, p.target, &p.config, &*outcome, agents.models, run->path().string(),
                     "", given.command_line, started, deps.clock->NowSeconds() - t0, interpreter,
                     recorder->calls() > 0 ? ledger.ToJson() : Json(), agents.skills_used()};
  if (auto s = WriteResults(*run, &summary, *outcome); !s.ok()) return Fail(deps, s);
  *deps.out << "\n" << FormatFinalTable(summary);
  return ExitCodeOf(*outcome);
}

}  // namespace akg
