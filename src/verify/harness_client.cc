#include "verify/harness_client.h"

#include <fmt/format.h>

#include "core/files.h"
#include "verify/crash_report.h"
#include "verify/warm_harness.h"

namespace akg {
namespace {

// The harness's exit status when the task itself (not the candidate) broke; no result file.
constexpr int kTaskBrokenExit = 3;

// The harness's line for a task that ran out of memory ("akg_harness verify: the task is
// broken (out_of_memory): MESSAGE"), as one line for the user; "" for any other output.
std::string TaskOutOfMemory(const std::string& log) {
  const std::string marker = "the task is broken (out_of_memory): ";
  size_t at = log.find(marker);
  if (at == std::string::npos) return "";
  size_t start = at + marker.size();
  size_t end = log.find('\n', start);
  return "the task does not fit the device during verification: " +
         log.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of(" \n\r\t");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

bool MentionsMissingModule(const std::string& log, const std::string& module) {
  return log.find("No module named '" + module + "'") != std::string::npos;
}

std::string InspectErrorHint(const std::string& kind) {
  if (kind == "missing_model")
    return "a task must define class Model(nn.Module), get_inputs() and get_init_inputs()";
  if (kind == "missing_get_inputs")
    return "add get_inputs() and get_init_inputs() returning lists of forward/constructor arguments";
  if (kind == "reference_error") return "make the reference Model run on its own inputs first";
  if (kind == "load_error") return "fix the task file so that it imports";
  return "check the task file";
}

void ParseBaselinesAndSol(const Json& r, ProfileResult* p) {
  if (r.contains("baselines") && r["baselines"].is_object() &&
      r["baselines"].contains("torch_compile")) {
    const Json& tc = r["baselines"]["torch_compile"];
    if (tc.is_object() && tc.contains("median_ms")) {
      p->torch_compile = TimingStatsFromJson(tc);
    } else if (tc.is_object()) {
      p->torch_compile_error = StringOr(tc, "error", "torch.compile failed");
    }
  }
  if (r.contains("speedup_vs_torch_compile") && r["speedup_vs_torch_compile"].is_number()) {
    p->speedup_vs_torch_compile = r["speedup_vs_torch_compile"].get<double>();
  }
  if (r.contains("sol")) p->sol = r["sol"];
  if (r.contains("suspect") && r["suspect"].is_array()) {
    for (const auto& s : r["suspect"]) {
      if (s.is_string()) p->suspect.push_back(s.get<std::string>());
    }
  }
}

}  // namespace

std::string DescribeChildFailure(const ProcessResult& process) {
  std::string what = process.Describe();
  std::string last = LastLine(process.stderr_text);
  return last.empty() ? what : what + ": " + last;
}

HarnessMode HarnessModeFromName(const std::string& name) {
  return name == "warm" ? HarnessMode::kWarm : HarnessMode::kCold;
}

namespace {

ServerLauncher* DefaultLauncherFor(ProcessRunner* runner) {
  static PosixServerLauncher launcher;  // stateless
  return dynamic_cast<PosixProcessRunner*>(runner) != nullptr ? &launcher : nullptr;
}

}  // namespace

HarnessClient::HarnessClient(ProcessRunner* runner, HarnessOptions options)
    : HarnessClient(runner, DefaultLauncherFor(runner), std::move(options)) {}

HarnessClient::HarnessClient(ProcessRunner* runner, ServerLauncher* launcher,
                             HarnessOptions options)
    : runner_(runner), launcher_(launcher), options_(std::move(options)) {}

HarnessClient::~HarnessClient() {
  if (!starter_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(warm_mu_);
    if (warm_) warm_->AbortStart();  // closing early (a bad task, Ctrl-C): stop waiting
  }
  starter_.join();
}

void HarnessClient::StartInBackground() {
  WarmHarness* warm = Warm();
  if (warm == nullptr || starter_.joinable()) return;
  starting_in_background_ = true;
  starter_ = std::thread([this, warm] {
    Status s = warm->Start();
    starting_in_background_ = false;
    if (!s.ok() && s.kind() != ErrorKind::kCancelled) FallBackToCold(s.message());
  });
}

WarmHarness* HarnessClient::Warm() {
  std::lock_guard<std::mutex> lock(warm_mu_);
  if (options_.mode != HarnessMode::kWarm || launcher_ == nullptr || !cold_reason_.empty()) {
    return nullptr;
  }
  if (!warm_) {
    // The server gets what a harness child gets, in a folder of its own.
    auto folder = options_.work_root / "harness-server";
    std::error_code ec;
    std::filesystem::create_directories(folder / "tmp", ec);
    WarmHarnessOptions wo;
    wo.server.argv = {options_.python, "-m", "akg_harness.server"};
    wo.server.env = ChildEnvironment(folder);
    wo.server.cwd = folder;
    wo.start_timeout_s = options_.warm_start_timeout_s;
    warm_ = std::make_unique<WarmHarness>(launcher_, std::move(wo));
  }
  return warm_.get();
}

void HarnessClient::FallBackToCold(const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(warm_mu_);
    if (!cold_reason_.empty()) return;
    cold_reason_ = why;
  }
  if (options_.on_note) {
    options_.on_note(why + "; every harness call now starts its own Python process "
                     "(harness_mode: cold), which costs about 2 s more per call");
  }
}

std::string HarnessClient::ModeDescription() {
  std::lock_guard<std::mutex> lock(warm_mu_);
  if (!cold_reason_.empty()) return "cold (" + cold_reason_ + ")";
  return options_.mode == HarnessMode::kWarm && launcher_ != nullptr ? "warm" : "cold";
}

Json HarnessClient::WarmServerInfo() {
  std::lock_guard<std::mutex> lock(warm_mu_);
  return warm_ ? warm_->ServerInfo() : Json(nullptr);
}

ProcessResult HarnessClient::RunChild(const std::string& command, const ProcessSpec& spec,
                                      const std::filesystem::path& request_path,
                                      const std::filesystem::path& result_path) {
  // `static` imports no torch, so a cold child costs little; the warm server does not know it.
  // `counters` is cold by contract: ncu must start the process it measures (CountersRequest).
  WarmHarness* warm = command == "static" || command == "counters" ? nullptr : Warm();
  // A run's inspection never waits for a server still importing torch (StartInBackground):
  // it runs in its own Python beside the start, which then serves the candidates.
  if (warm != nullptr && command == "inspect" && starting_in_background_) warm = nullptr;
  if (warm != nullptr) {
    WarmRun run{command,      request_path,       result_path,  spec.cwd,
                spec.env,     spec.timeout_s,     spec.kill_grace_s, spec.limits,
                spec.max_output_bytes, spec.cancel};
    auto result = warm->Run(run);
    if (result.ok()) return std::move(result).value();
    FallBackToCold(result.status().message());
  }
  return runner_->Run(spec);
}

std::map<std::string, std::string> HarnessClient::ChildEnvironment(
    const std::filesystem::path& folder) const {
  // Only what a compiler and PyTorch need; secrets never pass (see ScrubbedEnvironment).
  auto env = ScrubbedEnvironment({"PATH", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "CXX", "CUDA_HOME",
                                  "CUDA_PATH", "OMP_NUM_THREADS", "TORCH_CUDA_ARCH_LIST"});
  env["HOME"] = folder.string();
  env["TMPDIR"] = (folder / "tmp").string();
  env["PYTHONPATH"] = options_.harness_dir.string();
  if (options_.bytecode_cache.empty()) {
    env["PYTHONDONTWRITEBYTECODE"] = "1";  // never __pycache__ folders in the harness's tree
  } else {
    env["PYTHONPYCACHEPREFIX"] = options_.bytecode_cache.string();  // one tree, outside it
  }
  env["PYTHONUNBUFFERED"] = "1";
  env["AKG_KERNEL_CACHE"] = (CacheRoot() / "kernel_cache").string();
  env["TRITON_CACHE_DIR"] = (CacheRoot() / "triton_cache").string();
  // torch.compile's baseline (the reference, compiled once per profile): its FX graph and
  // kernel caches, so the run's later profiles reuse the first one's compilation.
  env["TORCHINDUCTOR_CACHE_DIR"] = (CacheRoot() / "inductor_cache").string();
  if (!options_.visible_devices.empty()) env["CUDA_VISIBLE_DEVICES"] = options_.visible_devices;
  if (!options_.cuda_arch.empty()) env["AKG_CUDA_ARCH"] = options_.cuda_arch;
  if (options_.triton_interpret) env["TRITON_INTERPRET"] = "1";
  return env;
}

Result<HarnessClient::CallOutcome> HarnessClient::Call(
    const std::string& command, const Json& request, double timeout_s, const CancelToken* cancel,
    const std::map<std::string, std::string>& env_overrides) {
  int n = ++call_counter_;
  auto folder = options_.work_root / fmt::format("{:04d}-{}", n, command);
  std::error_code ec;
  std::filesystem::create_directories(folder / "tmp", ec);
  if (ec) return InternalError("cannot create harness folder '" + folder.string() + "': " + ec.message());
  auto request_path = folder / "request.json";
  auto result_path = folder / "result.json";
  AKG_RETURN_IF_ERROR(WriteFileAtomic(request_path, request.dump(2)));

  ProcessSpec spec;
  spec.argv = {options_.python, "-m", "akg_harness", command, "--request", request_path.string(),
               "--result", result_path.string()};
  spec.env = ChildEnvironment(folder);
  for (const auto& [k, v] : env_overrides) spec.env[k] = v;
  spec.cwd = folder;
  spec.timeout_s = timeout_s;
  spec.limits = options_.limits;
  spec.cancel = cancel;

  CallOutcome out;
  out.process = RunChild(command, spec, request_path, result_path);
  out.log = out.process.stdout_text;
  if (!out.process.stderr_text.empty()) out.log += (out.log.empty() ? "" : "\n") + out.process.stderr_text;
  // Before the start check: a call cancelled before it started never ran its Python.
  if (out.process.cancelled) return Status::Error(ErrorKind::kCancelled, "interrupted");
  if (!out.process.started) {
    return InternalError("cannot start the harness Python '" + options_.python + "': " +
                         out.process.start_error + "; set AKG_PYTHON or run scripts/setup.sh");
  }
  if (out.process.term_signal != 0) {
    auto record = ReadFile(folder / kNativeCallFile);
    if (record.ok()) out.native_call = *record;
  }
  auto text = ReadFile(result_path);
  if (text.ok()) {
    auto parsed = ParseJson(*text, result_path.string());
    // Anything but a JSON object is treated as no result at all.
    if (parsed.ok() && parsed->is_object()) out.result = std::move(parsed).value();
  }
  // Only a harness that wrote nothing can be missing its own imports; a candidate that merely
  // prints such a line gets its verdict like any other.
  if (!out.result &&
      (MentionsMissingModule(out.log, "torch") || MentionsMissingModule(out.log, "akg_harness"))) {
    return InternalError("the harness Python '" + options_.python +
                         "' cannot import torch or akg_harness; run scripts/setup.sh or set "
                         "AKG_PYTHON to a Python with torch");
  }
  return out;
}

Result<Json> HarnessClient::Inspect(const std::filesystem::path& task_path, int seed,
                                    double timeout_s, const CancelToken* cancel) {
  Json request = {{"task_path", task_path.string()}, {"device", options_.device}, {"seed", seed}};
  AKG_ASSIGN_OR_RETURN(CallOutcome out, Call("inspect", request, timeout_s, cancel));
  std::string file = task_path.string();
  if (out.process.timed_out) {
    return InputError(fmt::format("task file '{}': the reference did not finish within {:.0f} s; "
                                  "make the task smaller or raise inspect_timeout", file, timeout_s));
  }
  if (!out.result) {
    return InputError("task file '" + file + "': inspecting it failed (" +
                      DescribeChildFailure(out.process) + ")");
  }
  const Json& r = *out.result;
  if (!(r.contains("ok") && r["ok"].is_boolean() && r["ok"].get<bool>())) {
    Json error = r.contains("error") ? r["error"] : Json::object();
    std::string kind = StringOr(error, "kind", "");
    std::string message = StringOr(error, "message", "inspection failed");
    return InputError("task file '" + file + "': " + message + "; " + InspectErrorHint(kind));
  }
  return r;
}

Verdict HarnessClient::Verify(const VerifyRequest& req) {
  Json request = {{"task_path", req.task_path.string()},
                  {"candidate_path", req.candidate_path.string()},
                  {"dsl", req.dsl},
                  {"device", options_.device},
                  {"seed", req.seed},
                  {"trials", req.trials},
                  {"atol", req.atol ? Json(*req.atol) : Json(nullptr)},
                  {"rtol", req.rtol ? Json(*req.rtol) : Json(nullptr)},
                  {"policy", req.policy},
                  {"shapes", req.shapes},
                  {"extra_glue", req.extra_glue}};
  if (req.reference_cache) {
    request["reference_cache_dir"] = (CacheRoot() / "reference_cache").string();
  }
  Verdict v;
  auto out = Call("verify", request, req.timeout_s, req.cancel);
  if (!out.ok()) {
    v.kind = VerdictKind::kRuntimeError;
    v.message = out.status().message();
    return v;
  }
  v.log = out->log;
  v.wall_seconds = out->process.wall_seconds;
  if (out->process.timed_out) {
    v.kind = VerdictKind::kTimeout;
    v.reason = "timed_out";
    v.message = fmt::format("verification did not finish within {:.0f} s (verify_timeout)", req.timeout_s);
    v.shape_general.why = "verification did not finish";
  } else if (!out->result && out->process.exit_code == kTaskBrokenExit) {
    v.kind = VerdictKind::kRuntimeError;
    v.message = "the task's reference failed during verification: " +
                DescribeChildFailure(out->process);
    v.shape_general.why = "the verify child gave no result";
    v.task_error = TaskOutOfMemory(out->log);
  } else if (!out->result) {
    v.kind = VerdictKind::kRuntimeError;
    std::string crash = DescribeCrash(out->process, out->native_call);
    v.message = "the candidate's process died: " +
                (crash.empty() ? DescribeChildFailure(out->process) : crash);
    v.shape_general.why = "the verify child gave no result";
  } else {
    const Json& r = *out->result;
    v.kind = VerdictFromName(StringOr(r, "verdict", "runtime_error"));
    v.message = StringOr(r, "message", "");
    v.reason = StringOr(r, "reason", "");
    std::string log = StringOr(r, "log", "");
    if (!log.empty()) v.log = log + "\n--- process output ---\n" + v.log;
    v.details = r;
    v.shape_general = ShapeGeneralityFromJson(r.value("shape_general", Json()));
    v.tolerance = ToleranceRuleFromJson(r.value("tolerance", Json()));
  }
  return v;
}

namespace {

Json CandidateRulesRequest(const StaticRequest& req) {
  return {{"candidate_path", req.candidate_path.string()},
          {"dsl", req.dsl},
          {"policy", req.policy},
          {"extra_glue", req.extra_glue}};
}

}  // namespace

Verdict HarnessClient::CheckStatic(const StaticRequest& req) {
  Verdict v;
  auto out = Call("static", CandidateRulesRequest(req), req.timeout_s, req.cancel);
  if (!out.ok()) {
    v.message = out.status().message();
    return v;
  }
  v.log = out->log;
  v.wall_seconds = out->process.wall_seconds;
  if (!out->result) {
    v.message = "the static check's process failed: " + DescribeChildFailure(out->process);
    return v;
  }
  const Json& r = *out->result;
  v.kind = VerdictFromName(StringOr(r, "verdict", "runtime_error"));
  v.message = StringOr(r, "message", "");
  v.reason = StringOr(r, "reason", "");
  v.log = StringOr(r, "log", "");
  v.details = r;
  v.shape_general.why = "static rules only: never run";
  return v;
}

BuildResult HarnessClient::Build(const BuildRequest& req) {
  BuildResult b;
  // No device: the build must not disturb whatever is being timed on the devices meanwhile.
  auto out = Call("build", CandidateRulesRequest(req), req.timeout_s, req.cancel,
                  {{"CUDA_VISIBLE_DEVICES", ""}});
  if (!out.ok()) {
    b.message = out.status().message();
    return b;
  }
  if (!out->result) {
    b.message = "the build's process failed: " + DescribeChildFailure(out->process);
    return b;
  }
  const Json& r = *out->result;
  b.outcome = StringOr(r, "outcome", "error");
  b.message = StringOr(r, "message", "");
  if (b.outcome == "failed") {
    std::string name = StringOr(r, "verdict", "");
    if (name != "compile_error" && name != "rejected") {  // only these are final before a device
      b.outcome = "deferred";
      return b;
    }
    b.verdict.kind = VerdictFromName(name);
    b.verdict.reason = StringOr(r, "reason", "");
    b.verdict.message = b.message;
    b.verdict.log = StringOr(r, "log", "") + "\n--- process output ---\n" + out->log;
    b.verdict.wall_seconds = out->process.wall_seconds;
    b.verdict.details = r;
    b.verdict.shape_general.why = "the CPU-side build failed";
  } else if (b.outcome != "built" && b.outcome != "deferred") {
    b.outcome = "error";
  }
  return b;
}

CountersResult HarnessClient::Counters(const CountersRequest& req) {
  Json request = {{"task_path", req.task_path.string()},
                  {"candidate_path", req.candidate_path.string()},
                  {"dsl", req.dsl},
                  {"device", options_.device},
                  {"seed", req.seed},
                  {"timeout_s", req.timeout_s}};
  CountersResult c;
  auto out = Call("counters", request, req.timeout_s, req.cancel);
  if (!out.ok()) {
    c.unavailable = out.status().message();
    return c;
  }
  c.log = out->log;
  if (out->process.timed_out) {
    c.unavailable = fmt::format("the counters did not finish within {:.0f} s", req.timeout_s);
    return c;
  }
  const std::optional<Json>& r = out->result;
  if (!r) {
    c.unavailable = "the counters child wrote no result (" + DescribeChildFailure(out->process) + ")";
    return c;
  }
  Json kernels = r->value("kernels", Json::array());
  c.ok = r->value("ok", false) && kernels.is_array() && !kernels.empty();
  if (c.ok) {
    c.kernels = std::move(kernels);
  } else {
    c.unavailable = StringOr(*r, "unavailable", "ncu gave no counters");
  }
  return c;
}

Result<Json> HarnessClient::MeasurePeaks(double timeout_s, const CancelToken* cancel) {
  Json request = {{"device", options_.device}};
  AKG_ASSIGN_OR_RETURN(CallOutcome out, Call("peaks", request, timeout_s, cancel));
  if (!out.result || !out.result->value("ok", false)) {
    return InternalError("measuring this machine's peak rates failed (" +
                         DescribeChildFailure(out.process) + ")");
  }
  return *out.result;
}

ProfileResult HarnessClient::Profile(const ProfileRequest& req) {
  Json request = {{"task_path", req.task_path.string()},
                  {"candidate_path", req.candidate_path.string()},
                  {"dsl", req.dsl},
                  {"device", options_.device},
                  {"seed", req.seed},
                  {"warmup_times", req.warmup_times},
                  {"run_times", req.run_times},
                  {"baselines", req.baselines},
                  {"peaks", req.peaks},
                  {"graph_below_us", req.graph_below_us},
                  {"suspect_speedup", req.suspect_speedup}};
  if (req.reuse_compile_baseline) {
    request["baseline_cache_dir"] = (CacheRoot() / "baseline_cache").string();
  }
  // One eager baseline per run and device model, shared by the pool's slots (CacheRoot).
  if (req.shared_eager_baseline) {
    request["eager_baseline_dir"] = (CacheRoot() / "baseline_cache").string();
  }
  request["noisy_spread"] = req.noisy_spread;
  ProfileResult p;
  auto out = Call("profile", request, req.timeout_s, req.cancel);
  if (!out.ok()) {
    p.error = out.status().message();
    return p;
  }
  p.log = out->log;
  if (out->process.timed_out) {
    p.error = fmt::format("profiling did not finish within {:.0f} s (profile_timeout)", req.timeout_s);
    return p;
  }
  if (!out->result) {
    std::string crash = DescribeCrash(out->process, out->native_call);
    p.error = "the profiling process died: " +
              (crash.empty() ? DescribeChildFailure(out->process) : crash);
    return p;
  }
  const Json& r = *out->result;
  p.details = r;
  p.ok = r.is_object() && r.contains("ok") && r["ok"].is_boolean() && r["ok"].get<bool>();
  if (!p.ok) {
    p.error = r.contains("error") ? StringOr(r["error"], "message", "profiling failed")
                                  : "profiling failed";
    return p;
  }
  p.reference = TimingStatsFromJson(r.contains("reference") ? r["reference"] : Json());
  p.candidate = TimingStatsFromJson(r.contains("candidate") ? r["candidate"] : Json());
  p.speedup_vs_eager = NumberOr(r, "speedup_vs_eager", 0.0);
  if (r.contains("eager_baseline") && r["eager_baseline"].is_object()) {
    p.eager_baseline = TimingStatsFromJson(r["eager_baseline"]);
  }
  if (r.contains("noisy") && r["noisy"].is_array()) {
    for (const auto& n : r["noisy"]) {
      if (n.is_string()) p.noisy.push_back(n.get<std::string>());
    }
  }
  p.device_name = StringOr(r, "device_name", "");
  ParseBaselinesAndSol(r, &p);
  p.performance_valid = r.contains("performance_valid") && r["performance_valid"].is_boolean() &&
                        r["performance_valid"].get<bool>();
  p.timing_method = StringOr(r, "timing_method", "");
  p.device_used = StringOr(r, "device_used", "");
  p.threads = static_cast<int>(NumberOr(r, "threads", 0));
  return p;
}

}  // namespace akg
