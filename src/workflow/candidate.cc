#include "workflow/candidate.h"

#include <fmt/format.h>

namespace akg {
namespace {

Json VerdictJson(const Verdict& v) {
  return {{"verdict", VerdictName(v.kind)}, {"reason", v.reason}, {"message", v.message},
          {"seconds", v.wall_seconds}};
}

Verdict VerdictFrom(const Json& j) {
  Verdict v;
  v.kind = VerdictFromName(StringOr(j, "verdict", "runtime_error"));
  v.reason = StringOr(j, "reason", "");
  v.message = StringOr(j, "message", "");
  v.wall_seconds = NumberOr(j, "seconds", 0);
  return v;
}

}  // namespace

bool CandidateRecord::passed() const {
  return verdict.passed() && (!reverification || reverification->passed());
}

double CandidateRecord::fitness() const {
  return passed() && profile && profile->ok ? profile->speedup_vs_eager : 0;
}

std::string CandidateRecord::Summary() const {
  if (!generation.ok()) return "KernelGen failed: " + generation.message();
  if (reverification && !reverification->passed()) {
    return "suspect profile failed re-verification: " + reverification->message;
  }
  if (!verdict.passed()) {
    std::string s = VerdictName(verdict.kind);
    if (!verdict.reason.empty()) s += " [" + verdict.reason + "]";
    return verdict.message.empty() ? s : s + ": " + verdict.message;
  }
  if (!profile) return "passed (not profiled)";
  if (!profile->ok) return "passed; profiling failed: " + profile->error;
  return fmt::format("passed; {:.4f} ms, {} vs eager", profile->candidate.median_ms,
                     SpeedupVsEagerText(*profile));
}

Json ProfileToJson(const ProfileResult& p) {
  if (!p.ok) return {{"ok", false}, {"error", p.error}};
  Json j = {{"ok", true},
            {"reference_eager", ToJson(p.reference)},
            {"kernel", ToJson(p.candidate)},
            {"torch_compile", p.torch_compile ? ToJson(*p.torch_compile) : Json(nullptr)},
            {"speedup_vs_eager", p.speedup_vs_eager},
            {"speedup_vs_torch_compile",
             p.speedup_vs_torch_compile ? Json(*p.speedup_vs_torch_compile) : Json(nullptr)},
            {"sol", p.sol},
            {"suspect", p.suspect},
            {"performance_valid", p.performance_valid},
            {"timing_method", p.timing_method},
            {"device_used", p.device_used},
            {"threads", p.threads},
            {"eager_baseline", p.eager_baseline ? ToJson(*p.eager_baseline) : Json(nullptr)},
            {"noisy", p.noisy},
            {"device_name", p.device_name}};
  if (!p.torch_compile_error.empty()) j["torch_compile_error"] = p.torch_compile_error;
  return j;
}

ProfileResult ProfileFromJson(const Json& j) {
  ProfileResult p;
  p.ok = j.is_object() && j.value("ok", false);
  if (!p.ok) {
    p.error = StringOr(j, "error", "profiling failed");
    return p;
  }
  p.reference = TimingStatsFromJson(j.value("reference_eager", Json::object()));
  p.candidate = TimingStatsFromJson(j.value("kernel", Json::object()));
  if (j.contains("torch_compile") && j["torch_compile"].is_object()) {
    p.torch_compile = TimingStatsFromJson(j["torch_compile"]);
  }
  p.torch_compile_error = StringOr(j, "torch_compile_error", "");
  p.speedup_vs_eager = NumberOr(j, "speedup_vs_eager", 0);
  if (j.contains("speedup_vs_torch_compile") && j["speedup_vs_torch_compile"].is_number()) {
    p.speedup_vs_torch_compile = j["speedup_vs_torch_compile"].get<double>();
  }
  p.sol = j.value("sol", Json());
  if (j.contains("suspect") && j["suspect"].is_array()) {
    for (const auto& s : j["suspect"]) {
      if (s.is_string()) p.suspect.push_back(s.get<std::string>());
    }
  }
  p.performance_valid = j.value("performance_valid", false);
  p.timing_method = StringOr(j, "timing_method", "");
  p.device_used = StringOr(j, "device_used", "");
  p.threads = static_cast<int>(NumberOr(j, "threads", 0));
  if (j.contains("eager_baseline") && j["eager_baseline"].is_object()) {
    p.eager_baseline = TimingStatsFromJson(j["eager_baseline"]);
  }
  if (j.contains("noisy") && j["noisy"].is_array()) {
    for (const auto& n : j["noisy"]) {
      if (n.is_string()) p.noisy.push_back(n.get<std::string>());
    }
  }
  p.device_name = StringOr(j, "device_name", "");
  return p;
}

Json BuildJson(const CandidateRecord& c) {
  if (c.build_outcome.empty()) return nullptr;
  return {{"outcome", c.build_outcome}, {"message", c.build_message}};
}

Json CandidateToJson(const CandidateRecord& c) {
  Json j = {{"id", c.id},
            {"dir", c.dir},
            {"island", c.island},
            {"round", c.round},
            {"parent", c.parent.empty() ? Json(nullptr) : Json(c.parent)},
            {"inspirations", c.inspirations},
            {"failures_fed_back", c.failures_fed_back},
            {"seed", std::to_string(c.seed)},  // as text: JSON readers lose 64-bit integers
            {"description", c.description},
            {"hints", c.hints},
            {"generation_error", c.generation.ok() ? Json(nullptr) : Json(c.generation.message())},
            {"verify", VerdictJson(c.verdict)},
            {"shape_general", ToJson(c.verdict.shape_general)},
            {"tolerance", ToJson(c.verdict.tolerance)},
            {"profile", c.profile ? ProfileToJson(*c.profile) : Json(nullptr)},
            {"reverification", c.reverification ? VerdictJson(*c.reverification) : Json(nullptr)},
            {"passed", c.passed()},
            {"fitness", c.fitness()},
            {"device", c.device},
            {"build", BuildJson(c)},
            {"timings_s", {{"generate", c.generate_s}, {"build", c.build_s},
                           {"wait_device", c.wait_device_s},
                           {"verify", c.verify_s}, {"profile", c.profile_s}}}};
  return j;
}

Result<CandidateRecord> CandidateFromJson(const Json& j) {
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || !j.contains("verify")) {
    return InternalError("a candidate's meta.json lacks its id or verdict; delete that "
                         "candidate's folder to build it again");
  }
  CandidateRecord c;
  c.id = j["id"].get<std::string>();
  c.dir = StringOr(j, "dir", "candidates/" + c.id);
  c.island = static_cast<int>(NumberOr(j, "island", 0));
  c.round = static_cast<int>(NumberOr(j, "round", 0));
  c.parent = StringOr(j, "parent", "");
  for (const char* key : {"inspirations", "failures_fed_back"}) {
    auto& out = std::string(key) == "inspirations" ? c.inspirations : c.failures_fed_back;
    if (j.contains(key) && j[key].is_array()) {
      for (const auto& s : j[key]) {
        if (s.is_string()) out.push_back(s.get<std::string>());
      }
    }
  }
  try {
    c.seed = std::stoull(StringOr(j, "seed", "0"));
  } catch (const std::exception&) {
    return InternalError("candidate " + c.id + ": bad seed in meta.json; delete that candidate's "
                         "folder to build it again");
  }
  c.description = StringOr(j, "description", "");
  c.hints = j.value("hints", Json());
  std::string gen_error = StringOr(j, "generation_error", "");
  if (!gen_error.empty()) c.generation = Status::Error(ErrorKind::kInternal, gen_error);
  c.verdict = VerdictFrom(j["verify"]);
  c.verdict.shape_general = ShapeGeneralityFromJson(j.value("shape_general", Json()));
  c.verdict.tolerance = ToleranceRuleFromJson(j.value("tolerance", Json()));
  if (j.contains("profile") && j["profile"].is_object()) c.profile = ProfileFromJson(j["profile"]);
  if (j.contains("reverification") && j["reverification"].is_object()) {
    c.reverification = VerdictFrom(j["reverification"]);
  }
  c.device = StringOr(j, "device", "");
  if (j.contains("build") && j["build"].is_object()) {
    c.build_outcome = StringOr(j["build"], "outcome", "");
    c.build_message = StringOr(j["build"], "message", "");
  }
  Json t = j.value("timings_s", Json::object());
  c.generate_s = NumberOr(t, "generate", 0);
  c.build_s = NumberOr(t, "build", 0);
  c.wait_device_s = NumberOr(t, "wait_device", 0);
  c.verify_s = NumberOr(t, "verify", 0);
  c.profile_s = NumberOr(t, "profile", 0);
  return c;
}

Json ProfileFileJson(const ProfileResult& p) {
  Json j = p.details.is_object() ? p.details : ProfileToJson(p);
  if (!p.ok) j["error"] = p.error;
  return j;
}

}  // namespace akg
