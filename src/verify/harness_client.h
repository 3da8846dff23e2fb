// The agent's only door to the Python harness (docs/HARNESS_PROTOCOL.md). Each call writes a
// request file into a fresh folder, runs `python -m akg_harness <command>` there through the
// ProcessRunner seam (scrubbed environment, timeout, limits, own temp folder) and turns what
// comes back (result file, exit status, signal, timeout) into values: task descriptions,
// verdicts and profiles. A misbehaving kernel never becomes an error of the agent.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "env/process_runner.h"
#include "verify/verdict.h"

namespace akg {

struct HarnessOptions {
  std::string python = "python3";     // interpreter with torch (and triton for Triton DSLs)
  std::filesystem::path harness_dir;  // folder that holds the akg_harness package
  std::filesystem::path work_root;    // each call gets its own folder under here
  std::string device = "cpu";         // "cpu" | "cuda" (what the harness is asked to use)
  std::string visible_devices;        // CUDA_VISIBLE_DEVICES for the child ("" = leave unset)
  bool triton_interpret = false;      // run Triton kernels under its CPU interpreter
  ProcessLimits limits;               // applied to every harness child
};

struct VerifyRequest {
  std::filesystem::path task_path;
  std::filesystem::path candidate_path;
  std::string dsl;
  int seed = 0;
  int trials = 3;
  std::optional<double> atol, rtol;  // absent = the dtype's default
  std::string policy = "strict";     // "strict" | "partial" (docs/INTEGRITY.md)
  std::vector<std::string> extra_glue;
  bool reference_cache = true;       // reuse reference outputs across candidates of a run
  double timeout_s = 300;
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
  double timeout_s = 600;
};

class HarnessClient {
 public:
  HarnessClient(ProcessRunner* runner, HarnessOptions options);

  // Inspects a task; problems with the task itself (no Model, reference raises) are
  // kInput errors whose message names the file and the fix.
  Result<Json> Inspect(const std::filesystem::path& task_path, int seed, double timeout_s);
  Verdict Verify(const VerifyRequest& request);
  ProfileResult Profile(const ProfileRequest& request);
  // Measures this device's copy bandwidth and matmul rates (the harness's `peaks` command).
  Result<Json> MeasurePeaks(double timeout_s);

  const HarnessOptions& options() const { return options_; }

 private:
  struct CallOutcome {
    ProcessResult process;
    std::optional<Json> result;  // parsed result file, when one was written
    std::string log;             // stdout + stderr of the child
  };
  Result<CallOutcome> Call(const std::string& command, const Json& request, double timeout_s);
  std::map<std::string, std::string> ChildEnvironment(const std::filesystem::path& folder) const;

  ProcessRunner* runner_;
  HarnessOptions options_;
  std::atomic<int> call_counter_{0};
};

// One-line summary of a failed harness child (signal, exit code, last line of stderr).
std::string DescribeChildFailure(const ProcessResult& process);

}  // namespace akg
