#include "store/report.h"

#include <fmt/format.h>

namespace akg {
namespace {

Json StatsJson(const TimingStats& t) {
  return {{"median_ms", t.median_ms}, {"p10_ms", t.p10_ms}, {"p90_ms", t.p90_ms},
          {"mean_ms", t.mean_ms}, {"runs", t.runs}};
}

Json ConfigJson(const DslConfig& c) {
  const auto& vs = c.verify_settings;
  return {{"agent_model_config", c.agent_model_config},
          {"log_dir", c.log_dir},
          {"default_workflow", c.default_workflow},
          {"max_steps", c.max_steps},
          {"verify_timeout", c.verify_timeout},
          {"profile_timeout", c.profile_timeout},
          {"inspect_timeout", c.inspect_timeout},
          {"profile_settings",
           {{"run_times", c.profile_settings.run_times},
            {"warmup_times", c.profile_settings.warmup_times}}},
          {"verify_settings",
           {{"trials", vs.trials}, {"seed", vs.seed},
            {"atol", vs.atol ? Json(*vs.atol) : Json(nullptr)},
            {"rtol", vs.rtol ? Json(*vs.rtol) : Json(nullptr)}}}};
}

Json ProfileJson(const ProfileResult& p) {
  if (!p.ok) return {{"ok", false}, {"error", p.error}};
  Json j = {{"ok", true},
          {"reference_eager", StatsJson(p.reference)},
          {"kernel", StatsJson(p.candidate)},
          {"torch_compile", p.torch_compile ? StatsJson(*p.torch_compile) : Json(nullptr)},
          {"speedup_vs_eager", p.speedup_vs_eager},
          {"speedup_vs_torch_compile",
           p.speedup_vs_torch_compile ? Json(*p.speedup_vs_torch_compile) : Json(nullptr)},
          {"sol", p.sol},
          {"suspect", p.suspect},
          {"performance_valid", p.performance_valid},
          {"timing_method", p.timing_method},
          {"device_used", p.device_used},
          {"threads", p.threads}};
  if (!p.torch_compile_error.empty()) j["torch_compile_error"] = p.torch_compile_error;
  return j;
}

// "0.62 of speed of light (floor 0.72 ms: memory)" or "" when unknown.
std::string SolLine(const ProfileResult& p) {
  const Json& s = p.sol;
  if (!s.is_object() || !s.contains("fraction_of_sol_candidate") ||
      !s["fraction_of_sol_candidate"].is_number()) {
    return "";
  }
  double floor_ms = NumberOr(s, "sol_ms", 0);
  std::string bound = StringOr(s, "bound", "");
  return fmt::format("{:.2f} (floor {:.4f} ms{})", s["fraction_of_sol_candidate"].get<double>(),
                     floor_ms, bound.empty() ? "" : ", " + bound + "-bound");
}

std::string Ms(double v) { return fmt::format("{:.4f} ms", v); }

}  // namespace

Json BuildReportJson(const RunSummary& s) {
  const WorkflowOutcome& o = *s.outcome;
  Json attempts = Json::array();
  for (const auto& a : o.attempts) {
    attempts.push_back({{"attempt", a.number},
                        {"description", a.description},
                        {"kernel", a.code_path},
                        {"verdict", VerdictName(a.verdict.kind)},
                        {"reason", a.verdict.reason},
                        {"message", a.verdict.message},
                        {"verify_seconds", a.verdict.wall_seconds}});
  }
  Json r = {{"started_utc", s.started_utc},
            {"command", s.command_line},
            {"run_folder", s.run_folder},
            {"wall_seconds", s.wall_seconds},
            {"target", {{"framework", s.target.framework}, {"backend", s.target.backend},
                        {"arch", s.target.arch}, {"dsl", s.target.dsl}}},
            {"task", {{"name", s.task->name}, {"inputs", s.task->inspection.value("inputs", Json::array())},
                      {"outputs", s.task->inspection.value("outputs", Json::array())}}},
            {"workflow", o.workflow},
            {"models", s.models},
            {"config", ConfigJson(*s.config)},
            {"attempts", attempts},
            {"verified", o.passing() != nullptr},
            {"final_kernel", s.final_kernel.empty() ? Json(nullptr) : Json(s.final_kernel)},
            {"interrupted", o.interrupted},
            {"triton_interpreter", s.triton_interpreter}};
  if (!o.stop_reason.empty()) r["stop_reason"] = o.stop_reason;
  if (o.profile) r["profile"] = ProfileJson(*o.profile);
  if (o.reverification) {
    r["reverification"] = {{"verdict", VerdictName(o.reverification->kind)},
                           {"reason", o.reverification->reason},
                           {"message", o.reverification->message}};
  }
  if (const Attempt* a = o.passing(); a && a->verdict.details.is_object()) {
    const Json& d = a->verdict.details;
    r["policy"] = StringOr(d, "policy", s.config->verify_settings.policy);
    r["framework_ops"] = d.contains("framework_ops") ? d["framework_ops"] : Json::array();
  } else {
    r["policy"] = s.config->verify_settings.policy;
  }
  return r;
}

std::string FormatFinalTable(const RunSummary& s) {
  const WorkflowOutcome& o = *s.outcome;
  std::string out = fmt::format("{:<8} {:<14} {}\n", "attempt", "verdict", "message");
  for (const auto& a : o.attempts) {
    std::string msg = a.verdict.message.size() > 70 ? a.verdict.message.substr(0, 67) + "..."
                                                    : a.verdict.message;
    out += fmt::format("{:<8} {:<14} {}\n", a.number, VerdictName(a.verdict.kind),
                       a.verdict.reason.empty() ? msg : a.verdict.reason + ": " + msg);
  }
  out += "\n";
  bool correct = o.passing() != nullptr;
  out += fmt::format("{:<22} {}\n", "correct", correct ? "yes" : "no");
  if (correct && o.profile && o.profile->ok) {
    const ProfileResult& p = *o.profile;
    out += fmt::format("{:<22} {} (p10 {}, p90 {})\n", "reference (eager)", Ms(p.reference.median_ms),
                       Ms(p.reference.p10_ms), Ms(p.reference.p90_ms));
    out += fmt::format("{:<22} {} (p10 {}, p90 {})\n", "kernel", Ms(p.candidate.median_ms),
                       Ms(p.candidate.p10_ms), Ms(p.candidate.p90_ms));
    if (p.torch_compile) {
      out += fmt::format("{:<22} {} (p10 {}, p90 {})\n", "torch.compile", Ms(p.torch_compile->median_ms),
                         Ms(p.torch_compile->p10_ms), Ms(p.torch_compile->p90_ms));
    } else if (!p.torch_compile_error.empty()) {
      out += fmt::format("{:<22} failed: {}\n", "torch.compile", p.torch_compile_error);
    }
    out += fmt::format("{:<22} {:.2f}x{}\n", "speedup vs eager", p.speedup_vs_eager,
                       p.performance_valid ? "" : "  (NOT performance: Triton interpreter on CPU)");
    if (p.speedup_vs_torch_compile) {
      out += fmt::format("{:<22} {:.2f}x\n", "speedup vs compile", *p.speedup_vs_torch_compile);
    }
    if (std::string sol = SolLine(p); !sol.empty()) out += fmt::format("{:<22} {}\n", "fraction of SOL", sol);
    for (const auto& why : p.suspect) out += fmt::format("{:<22} {}\n", "SUSPECT", why);
    if (o.reverification) {
      out += fmt::format("{:<22} {}\n", "re-verification", VerdictName(o.reverification->kind));
    }
    out += fmt::format("{:<22} {} runs after {} warmup, {} ({} threads)\n", "timing",
                       p.reference.runs, s.config->profile_settings.warmup_times, p.timing_method,
                       p.threads);
  } else if (correct && o.profile) {
    out += fmt::format("{:<22} failed: {}\n", "profile", o.profile->error);
  }
  if (!s.final_kernel.empty()) out += fmt::format("{:<22} {}/{}\n", "kernel file", s.run_folder, s.final_kernel);
  out += fmt::format("{:<22} {}\n", "run folder", s.run_folder);
  return out;
}

std::string BuildReportMarkdown(const RunSummary& s) {
  const WorkflowOutcome& o = *s.outcome;
  std::string md = fmt::format("# {} — {} on {}/{}\n\n", s.task->name, s.target.dsl,
                               s.target.backend, s.target.arch);
  md += fmt::format("- started (UTC): {}\n- command: `{}`\n- workflow: {}\n- wall time: {:.1f} s\n",
                    s.started_utc, s.command_line, o.workflow, s.wall_seconds);
  for (const auto& [agent, model] : s.models) md += fmt::format("- {}: {}\n", agent, model);
  if (s.triton_interpreter) {
    md += "- no CUDA device: Triton kernels ran under Triton's interpreter on the CPU; times are "
          "not performance figures\n";
  }
  md += "\n## Result\n\n```\n" + FormatFinalTable(s) + "```\n";
  if (!o.stop_reason.empty()) md += "\nStopped: " + o.stop_reason + "\n";
  if (o.design) md += "\n## Design\n\n" + o.design->sketch + "\n";
  md += "\n## Attempts\n\n";
  for (const auto& a : o.attempts) {
    md += fmt::format("- attempt {}: **{}** — {} (`{}`){}\n", a.number, VerdictName(a.verdict.kind),
                      a.description, a.code_path,
                      a.verdict.message.empty() ? "" : "\n  - " + a.verdict.message);
  }
  return md;
}

}  // namespace akg
