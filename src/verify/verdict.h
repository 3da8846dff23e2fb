// Verification and profiling outcomes as values. A kernel that fails in any way becomes one of
// these; it is never an error of the agent.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace akg {

enum class VerdictKind { kPassed, kCompileError, kRuntimeError, kTimeout, kWrongAnswer, kRejected };

const char* VerdictName(VerdictKind kind);
// Parses the harness's verdict names; unknown names map to kRuntimeError.
VerdictKind VerdictFromName(const std::string& name);

struct Verdict {
  VerdictKind kind = VerdictKind::kRuntimeError;
  std::string message;  // one line
  std::string reason;   // stable code (docs/INTEGRITY.md), "" when passed
  std::string log;      // compiler output, traceback, or the child's output
  Json details;         // the harness's result (trials, errors, tolerances), or null
  double wall_seconds = 0;

  bool passed() const { return kind == VerdictKind::kPassed; }
};

struct TimingStats {
  double median_ms = 0, p10_ms = 0, p90_ms = 0, mean_ms = 0;
  int runs = 0;
};

// {"median_ms", "p10_ms", "p90_ms", "mean_ms", "runs"}: the harness's form and the run folder's.
Json ToJson(const TimingStats& t);
// Lenient: missing or mistyped fields read as 0.
TimingStats TimingStatsFromJson(const Json& j);

struct ProfileResult {
  bool ok = false;
  std::string error;             // one line when !ok
  std::string log;
  TimingStats reference;         // eager PyTorch
  TimingStats candidate;
  std::optional<TimingStats> torch_compile;  // absent when not asked for or when it failed
  std::string torch_compile_error;           // why torch.compile has no figure, if it has none
  double speedup_vs_eager = 0;
  std::optional<double> speedup_vs_torch_compile;
  Json sol;                      // speed of light: flops, bytes, sol_ms, fractions (or null)
  std::vector<std::string> suspect;  // why the figure is too good to trust without re-checking
  bool performance_valid = false;  // false under the Triton interpreter
  std::string timing_method;       // "cpu_wall" | "cuda_events"
  std::string device_used;
  int threads = 0;
  Json details;
};

}  // namespace akg
