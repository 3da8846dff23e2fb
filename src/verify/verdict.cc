#include "verify/verdict.h"

#include <array>
#include <set>
#include <utility>

#include <fmt/format.h>

namespace akg {
namespace {

constexpr std::array<std::pair<VerdictKind, const char*>, 7> kNames = {{
    {VerdictKind::kPassed, "passed"},
    {VerdictKind::kCompileError, "compile_error"},
    {VerdictKind::kRuntimeError, "runtime_error"},
    {VerdictKind::kTimeout, "timeout"},
    {VerdictKind::kWrongAnswer, "wrong_answer"},
    {VerdictKind::kRejected, "rejected"},
    {VerdictKind::kNotVerified, "not_verified"},
}};

// Outputs listed by name in a line; the rest are counted.
constexpr size_t kLineOutputs = 4;

// j[key] when it is an array, else an empty one (iterating a scalar would yield the scalar).
const Json& ArrayAt(const Json& j, const char* key) {
  static const Json kEmpty = Json::array();
  return j.is_object() && j.contains(key) && j[key].is_array() ? j[key] : kEmpty;
}

// A child's "one line" kept to one line.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

std::string WithWhy(const std::string& head, const std::string& why) {
  return why.empty() ? head : head + " (" + why + ")";
}

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

std::string SpeedupVsEagerText(const ProfileResult& p) {
  std::string figure = fmt::format("{:.2f}x", p.speedup_vs_eager);
  if (p.noisy.empty()) return figure;
  std::string why;
  for (const auto& n : p.noisy) why += (why.empty() ? "" : "; ") + n;
  return "noisy (" + why + "; about " + figure + ")";
}

ShapeGenerality ShapeGeneralityFromJson(const Json& j) {
  ShapeGenerality s;
  if (!j.is_object()) return s;
  static const std::set<std::string> kStatuses = {"yes", "no", "not_checked"};
  std::string status = StringOr(j, "status", "");
  if (!kStatuses.count(status)) {
    s.why = "the harness reported an unknown status '" + OneLine(status) + "'";
    return s;
  }
  s.status = status;
  s.why = OneLine(StringOr(j, "why", ""));
  for (const Json& size : ArrayAt(j, "sizes")) {
    if (size.is_string()) s.sizes.push_back(size.get<std::string>());
  }
  if (j.contains("constants") && j["constants"].is_object()) s.constants = j["constants"];
  return s;
}

Json ToJson(const ShapeGenerality& s) {
  return {{"status", s.status}, {"why", s.why}, {"sizes", s.sizes}, {"constants", s.constants}};
}

ToleranceRule ToleranceRuleFromJson(const Json& j) {
  ToleranceRule t;
  if (!j.is_object()) return t;
  t.rule = StringOr(j, "rule", "");
  if (t.rule.empty()) return t;
  t.why = OneLine(StringOr(j, "why", ""));
  t.k = NumberOr(j, "k", 0);
  for (const Json& o : ArrayAt(j, "outputs")) {
    if (!o.is_object()) continue;
    OutputTolerance out;
    out.index = static_cast<int>(NumberOr(o, "index", static_cast<double>(t.outputs.size())));
    if (o.contains("ref_error") && o["ref_error"].is_number()) {
      out.ref_error = o["ref_error"].get<double>();
    }
    out.atol = NumberOr(o, "atol", 0);
    out.rtol = NumberOr(o, "rtol", 0);
    t.outputs.push_back(out);
  }
  return t;
}

Json ToJson(const ToleranceRule& t) {
  if (!t.reported()) return nullptr;
  Json outputs = Json::array();
  for (const OutputTolerance& o : t.outputs) {
    outputs.push_back({{"index", o.index},
                       {"ref_error", o.ref_error ? Json(*o.ref_error) : Json(nullptr)},
                       {"atol", o.atol},
                       {"rtol", o.rtol}});
  }
  return {{"rule", t.rule}, {"why", t.why}, {"k", t.k}, {"outputs", outputs}};
}

std::string ShapeGeneralityLine(const ShapeGenerality& s) {
  if (s.status == "yes") {
    std::string sizes;
    for (const std::string& size : s.sizes) sizes += (sizes.empty() ? "" : "; ") + size;
    return WithWhy("yes", sizes);
  }
  return WithWhy(s.status == "no" ? "no" : "not checked", s.why);
}

std::string ToleranceLine(const ToleranceRule& t) {
  if (!t.reported()) return "not reported by the harness";
  if (t.rule != "reference_error") return WithWhy(t.rule, t.why);
  std::string errors;
  size_t shown = 0;
  for (const OutputTolerance& o : t.outputs) {
    if (!o.ref_error) continue;
    if (shown++ == kLineOutputs) {
      errors += ", ...";
      break;
    }
    errors += fmt::format("{}{:.2g}", errors.empty() ? "" : ", ", *o.ref_error);
  }
  return fmt::format("{} (k={:g}{})", t.rule, t.k, errors.empty() ? "" : ", ref_error " + errors);
}

}  // namespace akg
