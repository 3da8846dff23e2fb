#include "session/session.h"

#include <stdlib.h>

#include <mutex>
#include <system_error>

#include <fmt/format.h>

namespace akg {
namespace {

namespace fs = std::filesystem;

// Processors needed to inspect a task in a Python of its own while slot 0's server imports
// torch (fewer: the inspection waits for the server instead; on a 2-core machine the two
// imports of torch only slow each other: the CPU example took 4% longer).
constexpr unsigned kCoresToInspectBesideStart = 4;

// The models: settings files and environment, or --replay of an earlier run.
Result<LlmSettings> SessionLlmSettings(const SessionOptions& o, const Env& env) {
  AKG_ASSIGN_OR_RETURN(LlmSettings settings, LoadLlmSettings(env.WorkingDir(), env.Lookup()));
  if (o.replay.empty()) return settings;
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
  return settings;
}

Result<fs::path> MakeTempRoot() {
  std::string tmpl = (fs::temp_directory_path() / "akg-run-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return InternalError("cannot create a temporary folder in " + tmpl);
  }
  return fs::path(tmpl);
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

Session::Session(const SessionOptions& options, Env* env, NoteSink notes)
    : options_(options), env_(env), notes_(std::move(notes)), home_(AkgHome(*env)) {
  if (!notes_) notes_ = [](const std::string&) {};
}

Session::~Session() {
  token_.Cancel();  // anything of a run still in flight stops
  pool_ = OwnedDevicePool();
  harness_.reset();  // stops the warm servers before their folders go
  std::error_code ec;
  if (!work_root_.empty()) fs::remove_all(work_root_, ec);
}

Result<std::unique_ptr<Session>> Session::Open(const SessionOptions& options, Env* env,
                                               NoteSink notes) {
  std::unique_ptr<Session> s(new Session(options, env, std::move(notes)));
  AKG_RETURN_IF_ERROR(s->Init());
  return s;
}

Status Session::Init() {
  const Target& t = options_.target;
  if (t.backend.empty() || t.arch.empty() || t.dsl.empty()) {
    return UsageError("give --backend, --arch and --dsl (or --resume RUN_FOLDER)");
  }
  AKG_ASSIGN_OR_RETURN(row_, ValidateTarget(t));
  AKG_ASSIGN_OR_RETURN(devices_, ParseDevices(options_.devices));
  std::optional<fs::path> override_file;
  if (!options_.config_file.empty()) override_file = options_.config_file;
  AKG_ASSIGN_OR_RETURN(config_, LoadDslConfig(home_ / "configs", t.dsl, override_file));
  AKG_ASSIGN_OR_RETURN(llm_settings_, SessionLlmSettings(options_, *env_));
  std::vector<fs::path> skill_roots = {home_ / "skills"};
  for (const auto& d : llm_settings_.skills_dirs) skill_roots.push_back(d);
  AKG_ASSIGN_OR_RETURN(skills_, LoadSkills(skill_roots));

  AKG_ASSIGN_OR_RETURN(work_root_, MakeTempRoot());
  interpreter_ = t.dsl == "triton_cuda" && !env_->HasCudaDevice();
  if (interpreter_) {
    notes_("no CUDA device on this machine: Triton kernels run under Triton's interpreter on "
           "the CPU (correctness only; times are not performance)");
  }
  // CUDA C and TileLang kernels need the device itself: without one, candidates are built on the
  // CPU (static rules, nvcc for the target's SM) and the run stops there, never as a pass.
  if (row_.harness_device == "cuda" && !interpreter_ && !env_->HasCudaDevice()) {
    unverifiable_ = "not verified: no CUDA device";
    notes_("no CUDA device on this machine: " + t.dsl + " kernels are generated, checked against "
           "the static rules and compiled for " + CudaSmOf(t.arch) + " on the CPU, but not run; "
           "verify and profile them on a machine with a CUDA GPU");
  }
  if (!options_.replay.empty()) notes_("replaying the LLM transcript of " + options_.replay);

  // The device pool: slot 0 is the client that inspects tasks (same device); the other slots'
  // servers start now, importing torch while the task is inspected.
  harness_ = std::make_unique<HarnessClient>(env_->runner(), MakeHarnessOptions());
  pool_ = MakeDevicePool(env_->runner(), harness_->options(), devices_, config_.search.cpu_slots,
                         env_->clock(), harness_.get());
  if (env_->Cores() >= kCoresToInspectBesideStart) harness_->StartInBackground();
  return Status::Ok();
}

// The harness children's settings (slot 0; the device pool derives the others).
HarnessOptions Session::MakeHarnessOptions() const {
  HarnessOptions ho;
  ho.python = FindHarnessPython(*env_, config_.python);
  ho.harness_dir = home_ / "harness";
  ho.work_root = work_root_ / "harness";
  ho.bytecode_cache = DefaultCacheDir() / "pycache";
  ho.device = row_.harness_device;
  if (ho.device == "cuda") {
    ho.visible_devices = std::to_string(devices_.front());
    ho.cuda_arch = CudaSmOf(options_.target.arch);  // the same nvcc build on and off the GPU
  }
  if (!unverifiable_.empty()) {  // nothing runs on a device: inspect and build on the CPU
    ho.device = "cpu";
    ho.visible_devices.clear();
  }
  ho.triton_interpret = interpreter_;
  ho.limits.core_dumps = false;
  ho.limits.open_files = 4096;
  ho.mode = HarnessModeFromName(config_.harness_mode);
  // A warm server that cannot start (or dies for good) is said once per device, not hidden.
  auto note_mu = std::make_shared<std::mutex>();
  NoteSink notes = notes_;
  ho.on_note = [notes, note_mu](const std::string& note) {
    std::lock_guard<std::mutex> lock(*note_mu);
    notes(note);
  };
  return ho;
}

Result<fs::path> Session::RunWorkDir() {
  fs::path dir = work_root_ / fmt::format("run-{:03d}", ++runs_staged_);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("cannot create '" + dir.string() + "': " + ec.message());
  return dir;
}

Json Session::Peaks(const CancelToken* cancel) {
  std::lock_guard<std::mutex> lock(peaks_mu_);
  if (peaks_) return *peaks_;
  // Measured at most once per machine (then cached on disk). A lookup cut short by a cancel is
  // not kept: the next run asks again.
  PeaksLookup found = ResolvePeaks(home_ / "configs" / "arch_peaks.yaml", options_.target.arch,
                                   DefaultPeaksCacheDir(), harness_.get(), cancel);
  if (IsCancelled(cancel)) return found.peaks;
  if (!found.note.empty()) notes_(found.note);
  peaks_ = found.peaks;
  return *peaks_;
}

}  // namespace akg
