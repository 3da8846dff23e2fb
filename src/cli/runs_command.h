// `akg_cli runs`: the run history (store/history.h) for people and scripts.
//
//   runs [--task NAME] [--dsl D] [--since DATE] [--limit N] [--json]   newest runs, a table
//   runs show ID [--json]                                                one run, its candidates
//
//   flags -> the history file (--db, else history_db in settings.yaml, else DefaultHistoryPath)
//         -> RunHistory::List / Get -> an aligned table, or JSON on `out` with --json
//
// A history file that does not exist yet is an empty history: it is reported, not created.
// Exit codes: 0 ok (also for an empty history), 2 bad input (an unknown id, a bad date, a
// settings error, a file that is not a readable history) with one `akg_cli: error:` line.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

#include "env/env.h"

namespace CLI {
class App;
}

namespace akg {

struct RunsOptions {
  std::string task;     // --task: only runs of this task ("" = all)
  std::string dsl;      // --dsl: only runs with this DSL ("" = all)
  std::string since;    // --since: "2026-12-01" or "2026-12-01T08:00:00Z" ("" = all)
  int limit = 50;       // --limit: newest runs listed (0 = all)
  bool json = false;    // --json: JSON on stdout instead of a table
  bool show = false;    // `runs show ID`: one run with its candidates
  int64_t id = 0;       // the run `show` prints
  std::string db;       // --db: the history file ("" = settings' history_db, else the default)
};

// Adds the flags and the `show` subcommand to `cmd`; the runner uses the real environment.
std::function<int()> SetupRunsCommand(CLI::App* cmd);

int RunRunsCommand(const RunsOptions& options, Env* env, std::ostream& out, std::ostream& err);

}  // namespace akg
