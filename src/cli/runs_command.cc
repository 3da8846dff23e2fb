#include "cli/runs_command.h"

#include <iostream>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/json.h"
#include "llm/settings.h"
#include "store/history.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

int Fail(std::ostream& err, const std::string& message) {
  err << "akg_cli: error: " << message << "\n";
  return 2;
}

Json Measured(double v) { return v == 0 ? Json(nullptr) : Json(v); }

// Compiler messages in the history may hold bytes that are not UTF-8; dump() would throw.
std::string Dump(const Json& j) { return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"; }

Json ToJson(const HistoryRun& r, bool with_candidates) {
  Json j = {{"id", r.id},
            {"task_name", r.task_name},
            {"task_hash", r.task_hash},
            {"framework", r.framework},
            {"backend", r.backend},
            {"arch", r.arch},
            {"dsl", r.dsl},
            {"workflow", r.workflow},
            {"models", r.models},
            {"verdict", r.verdict},
            {"reason", r.reason},
            {"started_utc", r.started_utc},
            {"wall_s", Measured(r.wall_s)},
            {"speedup_vs_eager", Measured(r.speedup_vs_eager)},
            {"speedup_vs_compile", Measured(r.speedup_vs_compile)},
            {"sol_fraction", Measured(r.sol_fraction)},
            {"tokens", r.tokens},
            {"cost", Measured(r.cost)},
            {"run_folder", r.run_folder}};
  if (!with_candidates) return j;
  Json cs = Json::array();
  for (const auto& c : r.candidates) {
    cs.push_back({{"id", c.id}, {"verdict", c.verdict}, {"reason", c.reason},
                  {"message", c.message}, {"kernel", c.kernel},
                  {"speedup_vs_eager", Measured(c.speedup_vs_eager)},
                  {"speedup_vs_compile", Measured(c.speedup_vs_compile)},
                  {"median_ms", Measured(c.median_ms)}});
  }
  j["candidates"] = cs;
  return j;
}

std::string Speedup(double v) { return v == 0 ? "-" : fmt::format("{:.2f}x", v); }

std::string Clip(const std::string& s, size_t n) {
  std::string one = s.substr(0, s.find('\n'));
  return one.size() > n ? one.substr(0, n - 3) + "..." : one;
}

// Columns padded to their widest cell; the last one is left ragged.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], width[i]) : row[i];
    }
    out += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
  }
  return out;
}

std::string Target(const HistoryRun& r) { return r.backend + "/" + r.arch + "/" + r.dsl; }

std::string RunsTable(const std::vector<HistoryRun>& runs) {
  std::vector<std::vector<std::string>> rows = {
      {"id", "started", "task", "target", "workflow", "verdict", "vs eager", "vs compile",
       "run folder"}};
  for (const auto& r : runs) {
    rows.push_back({std::to_string(r.id), r.started_utc, r.task_name, Target(r), r.workflow,
                    r.verdict, Speedup(r.speedup_vs_eager), Speedup(r.speedup_vs_compile),
                    r.run_folder});
  }
  return Table(rows);
}

std::string RunText(const HistoryRun& r) {
  std::vector<std::vector<std::string>> rows = {
      {"task", r.task_name + (r.task_hash.empty() ? "" : " (task.py " + r.task_hash + ")")},
      {"target", r.framework + "/" + Target(r)},
      {"workflow", r.workflow},
      {"verdict", r.verdict + (r.reason.empty() ? "" : ": " + r.reason)},
      {"started", r.started_utc},
      {"wall time", fmt::format("{:.1f} s", r.wall_s)},
      {"speedup", Speedup(r.speedup_vs_eager) + " vs eager, " + Speedup(r.speedup_vs_compile) +
                      " vs torch.compile"}};
  if (r.sol_fraction != 0) rows.push_back({"fraction of SOL", fmt::format("{:.2f}", r.sol_fraction)});
  for (const auto& [agent, model] : r.models) rows.push_back({agent, model});
  if (r.tokens > 0) {
    rows.push_back({"LLM", fmt::format("{} tokens{}", r.tokens,
                                       r.cost > 0 ? fmt::format(", cost {:.4f}", r.cost) : "")});
  }
  rows.push_back({"run folder", r.run_folder});
  std::string out = fmt::format("run {}\n", r.id) + Table(rows);
  if (r.candidates.empty()) return out;
  std::vector<std::vector<std::string>> cs = {
      {"id", "verdict", "vs eager", "vs compile", "median", "kernel", "reason / message"}};
  for (const auto& c : r.candidates) {
    std::string why = c.reason.empty() ? c.message : c.reason + ": " + c.message;
    cs.push_back({c.id, c.verdict, Speedup(c.speedup_vs_eager), Speedup(c.speedup_vs_compile),
                  c.median_ms == 0 ? "-" : fmt::format("{:.4f} ms", c.median_ms), c.kernel,
                  Clip(why, 70)});
  }
  return out + fmt::format("\ncandidates ({}):\n", r.candidates.size()) + Table(cs);
}

