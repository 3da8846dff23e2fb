#include "verify/verdict.h"

#include <array>
#include <utility>

namespace akg {
namespace {

constexpr std::array<std::pair<VerdictKind, const char*>, 6> kNames = {{
    {VerdictKind::kPassed, "passed"},
    {VerdictKind::kCompileError, "compile_error"},
    {VerdictKind::kRuntimeError, "runtime_error"},
    {VerdictKind::kTimeout, "timeout"},
    {VerdictKind::kWrongAnswer, "wrong_answer"},
    {VerdictKind::kRejected, "rejected"},
}};

}  // namespace

const char* VerdictName(VerdictKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "runtime_error";
}

VerdictKind VerdictFromName(const std::string& name) {
  for (const auto& [k, n] : kNames) {
    if (name == n) return k;
  }
  return VerdictKind::kRuntimeError;
}

Json ToJson(const TimingStats& t) {
  return {{"median_ms", t.median_ms}, {"p10_ms", t.p10_ms}, {"p90_ms", t.p90_ms},
          {"mean_ms", t.mean_ms}, {"runs", t.runs}};
}

TimingStats TimingStatsFromJson(const Json& j) {
  TimingStats t;
  t.median_ms = NumberOr(j, "median_ms", 0);
  t.p10_ms = NumberOr(j, "p10_ms", 0);
  t.p90_ms = NumberOr(j, "p90_ms", 0);
  t.mean_ms = NumberOr(j, "mean_ms", 0);
  t.runs = static_cast<int>(NumberOr(j, "runs", 0));
  return t;
}

}  // namespace akg
