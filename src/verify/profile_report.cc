#include "verify/profile_report.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace akg {
namespace {

constexpr size_t kReportedKernels = 3;
constexpr size_t kReportedStalls = 3;
constexpr size_t kNameChars = 80;  // templated kernel names run to hundreds of characters

std::string ShortName(std::string name) {
  return name.size() > kNameChars ? name.substr(0, kNameChars - 3) + "..." : name;
}

std::string Ms(double v) { return fmt::format("{:.4f} ms", v); }

// "1.23 MB", "512 KB": the work's size, not a rate.
std::string Bytes(double b) {
  if (b >= 1e9) return fmt::format("{:.2f} GB", b / 1e9);
  if (b >= 1e6) return fmt::format("{:.2f} MB", b / 1e6);
  if (b >= 1e3) return fmt::format("{:.1f} KB", b / 1e3);
  return fmt::format("{:.0f} bytes", b);
}

std::string Percent(double fraction) { return fmt::format("{:.1f}%", 100 * fraction); }

std::string TimeLine(const ProfileResult& p) {
  const TimingStats& base = p.eager_baseline ? *p.eager_baseline : p.reference;
  std::string line = fmt::format("- time: {} (p10 {}, p90 {}); eager {}{}: {} eager",
                                 Ms(p.candidate.median_ms), Ms(p.candidate.p10_ms),
                                 Ms(p.candidate.p90_ms), Ms(base.median_ms),
                                 p.eager_baseline ? " (the run's baseline)" : "",
                                 SpeedupVsEagerText(p));
  if (p.torch_compile && p.speedup_vs_torch_compile) {
    line += fmt::format("; torch.compile {}: {:.2f}x torch.compile",
                        Ms(p.torch_compile->median_ms), *p.speedup_vs_torch_compile);
  } else if (!p.torch_compile_error.empty()) {
    line += "; torch.compile not measured (" + p.torch_compile_error + ")";
  }
  return line + "\n";
}

// The fraction of the speed of light reached by `key` ("candidate", "eager", ...), or < 0.
double SolFraction(const Json& sol, const std::string& key) {
  std::string name = "fraction_of_sol_" + key;
  return sol.contains(name) && sol[name].is_number() ? sol[name].get<double>() : -1;
}

std::string SolLine(const ProfileResult& p) {
  const Json& s = p.sol;
  if (!s.is_object() || !s.contains("sol_ms") || !s["sol_ms"].is_number()) {
    std::string why = s.is_object() ? StringOr(s, "error", "") : "";
    return "- speed of light: not known" + (why.empty() ? "" : " (" + why + ")") + "\n";
  }
  std::string bound = StringOr(s, "bound", "");
  double flops = NumberOr(s, "flops", 0);
  std::string work = Bytes(NumberOr(s, "bytes", 0)) + " to read and write once" +
                     (flops > 0 ? fmt::format(", {:.3g} FLOPs", flops) : ", no counted FLOPs");
  std::string line = fmt::format("- speed of light: {} ({}; {})", Ms(s["sol_ms"].get<double>()),
                                 bound.empty() ? "bound not known" : bound + "-bound", work);
  std::vector<std::pair<const char*, const char*>> who = {
      {"candidate", "the kernel reaches"}, {"eager", "eager"}, {"torch_compile", "torch.compile"}};
  std::string fractions;
  for (const auto& [key, label] : who) {
    double f = SolFraction(s, key);
    if (f >= 0) fractions += (fractions.empty() ? "" : ", ") + std::string(label) + " " + Percent(f);
  }
  if (!fractions.empty()) line += "; " + fractions + " of it";
  return line + "\n";
}

std::string Stalls(const Json& stalls) {
  std::vector<std::pair<double, std::string>> ranked;
  if (stalls.is_object()) {
    for (const auto& [reason, v] : stalls.items()) {
      if (v.is_number() && v.get<double>() > 0) ranked.push_back({v.get<double>(), reason});
    }
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  for (size_t i = 0; i < ranked.size() && i < kReportedStalls; ++i) {
    out += fmt::format("{}{} {:.1f}", i ? ", " : "", ranked[i].second, ranked[i].first);
  }
  return out.empty() ? "none reported" : out;
}

std::string Pct(const Json& k, const char* key) {
  return k.contains(key) && k[key].is_number() ? fmt::format("{:.0f}%", k[key].get<double>())
                                               : std::string("n/a");
}

}  // namespace

std::string ProfileReport(const ProfileResult& p) {
  if (!p.ok) return "";
  std::string out = TimeLine(p) + SolLine(p);
  if (!p.performance_valid) out += "- these times are not performance figures (Triton interpreter)\n";
  return out;
}

std::string CountersReport(const CountersResult& c) {
  if (!c.ok) return "- hardware counters (ncu): not collected: " + c.unavailable + "\n";
  double total = 0;
  for (const Json& k : c.kernels) total += NumberOr(k, "duration_us", 0);
  std::string out = "- hardware counters (ncu, one call, the longest kernels first):\n";
  size_t shown = 0;
  for (const Json& k : c.kernels) {
    if (shown++ == kReportedKernels) break;
    double us = NumberOr(k, "duration_us", 0);
    out += fmt::format("  - `{}`: {:.1f} us ({:.0f}% of the call); DRAM throughput {} of peak, "
                       "SM throughput {} of peak, achieved occupancy {}; stalls (cycles per "
                       "issued instruction): {}\n",
                       ShortName(StringOr(k, "name", "?")), us, total > 0 ? 100 * us / total : 0,
                       Pct(k, "dram_pct"), Pct(k, "sm_pct"), Pct(k, "occupancy_pct"),
                       Stalls(k.contains("stalls") ? k["stalls"] : Json()));
  }
  if (c.kernels.size() > kReportedKernels) {
    out += fmt::format("  - and {} shorter kernels\n", c.kernels.size() - kReportedKernels);
  }
  return out;
}

}  // namespace akg
