// Verification and profiling outcomes as values. A kernel that fails in any way becomes one of
// these; it is never an error of the agent.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace akg {

// kNotVerified: the kernel was built (syntax, static rules, native compile) but never run,
// because this machine has no device for the target ("not verified: no CUDA device"); never a
// pass.
enum class VerdictKind {
  kPassed, kCompileError, kRuntimeError, kTimeout, kWrongAnswer, kRejected, kNotVerified
};

const char* VerdictName(VerdictKind kind);
// Parses the harness's verdict names; unknown names map to kRuntimeError.
VerdictKind VerdictFromName(const std::string& name);

// Whether the candidate also passed at sizes other than the task's: verify's "shape_general"
// (docs/INTEGRITY.md, "Shape trials"). A result without the key (an older harness) and a
// verdict that never reached the harness read as not_checked with the reason.
struct ShapeGenerality {
  std::string status = "not_checked";  // "yes" | "no" | "not_checked"
  std::string why = "not reported by the harness";  // one line; "" for yes
  std::vector<std::string> sizes;      // the varied trials, e.g. "batch_size=7, dim=1023"
  Json constants = Json::object();     // the task's values of the varied constants
};

// One output's tolerance as trial 0 applied it.
struct OutputTolerance {
  int index = 0;
  std::optional<double> ref_error;  // max|ref32 - ref64|; absent under dtype_default
  double atol = 0, rtol = 0;
};

// The comparison rule verify applied: verify's "tolerance". "reference_error": against a
// float64 reference, allowed error max(k * ref_error, atol * scale) + rtol * |ref64|;
// "dtype_default": against the float32 reference, atol * scale + rtol * |ref| (why says why
// the float64 reference was not used). rule "" = not reported (an older harness).
struct ToleranceRule {
  std::string rule;
  std::string why;
  double k = 0;
  std::vector<OutputTolerance> outputs;

  bool reported() const { return !rule.empty(); }
};

// Lenient readers of the two result keys (the value under the key, or null when absent);
// mistyped fields read as their defaults.
ShapeGenerality ShapeGeneralityFromJson(const Json& j);
ToleranceRule ToleranceRuleFromJson(const Json& j);
// The contract's form; an unreported rule is null.
Json ToJson(const ShapeGenerality& s);
Json ToJson(const ToleranceRule& t);
// "yes (batch_size=7, dim=1023; batch_size=5, dim=511)", "no (why)", "not checked (why)".
std::string ShapeGeneralityLine(const ShapeGenerality& s);
// "reference_error (k=16, ref_error 1.3e-05)", "dtype_default (why)", or "not reported by the
// harness".
std::string ToleranceLine(const ToleranceRule& t);

struct Verdict {
  VerdictKind kind = VerdictKind::kRuntimeError;
  std::string message;  // one line
  std::string reason;   // stable code (docs/INTEGRITY.md), "" when passed
  std::string log;      // compiler output, traceback, or the child's output
  Json details;         // the harness's result (trials, errors, tolerances), or null
  double wall_seconds = 0;
  ShapeGenerality shape_general;  // from details["shape_general"]
  ToleranceRule tolerance;        // from details["tolerance"]
  // Non-empty when the task itself cannot be verified here, whatever the candidate: its inputs
  // or reference ran out of memory (the harness's exit 3, kind out_of_memory). One line that
  // names the sizes and the free memory; the workflows stop with it (exit 2).
  std::string task_error;

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
  TimingStats reference;         // eager PyTorch, timed beside the candidate (drift detection)
  TimingStats candidate;
  // The run's eager baseline on this device model, which speedup_vs_eager divides by (the
  // harness's eager_baseline); absent from older profiles, where `reference` was the divisor.
  std::optional<TimingStats> eager_baseline;
  // Why the numbers cannot be ranked as fact (a wide p90/p10, eager drifted from the baseline);
  // empty when they can.
  std::vector<std::string> noisy;
  std::string device_name;       // the device model ("NVIDIA H100 80GB HBM3", the CPU's name)
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

  bool noisy_measurement() const { return !noisy.empty(); }
};

// "1.23x", or "noisy (candidate p90/p10 3.10 > 1.5; about 1.23x)" when the measurement cannot
// be ranked as fact: what a table, an event or a prompt prints instead of the bare figure.
std::string SpeedupVsEagerText(const ProfileResult& p);

}  // namespace akg
