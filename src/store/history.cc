#include "store/history.h"

#include <sqlite3.h>

#include <chrono>
#include <regex>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "core/files.h"
#include "llm/settings.h"
#include "store/run_folder.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

constexpr int kBusyTimeoutMs = 10000;

// Each entry takes the file from version i to i + 1. A fresh file runs them all, so a migrated
// file and a new one have the same tables. Never edit a shipped entry: add one.
const char* const kMigrations[] = {
    // v1: the first schema.
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  task_name TEXT NOT NULL, task_hash TEXT NOT NULL,"
    "  framework TEXT NOT NULL, backend TEXT NOT NULL, arch TEXT NOT NULL, dsl TEXT NOT NULL,"
    "  workflow TEXT NOT NULL, models TEXT NOT NULL,"
    "  verdict TEXT NOT NULL, reason TEXT NOT NULL, started_utc TEXT NOT NULL,"
    "  wall_s REAL, speedup_vs_eager REAL, speedup_vs_compile REAL,"
    "  tokens INTEGER, cost REAL, run_folder TEXT NOT NULL);"
    "CREATE TABLE candidates ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL, id TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL,"
    "  message TEXT NOT NULL, speedup_vs_eager REAL, kernel TEXT NOT NULL,"
    "  PRIMARY KEY (run_id, seq));"
    "CREATE INDEX runs_by_start ON runs(started_utc);",
    // v2: speed of light of the run, per-candidate times and speedup vs torch.compile.
    "ALTER TABLE runs ADD COLUMN sol_fraction REAL;"
    "ALTER TABLE candidates ADD COLUMN speedup_vs_compile REAL;"
    "ALTER TABLE candidates ADD COLUMN median_ms REAL;"
    "CREATE INDEX runs_by_task ON runs(task_name, dsl);",
};
static_assert(std::size(kMigrations) == kHistorySchemaVersion);

