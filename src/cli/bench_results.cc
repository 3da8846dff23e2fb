#include "cli/bench_results.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

namespace akg {
namespace {

constexpr const char* kDash = "—";
constexpr size_t kWhyKept = 500;  // characters of "why" kept in results.json

const Json& At(const Json& j, const char* key) {
  static const Json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}

std::optional<double> Positive(const Json& j, const char* key) {
  const Json& v = At(j, key);
  if (!v.is_number() || v.get<double>() <= 0) return std::nullopt;
  return v.get<double>();
}

Json OrNull(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

std::optional<double> FromJson(const Json& j, const char* key) {
  const Json& v = At(j, key);
  return v.is_number() ? std::optional<double>(v.get<double>()) : std::nullopt;
}

std::string Clip(const std::string& s, size_t n) { return s.size() > n ? s.substr(0, n) : s; }

// The numbers of the final kernel's profile (report.json's "profile", ProfileToJson).
void ReadProfile(const Json& report, BenchRow* row) {
  const Json& p = At(report, "profile");
  if (!p.is_object()) return;
  if (!p.value("ok", false)) {
    row->why = "profile failed: " + StringOr(p, "error", "unknown");
    return;
  }
  row->eager_ms = Positive(At(p, "reference_eager"), "median_ms");
  row->compile_ms = Positive(At(p, "torch_compile"), "median_ms");
  row->median_ms = Positive(At(p, "kernel"), "median_ms");
  row->speedup_vs_eager = Positive(p, "speedup_vs_eager");
  row->speedup_vs_compile = Positive(p, "speedup_vs_torch_compile");
  row->sol_fraction = Positive(At(p, "sol"), "fraction_of_sol_candidate");
  row->performance_valid = p.value("performance_valid", true);
  if (!row->performance_valid) row->why = "times are not performance (Triton interpreter)";
}

// The last attempt's verdict: "wrong_answer: max abs error 0.3 ...".
std::string LastVerdict(const Json& attempts) {
  if (!attempts.is_array() || attempts.empty()) return "";
  const Json& a = attempts.back();
  std::string head = StringOr(a, "reason", "");
  if (head.empty()) head = StringOr(a, "verdict", "failed");
  std::string message = StringOr(a, "message", "");
  return message.empty() ? head : head + ": " + message;
}

std::string Fixed(const std::optional<double>& v, const char* format) {
  return v ? fmt::format(fmt::runtime(format), *v) : std::string(kDash);
}

std::string Fraction(int n, int of) {
  return of == 0 ? std::string(kDash) : fmt::format("{:.2f}", static_cast<double>(n) / of);
}

// Display width of a UTF-8 string (the dash is one column, three bytes).
size_t Columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Pad(const std::string& s, size_t width, bool right) {
  std::string fill(width > Columns(s) ? width - Columns(s) : 0, ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

std::string ShortWhy(const std::string& why, size_t width) {
  std::string line = why.substr(0, why.find('\n'));
  if (Columns(line) <= width) return line;
  // Cut on a character boundary.
  size_t bytes = 0, cols = 0;
  while (bytes < line.size() && cols < width - 3) {
    ++bytes;
    while (bytes < line.size() && (static_cast<unsigned char>(line[bytes]) & 0xC0) == 0x80) ++bytes;
    ++cols;
  }
  return line.substr(0, bytes) + "...";
}

BenchRow RowFromReport(const std::string& task, const std::string& task_file, const Json& report,
                       int exit_code) {
  BenchRow row;
  row.task = task;
  row.task_file = task_file;
  row.run_folder = StringOr(report, "run_folder", "");
  row.wall_seconds = NumberOr(report, "wall_seconds", 0);
  const Json& attempts = At(report, "attempts");
  row.attempts = attempts.is_array() ? static_cast<int>(attempts.size()) : 0;
  // A search's candidates whose generation failed are records too: handled = one was written.
  if (attempts.is_array()) {
    for (const Json& a : attempts) row.handled |= StringOr(a, "reason", "") != "generation_failed";
  }
  row.correct = At(report, "verified").is_boolean() && report["verified"].get<bool>();
  if (exit_code == 130 || (At(report, "interrupted").is_boolean() && report["interrupted"].get<bool>())) {
    row.status = "cancelled";
    row.why = "cancelled (Ctrl-C)";
  } else if (row.correct) {
    row.status = "passed";
    ReadProfile(report, &row);
  } else if (At(report, "unverified").is_boolean() && report["unverified"].get<bool>()) {
    row.status = exit_code == 0 ? "unverified" : "failed";
    row.why = exit_code == 0 ? "UNVERIFIED: static rules only (kernelgen_only)" : LastVerdict(attempts);
  } else if (At(report, "not_verified").is_string()) {
    row.status = "not_verified";  // built, never run: no device for the target here
    row.why = report["not_verified"].get<std::string>();
  } else if (!row.handled) {
    row.status = "declined";
    row.why = LastVerdict(attempts);
  } else {
    row.status = "failed";
    row.why = LastVerdict(attempts);
  }
  if (row.why.empty() && !row.correct) row.why = StringOr(report, "stop_reason", "");
  row.why = Clip(row.why, kWhyKept);
  return row;
}

BenchRow RowFromError(const std::string& task, const std::string& task_file, const Status& error) {
  BenchRow row;
  row.task = task;
  row.task_file = task_file;
  switch (error.kind()) {
    case ErrorKind::kUnsupported: row.status = "declined"; break;
    case ErrorKind::kCancelled: row.status = "cancelled"; break;
    case ErrorKind::kInternal: row.status = "agent_error"; break;
    default: row.status = "error"; break;
  }
  row.why = Clip(error.message(), kWhyKept);
  if (row.why.empty()) row.why = row.status;
  return row;
}

std::optional<double> Geomean(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  double log_sum = 0;
  for (double v : values) log_sum += std::log(v);
  return std::exp(log_sum / static_cast<double>(values.size()));
}

SuiteFigures ComputeFigures(const std::vector<BenchRow>& rows) {
  SuiteFigures f;
  f.tasks = static_cast<int>(rows.size());
  std::vector<double> vs_eager, vs_compile;
  for (const BenchRow& r : rows) {
    f.handled += r.handled;
    f.correct += r.correct;
    if (!r.correct || !r.performance_valid) continue;
    if (r.speedup_vs_eager) {
      vs_eager.push_back(*r.speedup_vs_eager);
      f.faster_than_eager += *r.speedup_vs_eager > 1;
    }
    if (r.speedup_vs_compile) {
      vs_compile.push_back(*r.speedup_vs_compile);
      f.faster_than_compile += *r.speedup_vs_compile > 1;
    }
  }
  f.with_compile = static_cast<int>(vs_compile.size());
  if (f.tasks > 0) {
    f.fast_0 = static_cast<double>(f.correct) / f.tasks;
    f.fast_1_eager = static_cast<double>(f.faster_than_eager) / f.tasks;
    if (f.with_compile > 0) f.fast_1_compile = static_cast<double>(f.faster_than_compile) / f.tasks;
  }
  f.geomean_vs_eager = Geomean(vs_eager);
  f.geomean_vs_compile = Geomean(vs_compile);
  f.geomean_eager_n = static_cast<int>(vs_eager.size());
  f.geomean_compile_n = f.with_compile;
  return f;
}

std::string FormatBenchTable(const std::vector<BenchRow>& rows) {
  const std::vector<std::string> head = {"task",      "status",   "handled",    "correct",
                                         "eager ms",  "compile ms", "ours ms",  "vs eager",
                                         "vs compile", "SOL",     "attempts",   "why"};
  const std::vector<bool> right = {false, false, false, false, true, true,
                                   true,  true,  true,  true,  true, false};
  std::vector<std::vector<std::string>> cells = {head};
  for (const BenchRow& r : rows) {
    cells.push_back({r.task, r.status, r.handled ? "yes" : "no", r.correct ? "yes" : "no",
                     Fixed(r.eager_ms, "{:.4f}"), Fixed(r.compile_ms, "{:.4f}"),
                     Fixed(r.median_ms, "{:.4f}"), Fixed(r.speedup_vs_eager, "{:.2f}x"),
                     Fixed(r.speedup_vs_compile, "{:.2f}x"), Fixed(r.sol_fraction, "{:.2f}"),
                     std::to_string(r.attempts), ShortWhy(r.why)});
  }
  std::vector<size_t> width(head.size(), 0);
  for (const auto& line : cells) {
    for (size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], Columns(line[i]));
  }
  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      bool last = i + 1 == line.size();
      text += (i ? "  " : "") + (last ? line[i] : Pad(line[i], width[i], right[i]));
    }
    out += text.substr(0, text.find_last_not_of(' ') + 1) + "\n";
  }
  return out;
}

std::string FormatFigures(const SuiteFigures& f) {
  std::string out = fmt::format("{:<26} {}\n", "tasks", f.tasks);
  out += fmt::format("{:<26} {}\n", "handled", f.handled);
  out += fmt::format("{:<26} {} ({}/{} correct)\n", "fast_0", Fraction(f.correct, f.tasks),
                     f.correct, f.tasks);
  out += fmt::format("{:<26} {} ({}/{} correct and faster)\n", "fast_1 vs eager",
                     Fraction(f.faster_than_eager, f.tasks), f.faster_than_eager, f.tasks);
  if (f.fast_1_compile) {
    out += fmt::format("{:<26} {:.2f} ({}/{} correct and faster)\n", "fast_1 vs torch.compile",
                       *f.fast_1_compile, f.faster_than_compile, f.tasks);
  } else {
    out += fmt::format("{:<26} {} (no torch.compile times)\n", "fast_1 vs torch.compile", kDash);
  }
  auto geomean = [](const std::optional<double>& g, int n) {
    return g ? fmt::format("{:.2f}x over {} correct task{}", *g, n, n == 1 ? "" : "s")
             : std::string(kDash);
  };
  out += fmt::format("{:<26} {}\n", "geomean speedup vs eager",
                     geomean(f.geomean_vs_eager, f.geomean_eager_n));
  out += fmt::format("{:<26} {}\n", "geomean vs torch.compile",
                     geomean(f.geomean_vs_compile, f.geomean_compile_n));
  return out;
}

std::string FormatRowLine(const BenchRow& r) {
  std::string line = r.task + ": " + r.status;
  if (r.median_ms) line += fmt::format(", {:.4f} ms", *r.median_ms);
  if (r.speedup_vs_eager) line += fmt::format(", {:.2f}x vs eager", *r.speedup_vs_eager);
  if (r.speedup_vs_compile) line += fmt::format(", {:.2f}x vs torch.compile", *r.speedup_vs_compile);
  if (r.attempts > 0) line += fmt::format(", {} attempt{}", r.attempts, r.attempts == 1 ? "" : "s");
  if (!r.why.empty()) line += " (" + ShortWhy(r.why, 100) + ")";
  return line;
}

namespace {

Json RowJson(const BenchRow& r) {
  return {{"task", r.task},
          {"task_file", r.task_file},
          {"status", r.status},
          {"handled", r.handled},
          {"correct", r.correct},
          {"eager_ms", OrNull(r.eager_ms)},
          {"torch_compile_ms", OrNull(r.compile_ms)},
          {"median_ms", OrNull(r.median_ms)},
          {"speedup_vs_eager", OrNull(r.speedup_vs_eager)},
          {"speedup_vs_torch_compile", OrNull(r.speedup_vs_compile)},
          {"sol_fraction", OrNull(r.sol_fraction)},
          {"performance_valid", r.performance_valid},
          {"attempts", r.attempts},
          {"why", r.why},
          {"run_folder", r.run_folder.empty() ? Json(nullptr) : Json(r.run_folder)},
          {"wall_seconds", r.wall_seconds}};
}

Result<BenchRow> RowOf(const Json& j, const std::string& what) {
  BenchRow r;
  r.task = StringOr(j, "task", "");
  if (r.task.empty()) return InputError(what + " has a task row without \"task\"");
  r.task_file = StringOr(j, "task_file", "");
  r.status = StringOr(j, "status", "error");
  r.handled = At(j, "handled").is_boolean() && j["handled"].get<bool>();
  r.correct = At(j, "correct").is_boolean() && j["correct"].get<bool>();
  r.eager_ms = FromJson(j, "eager_ms");
  r.compile_ms = FromJson(j, "torch_compile_ms");
  r.median_ms = FromJson(j, "median_ms");
  r.speedup_vs_eager = FromJson(j, "speedup_vs_eager");
  r.speedup_vs_compile = FromJson(j, "speedup_vs_torch_compile");
  r.sol_fraction = FromJson(j, "sol_fraction");
  r.performance_valid = !At(j, "performance_valid").is_boolean() || j["performance_valid"].get<bool>();
  r.attempts = static_cast<int>(NumberOr(j, "attempts", 0));
  r.why = StringOr(j, "why", "");
  r.run_folder = StringOr(j, "run_folder", "");
  r.wall_seconds = NumberOr(j, "wall_seconds", 0);
  return r;
}

Json FiguresJson(const SuiteFigures& f) {
  return {{"tasks", f.tasks},
          {"handled", f.handled},
          {"correct", f.correct},
          {"faster_than_eager", f.faster_than_eager},
          {"faster_than_torch_compile", f.faster_than_compile},
          {"fast_0", f.fast_0},
          {"fast_1_vs_eager", f.fast_1_eager},
          {"fast_1_vs_torch_compile", OrNull(f.fast_1_compile)},
          {"geomean_speedup_vs_eager", OrNull(f.geomean_vs_eager)},
          {"geomean_speedup_vs_torch_compile", OrNull(f.geomean_vs_compile)}};
}

}  // namespace

Json BenchResultsJson(const BenchResults& r) {
  Json rows = Json::array();
  for (const BenchRow& row : r.rows) rows.push_back(RowJson(row));
  Json resumes = Json::array();
  for (const auto& x : r.resumes) resumes.push_back({{"command", x.command}, {"started_utc", x.started_utc}});
  return {{"schema_version", BenchResults::kSchemaVersion},
          {"target", {{"framework", r.target.framework}, {"backend", r.target.backend},
                      {"arch", r.target.arch}, {"dsl", r.target.dsl}}},
          {"workflow", r.workflow},
          {"devices", r.devices},
          {"command", r.command},
          {"started_utc", r.started_utc},
          {"finished_utc", r.finished_utc.empty() ? Json(nullptr) : Json(r.finished_utc)},
          {"interrupted", r.interrupted},
          {"resumes", resumes},
          {"tasks", rows},
          {"figures", FiguresJson(ComputeFigures(r.rows))}};
}

Result<BenchResults> BenchResultsFromJson(const Json& j, const std::string& what) {
  if (!j.is_object() || !At(j, "schema_version").is_number_integer()) {
    return InputError(what + " is not a bench results file (no schema_version)");
  }
  int version = j["schema_version"].get<int>();
  if (version > BenchResults::kSchemaVersion) {
    return InputError(fmt::format("{} has schema version {}; this akg_cli reads up to {}: use a "
                                  "newer akg_cli",
                                  what, version, BenchResults::kSchemaVersion));
  }
  BenchResults r;
  const Json& t = At(j, "target");
  r.target = {StringOr(t, "framework", ""), StringOr(t, "backend", ""), StringOr(t, "arch", ""),
              StringOr(t, "dsl", "")};
  r.workflow = StringOr(j, "workflow", "");
  r.devices = StringOr(j, "devices", "0");
  r.command = StringOr(j, "command", "");
  r.started_utc = StringOr(j, "started_utc", "");
  r.finished_utc = StringOr(j, "finished_utc", "");
  r.interrupted = At(j, "interrupted").is_boolean() && j["interrupted"].get<bool>();
  if (At(j, "resumes").is_array()) {
    for (const Json& x : j["resumes"]) {
      r.resumes.push_back({StringOr(x, "command", ""), StringOr(x, "started_utc", "")});
    }
  }
  if (!At(j, "tasks").is_array()) return InputError(what + " has no \"tasks\" list");
  for (const Json& row : j["tasks"]) {
    AKG_ASSIGN_OR_RETURN(BenchRow parsed, RowOf(row, what));
    r.rows.push_back(std::move(parsed));
  }
  return r;
}

std::string BenchMarkdown(const BenchResults& r) {
  std::string md = fmt::format("# bench — {} on {}/{}\n\n", r.target.dsl, r.target.backend,
                               r.target.arch);
  md += fmt::format("- workflow: {}\n- devices: {}\n- command: `{}`\n- started (UTC): {}\n",
                    r.workflow, r.devices, r.command, r.started_utc);
  for (const auto& x : r.resumes) {
    md += fmt::format("- resumed (UTC): {} with `{}`\n", x.started_utc, x.command);
  }
  md += fmt::format("- finished (UTC): {}{}\n", r.finished_utc.empty() ? "not yet" : r.finished_utc,
                    r.interrupted ? " (interrupted)" : "");
  md += "\n```\n" + FormatBenchTable(r.rows) + "\n" + FormatFigures(ComputeFigures(r.rows)) + "```\n";
  return md;
}

bool Finished(const BenchRow& row) {
  return row.status != "cancelled" && row.status != "agent_error";
}

std::vector<size_t> TasksToRun(const std::vector<std::string>& task_names,
                               std::vector<BenchRow>* rows) {
  rows->erase(std::remove_if(rows->begin(), rows->end(),
                             [](const BenchRow& r) { return !Finished(r); }),
              rows->end());
  std::set<std::string> done;
  for (const BenchRow& r : *rows) done.insert(r.task);
  std::vector<size_t> todo;
  for (size_t i = 0; i < task_names.size(); ++i) {
    if (!done.count(task_names[i])) todo.push_back(i);
  }
  return todo;
}

}  // namespace akg
