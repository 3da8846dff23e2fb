// The agent's only door to the Python harness (docs/HARNESS_PROTOCOL.md). Each call writes a
// request file into a fresh folder, runs `python -m akg_harness <command>` there through the
// ProcessRunner seam (scrubbed environment, timeout, limits, own temp folder) and turns what
// comes back (result file, exit status, signal, timeout) into values: task descriptions,
// verdicts and profiles. A misbehaving kernel never becomes an error of the agent.
//
// Two ways to run a command, chosen by HarnessOptions::mode (config `harness_mode`):
//   warm (default): a forked child of one pre-warmed `python -m akg_harness.server` per client
//     (verify/warm_harness.h): same isolation, same ProcessResult, no interpreter start or
//     `import torch` per call. If that server cannot start, the client says so once (on_note)
//     and runs every later call cold.
//   cold: a fresh `python -m akg_harness <command>` child per call through the ProcessRunner.
// Thread safety: Inspect/Verify/Profile/MeasurePeaks may be called from several threads at
// once; in warm mode their children run concurrently in the one server.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "env/process_runner.h"
#include "env/server_process.h"
#include "verify/verdict.h"

namespace akg {

class WarmHarness;

enum class HarnessMode {
  kWarm,  // forked children of one pre-warmed harness server
  kCold,  // a fresh Python process per call
};

// "warm" -> kWarm, anything else ("cold") -> kCold; config validation rejects other names.
HarnessMode HarnessModeFromName(const std::string& name);

struct HarnessOptions {
  std::string python = "python3";     // interpreter with torch (and triton for Triton DSLs)
  std::filesystem::path harness_dir;  // folder that holds the akg_harness package
  std::filesystem::path work_root;    // each call gets its own folder under here
  // Where compiled kernels (Triton's cache, native builds) and reference outputs are kept;
  // empty = work_root. A device pool gives all its slots one, so a kernel compiled or a
  // reference computed on one device is not redone on the next (entries are written aside
  // and renamed, so concurrent children are safe; reference entries are keyed by device name).
  std::filesystem::path cache_root;
  // Where Python keeps the bytecode it compiles (PYTHONPYCACHEPREFIX), for torch, Triton and
  // the harness; empty = none (PYTHONDONTWRITEBYTECODE). Images that ship torch without
  // __pycache__ otherwise recompile it in every child: 12 s of imports for torch, Triton and
  // torch._dynamo on the lent H200, 3 s from this cache.
  std::filesystem::path bytecode_cache;
  std::string device = "cpu";         // "cpu" | "cuda" (what the harness is asked to use)
  std::string visible_devices;        // CUDA_VISIBLE_DEVICES for the child ("" = leave unset)
  bool triton_interpret = false;      // run Triton kernels under its CPU interpreter
  std::string cuda_arch;              // AKG_CUDA_ARCH for native CUDA builds (e.g. "sm_90"); ""
                                      // = nvcc's -arch=native
  ProcessLimits limits;               // applied to every harness child
  HarnessMode mode = HarnessMode::kWarm;  // see the top of this file
  double warm_start_timeout_s = 180;   // for the warm server's imports (torch, triton)
  // Receives one-line notices (e.g. "the warm server did not start; running cold"); null =
  // dropped.
  std::function<void(const std::string&)> on_note;
};

struct VerifyRequest {
  std::filesystem::path task_path;
  std::filesystem::path candidate_path;
  std::string dsl;
  int seed = 0;
  int trials = 3;
  std::optional<double> atol, rtol;  // absent = the dtype's default
  std::string policy = "strict";     // "strict" | "partial" (docs/INTEGRITY.md)
  std::string shapes = "vary";       // "vary": also trials at other, odd sizes; "task": not
  std::vector<std::string> extra_glue;
  bool reference_cache = true;       // reuse reference outputs across candidates of a run
  double timeout_s = 300;
  const CancelToken* cancel = nullptr;  // the run's token (null = the root): see env/cancel.h
};

struct ProfileRequest {
  std::filesystem::path task_path;
  std::filesystem::path candidate_path;
  std::string dsl;
  int seed = 0;
  int warmup_times = 5;
  int run_times = 50;
  std::vector<std::string> baselines = {"eager", "torch_compile"};
  Json peaks;                   // ArchPeaks::ToJson(), or null when unknown
  double graph_below_us = 100;
  double suspect_speedup = 10;
  // torch.compile's measurements taken once per run (the pool's cache folder) and reused.
  bool reuse_compile_baseline = true;
  // Speedups divide by one eager baseline per run and device model, measured by the run's
  // first profile (docs/HARNESS_PROTOCOL.md, "Noise"); false: by this profile's own eager.
  bool shared_eager_baseline = true;
  double noisy_spread = 1.5;    // p90/p10 above this marks a measurement noisy
  double timeout_s = 600;
  const CancelToken* cancel = nullptr;
};

// A candidate checked without running it on a device: the static integrity rules alone (the
// harness's `static` command, for kernelgen_only), or `build`: syntax, static rules and the
// candidate's import (where native kernels compile) with no device visible, before a device is
// taken (docs/HARNESS_PROTOCOL.md; give a build the compile's time).
struct StaticRequest {
  std::filesystem::path candidate_path;
  std::string dsl;
  std::string policy = "strict";
  std::vector<std::string> extra_glue;
  double timeout_s = 60;
  const CancelToken* cancel = nullptr;
};
using BuildRequest = StaticRequest;

// Hardware counters of one candidate call (the harness's `counters` command): Nsight Compute
// (ncu) starts a fresh Python that calls the candidate once untimed, then once between
// cudaProfilerStart/Stop. Always a cold child: ncu must start the process it measures, and a
// forked child of the warm server is not one it can attach to.
struct CountersRequest {
  std::filesystem::path task_path;
  std::filesystem::path candidate_path;
  std::string dsl;
  int seed = 0;
  double timeout_s = 600;
  const CancelToken* cancel = nullptr;
};

struct CountersResult {
  bool ok = false;
  // !ok: why there are no counters, in one line (ncu not found, it cannot attach or lacks the
  // permission, no CUDA device, no kernel launched); never an error of the run.
  std::string unavailable;
  // ok: the kernels ncu measured, longest first: {name, duration_us, dram_pct (of peak DRAM
  // throughput), sm_pct (of peak SM throughput), occupancy_pct (achieved), stalls: {reason:
  // cycles per issued instruction}}.
  Json kernels;
  std::string log;
};

struct BuildResult {
  // "built"; "failed" (the verdict below is final: compile_error or rejected); "deferred" (left
  // to verify on the device); "error" (the build itself could not run: verify decides).
  std::string outcome = "error";
  Verdict verdict;  // for "failed"
  std::string message;  // why, in one line (what the harness said, or why it could not run)
  bool settled() const { return outcome == "failed"; }
};

class HarnessClient {
 public:
  // Warm mode starts its server through a PosixServerLauncher when `runner` is the real
  // PosixProcessRunner; with any other runner (a scripted fake) every call runs cold through
  // it, so workflow tests stay deterministic.
  HarnessClient(ProcessRunner* runner, HarnessOptions options);
  // `launcher` starts the warm server (null = always cold). Not owned.
  HarnessClient(ProcessRunner* runner, ServerLauncher* launcher, HarnessOptions options);
  ~HarnessClient();