// One prepared statement, finalized on scope exit. Binds are 1-based like SQLite's.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool prepared() const { return rc_ == SQLITE_OK; }
  void Text(int i, const std::string& v) { sqlite3_bind_text(s_, i, v.c_str(), -1, SQLITE_TRANSIENT); }
  void Int(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  // 0 is "not measured" in the structs and NULL in the file, so queries can tell them apart.
  void Measured(int i, double v) { v == 0 ? sqlite3_bind_null(s_, i) : sqlite3_bind_double(s_, i, v); }
  int Step() { return rc_ = sqlite3_step(s_); }
  std::string TextAt(int c) const {
    const unsigned char* t = sqlite3_column_text(s_, c);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  double DoubleAt(int c) const { return sqlite3_column_double(s_, c); }  // NULL reads as 0
  int64_t IntAt(int c) const { return sqlite3_column_int64(s_, c); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

Status SqlError(sqlite3* db, const fs::path& path, const std::string& doing) {
  return InternalError(fmt::format("{} in {}: {}", doing, path.string(), sqlite3_errmsg(db)));
}

Status Exec(sqlite3* db, const fs::path& path, const std::string& sql) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK) return Status::Ok();
  return SqlError(db, path, "'" + sql.substr(0, 40) + "' failed");
}

Result<std::string> PragmaText(sqlite3* db, const fs::path& path, const char* sql) {
  // A journal mode change races other openers of a fresh file; the busy handler covers most of
  // it, a short retry the rest.
  for (int tries = 0;; ++tries) {
    Stmt s(db, sql);
    int rc = s.prepared() ? s.Step() : sqlite3_errcode(db);
    if (rc == SQLITE_ROW) return s.TextAt(0);
    if (rc == SQLITE_DONE) return std::string();
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries >= 20) {
      return SqlError(db, path, std::string("'") + sql + "' failed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// WAL lets readers and one writer work at once; a file system that refuses it gets the rollback
// journal, where writers still take turns through the busy timeout.
Status ChooseJournal(sqlite3* db, const fs::path& path, std::string* note) {
  AKG_ASSIGN_OR_RETURN(std::string mode, PragmaText(db, path, "PRAGMA journal_mode=WAL"));
  if (mode == "wal") return Exec(db, path, "PRAGMA synchronous=NORMAL");
  AKG_RETURN_IF_ERROR(PragmaText(db, path, "PRAGMA journal_mode=DELETE").status());
  if (note) {
    *note = fmt::format("WAL is not available for {} (journal mode '{}'); using the rollback "
                        "journal, so concurrent runs wait longer for each other",
                        path.string(), mode);
  }
  return Status::Ok();
}

Result<int> SchemaVersion(sqlite3* db, const fs::path& path) {
  AKG_ASSIGN_OR_RETURN(std::string v, PragmaText(db, path, "PRAGMA user_version"));
  return std::atoi(v.c_str());
}

// Brings the file to kHistorySchemaVersion under one write lock, so two processes opening an
// old file at once migrate it once.
Status Migrate(sqlite3* db, const fs::path& path) {
  AKG_ASSIGN_OR_RETURN(int version, SchemaVersion(db, path));
  if (version == kHistorySchemaVersion) return Status::Ok();
  AKG_RETURN_IF_ERROR(Exec(db, path, "BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    AKG_ASSIGN_OR_RETURN(int v, SchemaVersion(db, path));  // another process may have done it
    if (v > kHistorySchemaVersion) {
      return InputError(fmt::format(
          "{} has run-history schema v{}, newer than this akg_cli reads (v{}); update akg_cli "
          "or set history_db in settings.yaml to another file",
          path.string(), v, kHistorySchemaVersion));
    }
    for (; v < kHistorySchemaVersion; ++v) {
      AKG_RETURN_IF_ERROR(Exec(db, path, kMigrations[v]));
    }
    return Exec(db, path, fmt::format("PRAGMA user_version={}", kHistorySchemaVersion));
  };
  Status st = body();
  if (!st.ok()) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  }
  return Exec(db, path, "COMMIT");
}

constexpr const char* kRunColumns =
    "id, task_name, task_hash, framework, backend, arch, dsl, workflow, models, verdict, reason, "
    "started_utc, wall_s, speedup_vs_eager, speedup_vs_compile, sol_fraction, tokens, cost, "
    "run_folder";

HistoryRun RunFromRow(const Stmt& s) {
  HistoryRun r;
  r.id = s.IntAt(0);
  std::string* text[] = {&r.task_name, &r.task_hash, &r.framework, &r.backend, &r.arch,
                         &r.dsl,       &r.workflow};
  for (int i = 0; i < 7; ++i) *text[i] = s.TextAt(1 + i);
  if (auto models = ParseJson(s.TextAt(8), "models"); models.ok() && models->is_object()) {
    for (const auto& [agent, model] : models->items()) {
      if (model.is_string()) r.models[agent] = model.get<std::string>();
    }
  }
  r.verdict = s.TextAt(9);
  r.reason = s.TextAt(10);
  r.started_utc = s.TextAt(11);
  r.wall_s = s.DoubleAt(12);
  r.speedup_vs_eager = s.DoubleAt(13);
  r.speedup_vs_compile = s.DoubleAt(14);
  r.sol_fraction = s.DoubleAt(15);
  r.tokens = s.IntAt(16);
  r.cost = s.DoubleAt(17);
  r.run_folder = s.TextAt(18);
  return r;
}

Status InsertRun(sqlite3* db, const fs::path& path, const HistoryRun& run, int64_t* id) {
  Stmt s(db,
         "INSERT INTO runs (task_name, task_hash, framework, backend, arch, dsl, workflow, models,"
         " verdict, reason, started_utc, wall_s, speedup_vs_eager, speedup_vs_compile,"
         " sol_fraction, tokens, cost, run_folder)"
         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)");
  if (!s.prepared()) return SqlError(db, path, "cannot prepare the run insert");
  const std::string* text[] = {&run.task_name, &run.task_hash, &run.framework, &run.backend,
                               &run.arch,      &run.dsl,       &run.workflow};
  for (int i = 0; i < 7; ++i) s.Text(1 + i, *text[i]);
  s.Text(8, Json(run.models).dump(-1, ' ', false, Json::error_handler_t::replace));
  s.Text(9, run.verdict);
  s.Text(10, run.reason);
  s.Text(11, run.started_utc);
  s.Measured(12, run.wall_s);
  s.Measured(13, run.speedup_vs_eager);
  s.Measured(14, run.speedup_vs_compile);
  s.Measured(15, run.sol_fraction);
  s.Int(16, run.tokens);
  s.Measured(17, run.cost);
  s.Text(18, run.run_folder);
  if (s.Step() != SQLITE_DONE) return SqlError(db, path, "cannot record the run");
  *id = sqlite3_last_insert_rowid(db);
  for (size_t i = 0; i < run.candidates.size(); ++i) {
    const HistoryCandidate& c = run.candidates[i];
    Stmt cs(db,
            "INSERT INTO candidates (run_id, seq, id, verdict, reason, message, kernel,"
            " speedup_vs_eager, speedup_vs_compile, median_ms)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!cs.prepared()) return SqlError(db, path, "cannot prepare the candidate insert");
    cs.Int(1, *id);
    cs.Int(2, static_cast<int64_t>(i));
    cs.Text(3, c.id);
    cs.Text(4, c.verdict);
    cs.Text(5, c.reason);
    cs.Text(6, c.message);
    cs.Text(7, c.kernel);
    cs.Measured(8, c.speedup_vs_eager);
    cs.Measured(9, c.speedup_vs_compile);
    cs.Measured(10, c.median_ms);
    if (cs.Step() != SQLITE_DONE) return SqlError(db, path, "cannot record candidate " + c.id);
  }
  return Status::Ok();
}

// FNV-1a, 64 bits: enough to tell task texts apart, and no crypto library for it.
std::string Fnv1a64(const std::string& text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

const Json& At(const Json& j, const char* key) {
  static const Json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}

bool Flag(const Json& j, const char* key) { return At(j, key).is_boolean() && j[key].get<bool>(); }

// A profile's numbers, from ProfileToJson; nothing when it failed.
void ReadProfile(const Json& p, double* vs_eager, double* vs_compile, double* median_ms) {
  if (!Flag(p, "ok")) return;
  *vs_eager = NumberOr(p, "speedup_vs_eager", 0);
  *vs_compile = NumberOr(p, "speedup_vs_torch_compile", 0);
  if (median_ms) *median_ms = NumberOr(At(p, "kernel"), "median_ms", 0);
}

// A search's candidate (CandidateToJson): the verdict that decided it, which is the
// re-verification's when a suspect profile failed it.
HistoryCandidate FromSearchCandidate(const Json& c) {
  HistoryCandidate h;
  h.id = StringOr(c, "id", "");
  h.kernel = RunFiles::In(StringOr(c, "dir", RunFiles::CandidateDir(h.id)), RunFiles::kKernel);
  const Json& re = At(c, "reverification");
  const Json& v = re.is_object() && !Flag(c, "passed") ? re : At(c, "verify");
  h.verdict = StringOr(v, "verdict", "");
  h.reason = StringOr(v, "reason", "");
  h.message = StringOr(v, "message", "");
  ReadProfile(At(c, "profile"), &h.speedup_vs_eager, &h.speedup_vs_compile, &h.median_ms);
  return h;
}

std::vector<HistoryCandidate> CandidatesOf(const Json& report) {
  std::vector<HistoryCandidate> out;
  if (At(report, "candidates").is_array()) {
    for (const auto& c : report["candidates"]) out.push_back(FromSearchCandidate(c));
    return out;
  }
  if (!At(report, "attempts").is_array()) return out;
  // The default workflow stops at its first passing attempt: the profile is that one's.
  bool verified = Flag(report, "verified");
  for (const auto& a : report["attempts"]) {
    HistoryCandidate h{std::to_string(static_cast<int>(NumberOr(a, "attempt", 0))),
                       StringOr(a, "verdict", ""), StringOr(a, "reason", ""),
                       StringOr(a, "message", ""), StringOr(a, "kernel", "")};
    if (verified && h.verdict == "passed") {
      ReadProfile(At(report, "profile"), &h.speedup_vs_eager, &h.speedup_vs_compile, &h.median_ms);
    }
    out.push_back(std::move(h));
  }
  return out;
}

std::string VerdictOf(const Json& r) {
  if (Flag(r, "interrupted")) return "interrupted";
  if (Flag(r, "unverified")) return "unverified";
  if (r.is_object() && r.contains("not_verified") && r["not_verified"].is_string()) return "not_verified";
  return Flag(r, "verified") ? "passed" : "failed";
}

}  // namespace

Result<std::unique_ptr<RunHistory>> RunHistory::Open(const fs::path& path, std::string* note) {
  if (path.empty()) {
    return InputError("no place for the run history: neither HOME nor XDG_DATA_HOME is set; "
                      "set one, or history_db in settings.yaml");
  }
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return InputError(fmt::format("cannot create the folder of the run history {}: {}",
                                  path.string(), ec.message()));
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<RunHistory> history(new RunHistory(raw, path));
  if (rc != SQLITE_OK) {
    return InputError(fmt::format("cannot open the run history {}: {}", path.string(),
                                  raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  Status st = ChooseJournal(raw, path, note);
  if (st.ok()) st = Migrate(raw, path);
  if (!st.ok()) {
    // A garbage file fails on its first read; say what to do, not just SQLite's words.
    if (st.kind() != ErrorKind::kInternal) return st;
    bool garbage = sqlite3_errcode(raw) == SQLITE_NOTADB;
    return InputError(st.message() + (garbage ? "; move it away or set history_db in "
                                                "settings.yaml to another file"
                                              : ""));
  }
  return history;
}

RunHistory::~RunHistory() { sqlite3_close_v2(db_); }

Result<int64_t> RunHistory::Record(const HistoryRun& run) {
  AKG_RETURN_IF_ERROR(Exec(db_, path_, "BEGIN IMMEDIATE"));
  int64_t id = 0;
  Status st = InsertRun(db_, path_, run, &id);
  if (st.ok()) st = Exec(db_, path_, "COMMIT");
  if (!st.ok()) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  }
  return id;
}

Result<std::vector<HistoryRun>> RunHistory::List(const HistoryFilter& filter) {
  if (!filter.since.empty() && !IsHistoryDate(filter.since)) {
    return InputError("'" + filter.since + "' is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
  }
  std::string sql = fmt::format(
      "SELECT {} FROM runs WHERE (?1 = '' OR task_name = ?1) AND (?2 = '' OR dsl = ?2)"
      " AND (?3 = '' OR started_utc >= ?3) ORDER BY started_utc DESC, id DESC LIMIT ?4",
      kRunColumns);
  Stmt s(db_, sql.c_str());
  if (!s.prepared()) return SqlError(db_, path_, "cannot list runs");
  s.Text(1, filter.task);
  s.Text(2, filter.dsl);
  s.Text(3, filter.since);  // ISO times sort as text; a bare date is a prefix of its day
  s.Int(4, filter.limit > 0 ? filter.limit : -1);
  std::vector<HistoryRun> runs;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) runs.push_back(RunFromRow(s));
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "cannot list runs");
  return runs;
}

Result<HistoryRun> RunHistory::Get(int64_t id) {
  std::string sql = fmt::format("SELECT {} FROM runs WHERE id = ?1", kRunColumns);
  Stmt s(db_, sql.c_str());
  if (!s.prepared()) return SqlError(db_, path_, "cannot read run");
  s.Int(1, id);
  int rc = s.Step();
  if (rc == SQLITE_DONE) {
    return InputError(fmt::format("no run {} in the history {}; `akg_cli runs` lists the ids",
                                  id, path_.string()));
  }
  if (rc != SQLITE_ROW) return SqlError(db_, path_, "cannot read run");
  HistoryRun run = RunFromRow(s);
  Stmt cs(db_,
          "SELECT id, verdict, reason, message, kernel, speedup_vs_eager, speedup_vs_compile,"
          " median_ms FROM candidates WHERE run_id = ?1 ORDER BY seq");
  if (!cs.prepared()) return SqlError(db_, path_, "cannot read candidates");
  cs.Int(1, id);
  while ((rc = cs.Step()) == SQLITE_ROW) {
    run.candidates.push_back({cs.TextAt(0), cs.TextAt(1), cs.TextAt(2), cs.TextAt(3),
                              cs.TextAt(4), cs.DoubleAt(5), cs.DoubleAt(6), cs.DoubleAt(7)});
  }
  if (rc != SQLITE_DONE) return SqlError(db_, path_, "cannot read candidates");
  return run;
}

fs::path DefaultHistoryPath(const Env& env) {
  // The XDG spec says a relative XDG_DATA_HOME is to be ignored.
  if (auto xdg = env.Var("XDG_DATA_HOME"); xdg && !xdg->empty() && fs::path(*xdg).is_absolute()) {
    return fs::path(*xdg) / "akg" / "history.db";
  }
  if (auto home = env.Var("HOME"); home && !home->empty()) {
    return fs::path(*home) / ".local" / "share" / "akg" / "history.db";
  }
  return {};
}

bool IsHistoryDate(const std::string& text) {
  static const std::regex kDate(
      R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?Z?)?)");
  return std::regex_match(text, kDate);
}

HistoryRun HistoryRunFromReport(const Json& report, const fs::path& run_folder) {
  HistoryRun r;
  const Json& target = At(report, "target");
  r.task_name = StringOr(At(report, "task"), "name", "");
  if (auto text = ReadFile(run_folder / RunFiles::kTask); text.ok()) r.task_hash = Fnv1a64(*text);
  r.framework = StringOr(target, "framework", "");
  r.backend = StringOr(target, "backend", "");
  r.arch = StringOr(target, "arch", "");
  r.dsl = StringOr(target, "dsl", "");
  r.workflow = StringOr(report, "workflow", "");
  if (At(report, "models").is_object()) {
    for (const auto& [agent, model] : report["models"].items()) {
      if (model.is_string()) r.models[agent] = model.get<std::string>();
    }
  }
  r.verdict = VerdictOf(report);
  r.started_utc = StringOr(report, "started_utc", "");
  std::error_code ec;
  fs::path folder = run_folder.empty() ? fs::path(StringOr(report, "run_folder", "")) : run_folder;
  fs::path absolute = folder.empty() ? folder : fs::absolute(folder, ec);
  r.run_folder = (ec ? folder : absolute).lexically_normal().string();
  r.wall_s = NumberOr(report, "wall_seconds", 0);
  const Json& profile = At(report, "profile");
  ReadProfile(profile, &r.speedup_vs_eager, &r.speedup_vs_compile, nullptr);
  r.sol_fraction = NumberOr(At(profile, "sol"), "fraction_of_sol_candidate", 0);
  const Json& llm = At(report, "llm");
  r.tokens = static_cast<int64_t>(NumberOr(llm, "input_tokens", 0) + NumberOr(llm, "output_tokens", 0));
  r.cost = NumberOr(llm, "cost", 0);
  r.candidates = CandidatesOf(report);
  // Why it ended: the search's stop reason, else what failed last.
  r.reason = StringOr(report, "stop_reason", "");
  if (r.reason.empty() && r.verdict == "failed" && !r.candidates.empty()) {
    const HistoryCandidate& last = r.candidates.back();
    r.reason = last.reason.empty() ? last.verdict : last.reason;
  }
  if (r.reason.empty() && r.verdict == "passed" && profile.is_object() && !Flag(profile, "ok")) {
    r.reason = "profile failed: " + StringOr(profile, "error", "");
  }
  return r;
}

Result<fs::path> ChooseHistoryPath(const std::string& flag, const Env& env) {
  if (!flag.empty()) return fs::path(flag);
  AKG_ASSIGN_OR_RETURN(LlmSettings settings, LoadLlmSettings(env.WorkingDir(), env.Lookup()));
  if (!settings.history_db.empty()) return settings.history_db;
  fs::path db = DefaultHistoryPath(env);
  if (db.empty()) {
    return InputError("no run history: neither HOME nor XDG_DATA_HOME is set; set one, or pass --db");
  }
  return db;
}

}  // namespace akg
