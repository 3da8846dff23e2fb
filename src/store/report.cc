#include "store/report.h"

#include <fmt/format.h>

#include "store/leaderboard.h"

namespace akg {
namespace {

Json ConfigJson(const DslConfig& c) {
  const auto& vs = c.verify_settings;
  return {{"agent_model_config", c.agent_model_config},
          {"log_dir", c.log_dir},
          {"default_workflow", c.default_workflow},
          {"max_steps", c.max_steps},
          {"optimise_steps", c.optimise_steps},
          {"optimise_settings", {{"below_baseline", c.optimise_settings.below_baseline},
                                 {"below_sol", c.optimise_settings.below_sol}}},
          {"verify_timeout", c.verify_timeout},
          {"profile_timeout", c.profile_timeout},
          {"inspect_timeout", c.inspect_timeout},
          {"profile_settings",
           {{"run_times", c.profile_settings.run_times},
            {"warmup_times", c.profile_settings.warmup_times}}},
          {"verify_settings",
           {{"trials", vs.trials}, {"seed", vs.seed},
            {"atol", vs.atol ? Json(*vs.atol) : Json(nullptr)},
            {"rtol", vs.rtol ? Json(*vs.rtol) : Json(nullptr)}, {"shapes", vs.shapes}}}};
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

// "2 steps from attempt-01, kept attempt-03; stopped: ...": the optimise steps of the default
// workflow (WorkflowOutcome::optimise).
std::string OptimiseLine(const Json& o) {
  int steps = 0;
  for (const Json& e : o.value("steps", Json::array())) steps += e.contains("outcome");
  return fmt::format("{} step{} from {}, kept {}; stopped: {}", steps, steps == 1 ? "" : "s",
                     StringOr(o, "first_kernel", "?"), StringOr(o, "kept", "?"),
                     StringOr(o, "stopped", "?"));
}

constexpr size_t kLeaderboardRows = 10;

// The attempts (default, coder_only, verifier_only), the static check (kernelgen_only), or
// the leaderboard (searches).
std::string FormatCandidates(const WorkflowOutcome& o) {
  if (o.is_search) {
    int failed = 0;
    for (const auto& c : o.candidates) failed += !c.passed();
    return fmt::format("{} candidates, {} failed; best kernels:\n", o.candidates.size(), failed) +
           FormatLeaderboard(o, kLeaderboardRows);
  }
  std::string out = fmt::format("{:<8} {:<14} {}\n", o.unverified ? "kernel" : "attempt",
                                o.unverified ? "static check" : "verdict", "message");
  for (size_t i = 0; i < o.candidates.size(); ++i) {
    const CandidateRecord& a = o.candidates[i];
    std::string msg = a.verdict.message.size() > 70 ? a.verdict.message.substr(0, 67) + "..."
                                                    : a.verdict.message;
    out += fmt::format("{:<8} {:<14} {}\n", i + 1, VerdictName(a.verdict.kind),
                       a.verdict.reason.empty() ? msg : a.verdict.reason + ": " + msg);
  }
  return out;
}

}  // namespace

Json BuildReportJson(const RunSummary& s) {
  const WorkflowOutcome& o = *s.outcome;
  Json attempts = Json::array();
  for (size_t i = 0; i < o.candidates.size(); ++i) {
    const CandidateRecord& a = o.candidates[i];
    attempts.push_back({{"attempt", i + 1},
                        {"description", a.description},
                        {"kernel", a.code_path()},
                        {"verdict", VerdictName(a.verdict.kind)},
                        {"reason", a.verdict.reason},
                        {"message", a.verdict.message},
                        {"verify_seconds", a.verdict.wall_seconds},
                        {"shape_general", ToJson(a.verdict.shape_general)},
                        {"tolerance", ToJson(a.verdict.tolerance)}});
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
  if (o.unverified) r["unverified"] = true;
  if (!o.not_verified.empty()) r["not_verified"] = o.not_verified;
  if (o.is_search) {
    r["search"] = o.search;
    r["leaderboard"] = LeaderboardJson(o, kLeaderboardRows);
    r["candidates"] = CandidatesJson(o);
    r["best_candidate"] = o.passing() ? Json(o.candidates[o.passing_attempt - 1].id) : Json(nullptr);
  }
  if (!o.device_utilisation.is_null()) r["device_utilisation"] = o.device_utilisation;
  if (!o.optimise.is_null()) r["optimise"] = o.optimise;
  r["llm"] = s.llm;
  r["skills"] = s.skills;
  if (o.profile) r["profile"] = ProfileToJson(*o.profile);
  if (o.reverification) {
    r["reverification"] = {{"verdict", VerdictName(o.reverification->kind)},
                           {"reason", o.reverification->reason},
                           {"message", o.reverification->message}};
  }
  // The final kernel's: how general it was shown to be and what it was compared with.
  const CandidateRecord* best = o.unverified ? nullptr : o.passing();
  r["shape_general"] = best ? ToJson(best->verdict.shape_general) : Json(nullptr);
  r["tolerance"] = best ? ToJson(best->verdict.tolerance) : Json(nullptr);
  if (const CandidateRecord* a = o.passing(); a && a->verdict.details.is_object()) {
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
  std::string out = FormatCandidates(o);
  out += "\n";
  bool correct = o.passing() != nullptr;
  if (o.unverified) {
    out += fmt::format("{:<22} {}\n", "correct",
                       "UNVERIFIED (kernelgen_only: never run against the reference)");
  } else if (!o.not_verified.empty()) {
    out += fmt::format("{:<22} NOT VERIFIED ({}; built on the CPU, never run)\n", "correct",
                       o.not_verified);
  } else {
    out += fmt::format("{:<22} {}\n", "correct", correct ? "yes" : "no");
  }
  if (o.is_search && o.passing()) {
    const CandidateRecord& b = o.candidates[o.passing_attempt - 1];
    out += fmt::format("{:<22} {} ({})\n", "best candidate", b.id, b.description);
  }
  if (correct && o.optimise.is_object()) {
    out += fmt::format("{:<22} {}\n", "optimise", OptimiseLine(o.optimise));
  }
  if (correct && !o.unverified) {
    const Verdict& v = o.passing()->verdict;
    out += fmt::format("{:<22} {}\n", "shape-general", ShapeGeneralityLine(v.shape_general));
    out += fmt::format("{:<22} {}\n", "tolerance", ToleranceLine(v.tolerance));
  }
  if (correct && o.profile && o.profile->ok) {
    const ProfileResult& p = *o.profile;
    const TimingStats& base = p.eager_baseline ? *p.eager_baseline : p.reference;
    out += fmt::format("{:<22} {} (p10 {}, p90 {}{})\n", "reference (eager)", Ms(base.median_ms),
                       Ms(base.p10_ms), Ms(base.p90_ms),
                       p.eager_baseline ? fmt::format("; the run's baseline, {} runs", base.runs) : "");
    if (p.eager_baseline) {
      out += fmt::format("{:<22} {} (p10 {}, p90 {}; timed in turn with the kernel)\n",
                         "eager beside it", Ms(p.reference.median_ms), Ms(p.reference.p10_ms),
                         Ms(p.reference.p90_ms));
    }
    out += fmt::format("{:<22} {} (p10 {}, p90 {})\n", "kernel", Ms(p.candidate.median_ms),
                       Ms(p.candidate.p10_ms), Ms(p.candidate.p90_ms));
    if (p.torch_compile) {
      out += fmt::format("{:<22} {} (p10 {}, p90 {})\n", "torch.compile", Ms(p.torch_compile->median_ms),
                         Ms(p.torch_compile->p10_ms), Ms(p.torch_compile->p90_ms));
    } else if (!p.torch_compile_error.empty()) {
      out += fmt::format("{:<22} failed: {}\n", "torch.compile", p.torch_compile_error);
    }
    out += fmt::format("{:<22} {}{}\n", "speedup vs eager", SpeedupVsEagerText(p),
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
  if (std::string u = FormatUtilisation(o.device_utilisation); !u.empty()) {
    out += fmt::format("{:<22} {}\n", "device utilisation", u);
  }
  if (o.is_search && !o.stop_reason.empty()) out += fmt::format("{:<22} {}\n", "stopped", o.stop_reason);
  if (!s.final_kernel.empty()) {
    out += fmt::format("{:<22} {}/{}{}\n", "kernel file", s.run_folder, s.final_kernel,
                       o.unverified ? "  (UNVERIFIED)" : o.not_verified.empty() ? "" : "  (NOT VERIFIED)");
  }
  if (s.llm.is_object() && s.llm.value("calls", 0) > 0) {
    const Json& l = s.llm;
    std::string cost = l["cost"].is_number() ? fmt::format(", cost {:.4f}", l["cost"].get<double>())
                                             : std::string(", cost unknown (no price)");
    out += fmt::format("{:<22} {} calls, {} tokens in, {} out{}\n", "LLM", l.value("calls", 0),
                       l.value("input_tokens", 0), l.value("output_tokens", 0), cost);
    if (l["budget_exhausted"].is_string()) {
      out += fmt::format("{:<22} {}\n", "LLM budget", l["budget_exhausted"].get<std::string>());
    }
  }
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
  if (o.is_search) {
    md += "\n## Leaderboard\n\n```\n" + FormatLeaderboard(o, kLeaderboardRows) + "```\n";
    if (std::string u = FormatUtilisation(o.device_utilisation); !u.empty()) {
      md += "\nDevice utilisation: " + u + "\n";
    }
    md += "\n## Candidates\n\n";
    for (const auto& c : o.candidates) {
      md += fmt::format("- {} (island {}, round {}, {}): **{}** — {} (`{}`)\n", c.id, c.island,
                        c.round, c.parent.empty() ? "new" : "parent " + c.parent,
                        c.passed() ? "passed" : "failed", c.Summary(), c.code_path());
    }
    return md;
  }
  if (std::string u = FormatUtilisation(o.device_utilisation); !u.empty()) {
    md += "\nDevice utilisation: " + u + "\n";
  }
  md += o.unverified ? "\n## Kernel (UNVERIFIED)\n\n" : "\n## Attempts\n\n";
  for (size_t i = 0; i < o.candidates.size(); ++i) {
    const CandidateRecord& a = o.candidates[i];
    md += fmt::format("- attempt {}: **{}** — {} (`{}`){}\n", i + 1, VerdictName(a.verdict.kind),
                      a.description, a.code_path(),
                      a.verdict.message.empty() ? "" : "\n  - " + a.verdict.message);
    // Only where outputs were compared: a compile error has neither to tell.
    if (a.verdict.tolerance.reported() || a.verdict.shape_general.status != "not_checked") {
      md += fmt::format("  - shape-general: {}\n  - tolerance: {}\n",
                        ShapeGeneralityLine(a.verdict.shape_general),
                        ToleranceLine(a.verdict.tolerance));
    }
  }
  return md;
}

}  // namespace akg