int List(RunHistory* h, const RunsOptions& o, std::ostream& out, std::ostream& err) {
  auto runs = h->List({o.task, o.dsl, o.since, o.limit});
  if (!runs.ok()) return Fail(err, runs.status().message());
  if (o.json) {
    Json rows = Json::array();
    for (const auto& r : *runs) rows.push_back(ToJson(r, false));
    out << Dump({{"history", h->path().string()}, {"runs", rows}});
    return 0;
  }
  if (runs->empty()) {
    out << "no runs match in the history " << h->path().string() << "\n";
    return 0;
  }
  out << RunsTable(*runs);
  if (o.limit > 0 && runs->size() == static_cast<size_t>(o.limit)) {
    out << fmt::format("(the newest {}; --limit 0 lists all)\n", o.limit);
  }
  return 0;
}

}  // namespace

int RunRunsCommand(const RunsOptions& o, Env* env, std::ostream& out, std::ostream& err) {
  if (!o.since.empty() && !IsHistoryDate(o.since)) {
    return Fail(err, "--since '" + o.since + "' is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
  }
  if (o.show && o.id <= 0) return Fail(err, fmt::format("run id {} is not valid; ids start at 1", o.id));
  if (o.limit < 0) return Fail(err, "--limit must be 0 (all) or more");
  auto path = ChooseHistoryPath(o.db, *env);
  if (!path.ok()) return Fail(err, path.status().message());
  std::error_code ec;
  // Reading must not leave a file behind: a missing one is an empty history.
  if (!fs::exists(*path, ec)) {
    if (o.show) {
      return Fail(err, fmt::format("no run {}: the history {} is empty (no run has finished yet)",
                                   o.id, path->string()));
    }
    if (o.json) {
      out << Dump({{"history", path->string()}, {"runs", Json::array()}});
    } else {
      out << "the run history is empty (" << path->string() << " does not exist yet)\n";
    }
    return 0;
  }
  std::string note;
  auto history = RunHistory::Open(*path, &note);
  if (!history.ok()) return Fail(err, history.status().message());
  if (!note.empty()) err << "akg_cli: note: " << note << "\n";
  if (!o.show) return List(history->get(), o, out, err);
  auto run = (*history)->Get(o.id);
  if (!run.ok()) return Fail(err, run.status().message());
  out << (o.json ? Dump(ToJson(*run, true)) : RunText(*run));
  return 0;
}

std::function<int()> SetupRunsCommand(CLI::App* cmd) {
  auto o = std::make_shared<RunsOptions>();
  cmd->add_option("--task", o->task, "only runs of this task (its name, e.g. relu)");
  cmd->add_option("--dsl", o->dsl, "only runs with this DSL, e.g. triton_cuda");
  cmd->add_option("--since", o->since, "only runs started on or after DATE (YYYY-MM-DD or ISO, UTC)");
  cmd->add_option("--limit", o->limit, "how many of the newest runs (0 = all)")->default_val(50);
  cmd->add_option("--db", o->db, "the history file (default: history_db in settings.yaml, else "
                                 "$XDG_DATA_HOME/akg/history.db or ~/.local/share/akg/history.db)");
  cmd->add_flag("--json", o->json, "JSON on stdout");
  CLI::App* show = cmd->add_subcommand("show", "one run with its candidates");
  show->add_option("ID", o->id, "the run's id (from `akg_cli runs`)")->required();
  show->add_flag("--json", o->json, "JSON on stdout");
  show->callback([o] { o->show = true; });
  cmd->footer("\nExamples:\n  akg_cli runs --task relu --since 2026-12-01\n"
              "  akg_cli runs show 12 --json\n");
  return [o] {
    SystemEnv env;
    return RunRunsCommand(*o, &env, std::cout, std::cerr);
  };
}

}  // namespace akg
