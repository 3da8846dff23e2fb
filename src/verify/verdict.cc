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

}  // namespace akg
