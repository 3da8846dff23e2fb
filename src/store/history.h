// Run history: one SQLite file that every akg_cli process adds its finished runs to, so that
// `akg_cli runs` can list and compare them across run folders.
//
//   Run::Finish ── report.json + task.py ──HistoryRunFromReport──▶ HistoryRun ──Record──▶ runs
//                                                                                     + candidates
//   akg_cli runs [show ID] ◀──List / Get── RunHistory::Open(path)
//
// The file is ~/.local/share/akg/history.db ($XDG_DATA_HOME/akg/history.db), or the settings
// file's history_db (llm/settings.h). It is a convenience on top of the run folders, which stay
// the full record: a history that cannot be written is a warning, never a failed run.
//
// Concurrency: several processes (and threads, each with its own RunHistory) write at once.
// The file is in WAL mode with a 10 s busy timeout, and every write is one BEGIN IMMEDIATE
// transaction, so a writer waits for the lock instead of failing on a stale snapshot. Where WAL
// is refused (some network file systems), the rollback journal is used and Open says so.
//
// Schema (PRAGMA user_version): v1 had runs without sol_fraction and candidates without
// speedup_vs_compile and median_ms; v2 adds them. Open migrates an older file in place and
// refuses one written by a newer akg_cli.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "env/env.h"

struct sqlite3;

namespace akg {

struct HistoryCandidate {
  std::string id;       // "c0001" (searches) or the attempt's number "1", "2", ...
  std::string verdict;  // passed, compile_error, wrong_answer, ... (verify/verdict.h)
  std::string reason;   // the verdict's reason ("" when none)
  std::string message;  // the verdict's one line
  std::string kernel;   // path relative to the run folder
  double speedup_vs_eager = 0, speedup_vs_compile = 0, median_ms = 0;  // 0 = not measured
};

struct HistoryRun {
  int64_t id = 0;  // assigned by Record
  std::string task_name;
  std::string task_hash;  // FNV-1a 64 of the run folder's task.py, 16 hex digits ("" = none)
  std::string framework, backend, arch, dsl, workflow;
  std::map<std::string, std::string> models;  // agent -> model
  std::string verdict;      // passed | failed | interrupted | unverified | not_verified
  std::string reason;       // the stop reason, or why the last attempt failed
  std::string started_utc;  // "YYYY-MM-DDTHH:MM:SSZ"
  std::string run_folder;   // absolute
  double wall_s = 0, speedup_vs_eager = 0, speedup_vs_compile = 0, sol_fraction = 0;  // 0 = not measured
  int64_t tokens = 0;  // LLM input + output tokens
  double cost = 0;     // 0 also when the models have no price
  std::vector<HistoryCandidate> candidates;
};

struct HistoryFilter {
  std::string task;   // exact task name ("" = any)
  std::string dsl;    // exact DSL ("" = any)
  std::string since;  // "2026-12-01" or a full ISO time "2026-12-01T08:00:00Z" ("" = any)
  int limit = 50;     // newest rows kept; <= 0 = all
};

class RunHistory {
 public:
  // Creates the file and its folder if needed, migrates an older schema; *note gets a line when
  // WAL was not available. Errors: an empty path, a folder that cannot be made, a file that is
  // not an SQLite database or is from a newer akg_cli (InputError, naming the file).
  static Result<std::unique_ptr<RunHistory>> Open(const std::filesystem::path& db,
                                                  std::string* note = nullptr);
  ~RunHistory();
  RunHistory(const RunHistory&) = delete;
  RunHistory& operator=(const RunHistory&) = delete;

  // Adds the run and its candidates in one transaction; returns the run's id.
  Result<int64_t> Record(const HistoryRun& run);
  // Newest first (by started_utc, then id), without candidates. A malformed `since` is an
  // InputError.
  Result<std::vector<HistoryRun>> List(const HistoryFilter& filter);
  // With candidates; a missing id is an InputError naming it.
  Result<HistoryRun> Get(int64_t id);

  const std::filesystem::path& path() const { return path_; }

 private:
  RunHistory(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::filesystem::path path_;
};

// The schema version this build writes (PRAGMA user_version).
inline constexpr int kHistorySchemaVersion = 2;

// The record of a finished run from its report.json (store/report.h: BuildReportJson) and its
// folder's task.py. Missing keys give empty/zero fields rather than errors: the record is
// best effort, the report is the truth.
HistoryRun HistoryRunFromReport(const Json& report, const std::filesystem::path& run_folder);

// $XDG_DATA_HOME/akg/history.db when XDG_DATA_HOME is an absolute path, else
// $HOME/.local/share/akg/history.db; "" when neither is set.
std::filesystem::path DefaultHistoryPath(const Env& env);
// The history file every reader and writer uses: `flag` (a --db) if given, else history_db in
// the settings files, else DefaultHistoryPath; an error when none can be named.
Result<std::filesystem::path> ChooseHistoryPath(const std::string& flag, const Env& env);

// True for "YYYY-MM-DD" optionally followed by "THH:MM", ":SS" and "Z": what `since` accepts.
bool IsHistoryDate(const std::string& text);

}  // namespace akg