  // Inspects a task; problems with the task itself (no Model, reference raises) are
  // kInput errors whose message names the file and the fix.
  // Every call stops when its `cancel` token (the run's; null = the root) is cancelled: the
  // child's process group is killed, a warm server stays up, and the call comes back as
  // "interrupted" (an error here; a verdict/profile message elsewhere).
  Result<Json> Inspect(const std::filesystem::path& task_path, int seed, double timeout_s,
                       const CancelToken* cancel = nullptr);
  Verdict Verify(const VerifyRequest& request);
  ProfileResult Profile(const ProfileRequest& request);
  // passed, rejected (details["violations"] lists every rule broken) or compile_error; no
  // candidate code runs, no device is used.
  Verdict CheckStatic(const StaticRequest& request);
  // Runs on the CPU (CUDA_VISIBLE_DEVICES=""), whatever device this client serves.
  BuildResult Build(const BuildRequest& request);
  // Nsight Compute's counters of one candidate call, always in a cold child (see
  // CountersRequest); whatever keeps them from being taken is `unavailable`, never an error.
  CountersResult Counters(const CountersRequest& request);
  // Measures this device's copy bandwidth and matmul rates (the harness's `peaks` command).
  Result<Json> MeasurePeaks(double timeout_s, const CancelToken* cancel = nullptr);

  // Warm mode: starts the harness server now on a background thread, so it imports torch while
  // the caller does other work (other devices' servers, inspection, design) and the first call
  // finds it ready. A server that cannot start means cold mode, with the usual note. No-op when
  // cold or already started. An Inspect while the start is under way runs cold beside it (a
  // run's inspection, its first call, does not wait for torch's import in the server).
  void StartInBackground();

  const HarnessOptions& options() const { return options_; }
  // "warm", "cold", or "cold (the warm harness server did not start: ...)".
  std::string ModeDescription();
  // The warm server's ready line (pid, versions, warm-up seconds), or null when none runs.
  Json WarmServerInfo();

 private:
  struct CallOutcome {
    ProcessResult process;
    std::optional<Json> result;  // parsed result file, when one was written
    std::string log;             // stdout + stderr of the child
    std::string native_call;     // a child killed by a signal: its native-call record
  };
  Result<CallOutcome> Call(const std::string& command, const Json& request, double timeout_s,
                           const CancelToken* cancel,
                           const std::map<std::string, std::string>& env_overrides = {});
  std::map<std::string, std::string> ChildEnvironment(const std::filesystem::path& folder) const;
  ProcessResult RunChild(const std::string& command, const ProcessSpec& spec,
                         const std::filesystem::path& request_path,
                         const std::filesystem::path& result_path);
  WarmHarness* Warm();  // the warm harness, created on first use; null when running cold
  const std::filesystem::path& CacheRoot() const {
    return options_.cache_root.empty() ? options_.work_root : options_.cache_root;
  }
  void FallBackToCold(const std::string& why);

  ProcessRunner* runner_;
  ServerLauncher* launcher_;
  HarnessOptions options_;
  std::atomic<int> call_counter_{0};
  std::mutex warm_mu_;  // warm_, cold_reason_
  std::unique_ptr<WarmHarness> warm_;
  std::string cold_reason_;  // why warm mode gave up; empty while it has not
  std::thread starter_;      // StartInBackground's; joined (after AbortStart) on destruction
  std::atomic<bool> starting_in_background_{false};  // until starter_'s start has ended
};

// One-line summary of a failed harness child (signal, exit code, last line of stderr).
std::string DescribeChildFailure(const ProcessResult& process);

}  // namespace akg
