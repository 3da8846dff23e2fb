#include "store/leaderboard.h"

#include <algorithm>

#include <fmt/format.h>

namespace akg {
namespace {

std::optional<double> SolFraction(const ProfileResult& p) {
  if (p.sol.is_object() && p.sol.contains("fraction_of_sol_candidate") &&
      p.sol["fraction_of_sol_candidate"].is_number()) {
    return p.sol["fraction_of_sol_candidate"].get<double>();
  }
  return std::nullopt;
}

std::string Lineage(const CandidateRecord& c) {
  std::string s = c.parent.empty() ? "new" : "<- " + c.parent;
  if (!c.inspirations.empty()) {
    s += " (+";
    for (size_t i = 0; i < c.inspirations.size(); ++i) s += (i ? "," : "") + c.inspirations[i];
    s += ")";
  }
  return s;
}

}  // namespace

std::vector<const CandidateRecord*> Leaderboard(const WorkflowOutcome& o, size_t limit) {
  std::vector<const CandidateRecord*> out;
  for (const auto& c : o.candidates) {
    if (c.passed() && c.profile && c.profile->ok) out.push_back(&c);
  }
  // One device model: each kernel's own median time decides. Mixed models (or profiles that
  // do not name theirs): the speedup over that device's eager baseline.
  bool one_model = !out.empty() && !out.front()->profile->device_name.empty();
  for (const CandidateRecord* c : out) {
    one_model = one_model && c->profile->device_name == out.front()->profile->device_name;
  }
  std::stable_sort(out.begin(), out.end(),
                   [one_model](const CandidateRecord* a, const CandidateRecord* b) {
    if (one_model) return a->profile->candidate.median_ms < b->profile->candidate.median_ms;
    return a->fitness() > b->fitness();
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Json LeaderboardJson(const WorkflowOutcome& o, size_t limit) {
  Json rows = Json::array();
  int rank = 0;
  for (const CandidateRecord* c : Leaderboard(o, limit)) {
    const ProfileResult& p = *c->profile;
    auto sol = SolFraction(p);
    rows.push_back({{"rank", ++rank},
                    {"id", c->id},
                    {"kernel", c->code_path()},
                    {"verdict", VerdictName(c->verdict.kind)},
                    {"kernel_ms", p.candidate.median_ms},
                    {"eager_ms", p.eager_baseline ? p.eager_baseline->median_ms
                                                  : p.reference.median_ms},
                    {"eager_beside_ms", p.reference.median_ms},
                    {"noisy", p.noisy},
                    {"torch_compile_ms", p.torch_compile ? Json(p.torch_compile->median_ms) : Json(nullptr)},
                    {"speedup_vs_eager", p.speedup_vs_eager},
                    {"speedup_vs_torch_compile",
                     p.speedup_vs_torch_compile ? Json(*p.speedup_vs_torch_compile) : Json(nullptr)},
                    {"fraction_of_sol", sol ? Json(*sol) : Json(nullptr)},
                    {"performance_valid", p.performance_valid},
                    {"parent", c->parent.empty() ? Json(nullptr) : Json(c->parent)},
                    {"inspirations", c->inspirations},
                    {"island", c->island},
                    {"round", c->round},
                    {"description", c->description}});
  }
  return rows;
}

Json CandidatesJson(const WorkflowOutcome& o) {
  Json rows = Json::array();
  for (const auto& c : o.candidates) rows.push_back(CandidateToJson(c));
  return rows;
}

std::string FormatLeaderboard(const WorkflowOutcome& o, size_t limit) {
  auto rows = Leaderboard(o, limit);
  if (rows.empty()) return "leaderboard: no candidate passed verification\n";
  std::string out = fmt::format("{:<4} {:<7} {:<8} {:>11} {:>9} {:>11} {:>6}  {}\n", "rank", "id",
                                "verdict", "kernel", "vs eager", "vs compile", "SOL", "lineage");
  bool any_noisy = false;
  int rank = 0;
  for (const CandidateRecord* c : rows) {
    const ProfileResult& p = *c->profile;
    auto sol = SolFraction(p);
    any_noisy = any_noisy || p.noisy_measurement();
    out += fmt::format("{:<4} {:<7} {:<8} {:>8.4f} ms {:>9} {:>11} {:>6}  {}\n", ++rank, c->id,
                       VerdictName(c->verdict.kind), p.candidate.median_ms,
                       p.noisy_measurement() ? "noisy"
                                             : fmt::format("{:.2f}x", p.speedup_vs_eager),
                       p.speedup_vs_torch_compile ? fmt::format("{:.2f}x", *p.speedup_vs_torch_compile) : "-",
                       sol ? fmt::format("{:.2f}", *sol) : "-", Lineage(*c));
  }
  if (any_noisy) {
    out += "noisy: the spread (p90/p10) was wide or eager drifted from the run's baseline; "
           "report.json gives why and the figure\n";
  }
  return out;
}

std::string FormatUtilisation(const Json& u) {
  if (!u.is_object() || !u.contains("devices")) return "";
  std::string out;
  for (const auto& d : u["devices"]) {
    out += fmt::format("{}{} {:.0f}% ({} leases)", out.empty() ? "" : ", ",
                       d.value("device", std::string("?")), 100 * NumberOr(d, "utilisation", 0),
                       static_cast<int>(NumberOr(d, "leases", 0)));
    // Only the exception is worth a word: a cold harness costs seconds per candidate.
    std::string mode = d.value("harness", std::string());
    if (mode.rfind("cold", 0) == 0) out += ", harness " + mode;
  }
  return out;
}

}  // namespace akg
