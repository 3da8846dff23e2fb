#include "store/history.h"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "env/fake_env.h"
#include "store/report.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = fs::temp_directory_path() / ("akg-history-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(root_);
    db_ = root_ / "nested" / "history.db";  // the folder does not exist yet
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<RunHistory> OpenOrDie(std::string* note = nullptr) {
    auto h = RunHistory::Open(db_, note);
    EXPECT_TRUE(h.ok()) << h.status().message();
    return h.ok() ? std::move(h).value() : nullptr;
  }

  // Runs SQL on the file directly, as another (older) program would.
  void RawSql(const std::string& sql) {
    fs::create_directories(db_.parent_path());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    std::string message = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }

  int UserVersion() {
    sqlite3* db = nullptr;
    sqlite3_open(db_.c_str(), &db);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr);
    int v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
  }

  fs::path root_, db_;
};

HistoryRun SampleRun(const std::string& task, const std::string& dsl, const std::string& started) {
  HistoryRun r;
  r.task_name = task;
  r.task_hash = "0123456789abcdef";
  r.framework = "torch";
  r.backend = dsl == "cpp" ? "cpu" : "cuda";
  r.arch = dsl == "cpp" ? "x86_64" : "h100";
  r.dsl = dsl;
  r.workflow = "evolve";
  r.models = {{"designer", "builtin"}, {"kernel_gen", "deepseek-chat"}};
  r.verdict = "passed";
  r.reason = "round budget spent";
  r.started_utc = started;
  r.run_folder = "/runs/" + task + "-" + started;
  r.wall_s = 12.5;
  r.speedup_vs_eager = 1.75;
  r.speedup_vs_compile = 0.9;
  r.sol_fraction = 0.62;
  r.tokens = 4321;
  r.cost = 0.0123;
  r.candidates = {{"c0001", "passed", "", "ok", "candidates/c0001/kernel.py", 1.75, 0.9, 0.25},
                  {"c0002", "wrong_answer", "shape_specific", "differs at dim=7",
                   "candidates/c0002/kernel.py", 0, 0, 0}};
  return r;
}

TEST_F(HistoryTest, RecordThenListAndGetRoundTripEveryField) {
  auto h = OpenOrDie();
  ASSERT_TRUE(h);
  HistoryRun first = SampleRun("relu", "cpp", "2026-12-01T08:00:00Z");
  HistoryRun second = SampleRun("swish", "triton_cuda", "2026-12-02T09:30:00Z");
  auto id1 = h->Record(first);
  auto id2 = h->Record(second);
  ASSERT_TRUE(id1.ok() && id2.ok()) << id1.status().message();
  EXPECT_NE(*id1, *id2);

  auto list = h->List({});
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].task_name, "swish");  // newest first
  EXPECT_TRUE((*list)[0].candidates.empty());

  auto got = h->Get(*id1);
  ASSERT_TRUE(got.ok()) << got.status().message();
  const HistoryRun& g = *got;
  EXPECT_EQ(g.id, *id1);
  EXPECT_EQ(g.task_name, "relu");
  EXPECT_EQ(g.task_hash, first.task_hash);
  EXPECT_EQ(g.backend + g.arch + g.dsl + g.framework, "cpux86_64cpptorch");
  EXPECT_EQ(g.workflow, "evolve");
  EXPECT_EQ(g.models, first.models);
  EXPECT_EQ(g.verdict, "passed");
  EXPECT_EQ(g.reason, first.reason);
  EXPECT_EQ(g.started_utc, first.started_utc);
  EXPECT_EQ(g.run_folder, first.run_folder);
  EXPECT_DOUBLE_EQ(g.wall_s, 12.5);
  EXPECT_DOUBLE_EQ(g.speedup_vs_eager, 1.75);
  EXPECT_DOUBLE_EQ(g.speedup_vs_compile, 0.9);
  EXPECT_DOUBLE_EQ(g.sol_fraction, 0.62);
  EXPECT_EQ(g.tokens, 4321);
  EXPECT_DOUBLE_EQ(g.cost, 0.0123);
  ASSERT_EQ(g.candidates.size(), 2u);
  EXPECT_EQ(g.candidates[0].id, "c0001");
  EXPECT_DOUBLE_EQ(g.candidates[0].median_ms, 0.25);
  EXPECT_DOUBLE_EQ(g.candidates[0].speedup_vs_compile, 0.9);
  EXPECT_EQ(g.candidates[1].reason, "shape_specific");
  EXPECT_EQ(g.candidates[1].message, "differs at dim=7");
  EXPECT_EQ(g.candidates[1].kernel, "candidates/c0002/kernel.py");
  EXPECT_DOUBLE_EQ(g.candidates[1].speedup_vs_eager, 0);  // not measured stays 0
}

TEST_F(HistoryTest, ListFiltersByTaskDslSinceAndLimit) {
  auto h = OpenOrDie();
  ASSERT_TRUE(h);
  h->Record(SampleRun("relu", "cpp", "2026-11-30T23:59:59Z"));
  h->Record(SampleRun("relu", "triton_cuda", "2026-12-01T00:00:00Z"));
  h->Record(SampleRun("swish", "cpp", "2026-12-03T10:00:00Z"));

  auto count = [&](HistoryFilter f) {
    auto l = h->List(f);
    EXPECT_TRUE(l.ok()) << l.status().message();
    return l.ok() ? l->size() : 99u;
  };
  EXPECT_EQ(count({"relu", "", "", 50}), 2u);
  EXPECT_EQ(count({"", "cpp", "", 50}), 2u);
  EXPECT_EQ(count({"relu", "cpp", "", 50}), 1u);
  EXPECT_EQ(count({"", "", "2026-12-01", 50}), 2u);  // a bare date includes that whole day
  EXPECT_EQ(count({"", "", "2026-12-03T09:00:00Z", 50}), 1u);
  EXPECT_EQ(count({"", "", "", 1}), 1u);
  EXPECT_EQ(count({"", "", "", 0}), 3u);  // 0 = all
  EXPECT_EQ(count({"nope", "", "", 50}), 0u);

  auto bad = h->List({"", "", "last tuesday", 50});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().kind(), ErrorKind::kInput);
  EXPECT_NE(bad.status().message().find("last tuesday"), std::string::npos);
}

TEST_F(HistoryTest, GetOfAMissingIdIsAnInputErrorNamingIt) {
  auto h = OpenOrDie();
  ASSERT_TRUE(h);
  auto got = h->Get(4242);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().kind(), ErrorKind::kInput);
  EXPECT_NE(got.status().message().find("4242"), std::string::npos) << got.status().message();
}

TEST_F(HistoryTest, MigratesAVersion1FileAndKeepsItsRows) {
  // The v1 schema as the first release wrote it: no sol_fraction, candidates without
  // speedup_vs_compile and median_ms.
  RawSql(R"(
    CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, task_name TEXT NOT NULL,
      task_hash TEXT NOT NULL, framework TEXT NOT NULL, backend TEXT NOT NULL, arch TEXT NOT NULL,
      dsl TEXT NOT NULL, workflow TEXT NOT NULL, models TEXT NOT NULL, verdict TEXT NOT NULL,
      reason TEXT NOT NULL, started_utc TEXT NOT NULL, wall_s REAL, speedup_vs_eager REAL,
      speedup_vs_compile REAL, tokens INTEGER, cost REAL, run_folder TEXT NOT NULL);
    CREATE TABLE candidates (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      seq INTEGER NOT NULL, id TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL,
      message TEXT NOT NULL, speedup_vs_eager REAL, kernel TEXT NOT NULL,
      PRIMARY KEY (run_id, seq));
    CREATE INDEX runs_by_start ON runs(started_utc);
    INSERT INTO runs VALUES (1, 'relu', 'aa', 'torch', 'cpu', 'x86_64', 'cpp', 'default',
      '{"kernel_gen":"builtin"}', 'passed', '', '2026-10-01T00:00:00Z', 3.5, 2.0, NULL, 0, NULL,
      '/runs/old');
    INSERT INTO candidates VALUES (1, 0, '1', 'passed', '', 'ok', 2.0, 'attempts/01/kernel.py');
    PRAGMA user_version = 1;
  )");
  ASSERT_EQ(UserVersion(), 1);
  auto h = OpenOrDie();
  ASSERT_TRUE(h);
  EXPECT_EQ(UserVersion(), kHistorySchemaVersion);

  auto old = h->Get(1);
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_EQ(old->task_name, "relu");
  EXPECT_EQ(old->models.at("kernel_gen"), "builtin");
  EXPECT_DOUBLE_EQ(old->speedup_vs_eager, 2.0);
  EXPECT_DOUBLE_EQ(old->sol_fraction, 0);  // the column did not exist: not measured
  ASSERT_EQ(old->candidates.size(), 1u);
  EXPECT_DOUBLE_EQ(old->candidates[0].median_ms, 0);

  auto id = h->Record(SampleRun("swish", "cpp", "2026-12-01T00:00:00Z"));
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_DOUBLE_EQ(h->Get(*id)->candidates[0].median_ms, 0.25);
  EXPECT_DOUBLE_EQ(h->Get(*id)->sol_fraction, 0.62);
  h.reset();
  EXPECT_TRUE(OpenOrDie());  // a second open of the migrated file changes nothing
  EXPECT_EQ(UserVersion(), kHistorySchemaVersion);
}

TEST_F(HistoryTest, RefusesAFileFromANewerAkgCli) {
  RawSql("CREATE TABLE runs (id INTEGER PRIMARY KEY); PRAGMA user_version = 99;");
  auto h = RunHistory::Open(db_);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().kind(), ErrorKind::kInput);
  EXPECT_NE(h.status().message().find("newer"), std::string::npos) << h.status().message();
  EXPECT_EQ(UserVersion(), 99);  // untouched
}

TEST_F(HistoryTest, AFileThatIsNotADatabaseIsAnInputErrorNamingIt) {
  fs::create_directories(db_.parent_path());
  std::ofstream(db_) << "this is not sqlite, just a text file that happens to be long enough\n"
                     << std::string(200, 'x');
  auto h = RunHistory::Open(db_);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().kind(), ErrorKind::kInput);
  EXPECT_NE(h.status().message().find(db_.string()), std::string::npos) << h.status().message();
}

TEST_F(HistoryTest, UsesWalAndFallsBackToTheRollbackJournalWithANote) {
  std::string note;
  ASSERT_TRUE(OpenOrDie(&note));
  EXPECT_EQ(note, "");  // a local file takes WAL
  EXPECT_TRUE(fs::exists(db_));
  // An in-memory database refuses WAL as a network file system does: journal_mode answers
  // with another mode.
  auto mem = RunHistory::Open(":memory:", &note);
  ASSERT_TRUE(mem.ok()) << mem.status().message();
  EXPECT_NE(note.find("WAL is not available"), std::string::npos) << note;
  EXPECT_EQ(note.find('\n'), std::string::npos);  // one line
  EXPECT_TRUE((*mem)->Record(SampleRun("relu", "cpp", "2026-12-01T00:00:00Z")).ok());
}

TEST_F(HistoryTest, ManyWritersWithTheirOwnConnectionsLoseNoRowsAndNeverSeeLocked) {
  constexpr int kThreads = 8, kRunsEach = 25;
  std::vector<std::string> errors(kThreads);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ++ready;
      while (ready < kThreads) std::this_thread::yield();  // all open the fresh file at once
      auto h = RunHistory::Open(db_);
      if (!h.ok()) {
        errors[t] = h.status().message();
        return;
      }
      for (int i = 0; i < kRunsEach; ++i) {
        auto id = (*h)->Record(SampleRun("t" + std::to_string(t), "cpp", "2026-12-01T00:00:00Z"));
        if (!id.ok()) errors[t] = id.status().message();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  auto h = OpenOrDie();
  ASSERT_TRUE(h);
  auto all = h->List({"", "", "", 0});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), static_cast<size_t>(kThreads * kRunsEach));
  std::set<int64_t> ids;
  for (const auto& r : *all) ids.insert(r.id);
  EXPECT_EQ(ids.size(), all->size());
  EXPECT_EQ(h->Get(all->front().id)->candidates.size(), 2u);  // candidates went in with their run
}

ProfileResult Profile(double median_ms, double vs_eager, double vs_compile, double sol) {
  ProfileResult p;
  p.ok = true;
  p.candidate.median_ms = median_ms;
  p.reference.median_ms = median_ms * vs_eager;
  p.speedup_vs_eager = vs_eager;
  p.speedup_vs_torch_compile = vs_compile;
  p.sol = {{"fraction_of_sol_candidate", sol}, {"sol_ms", 0.1}, {"bound", "memory"}};
  return p;
}

Verdict VerdictOf(VerdictKind kind, std::string reason = "", std::string message = "") {
  Verdict v;
  v.kind = kind;
  v.reason = std::move(reason);
  v.message = std::move(message);
  return v;
}

// The report as BuildReportJson writes it, so a renamed key there breaks this test.
struct ReportFixture {
  TaskInfo task{"relu", "/tmp/relu.py", "", Json::object()};
  DslConfig config;
  WorkflowOutcome outcome;
  Json Build() {
    RunSummary s{&task, {"torch", "cpu", "x86_64", "cpp"}, &config, &outcome,
                 {{"designer", "builtin"}, {"kernel_gen", "deepseek-chat"}}, "runs/r1", "kernel.py",
                 "akg_cli op ...", "2026-12-01T08:00:00Z", 42.5, false,
                 Json{{"calls", 3}, {"input_tokens", 1000}, {"output_tokens", 500}, {"cost", 0.01}}};
    return BuildReportJson(s);
  }
};

TEST_F(HistoryTest, RunFromTheDefaultWorkflowsReportTakesTheProfileOfThePassingAttempt) {
  ReportFixture f;
  f.outcome.workflow = "default";
  auto attempt = [](const char* dir, const char* description, Verdict v) {
    CandidateRecord a;
    a.id = std::string("attempt-") + (dir + 9);
    a.dir = dir;
    a.description = description;
    a.verdict = std::move(v);
    return a;
  };
  f.outcome.candidates = {
      attempt("attempts/01", "first",
              VerdictOf(VerdictKind::kWrongAnswer, "shape_specific", "differs at dim=7")),
      attempt("attempts/02", "second", VerdictOf(VerdictKind::kPassed))};
  f.outcome.passing_attempt = 2;
  f.outcome.profile = Profile(0.2, 1.8, 1.1, 0.5);
  fs::create_directories(root_ / "r1");
  std::ofstream(root_ / "r1" / "task.py") << "class Model: pass\n";
  HistoryRun r = HistoryRunFromReport(f.Build(), root_ / "r1");

  EXPECT_EQ(r.task_name, "relu");
  EXPECT_EQ(r.task_hash.size(), 16u);
  EXPECT_EQ(r.framework + "/" + r.backend + "/" + r.arch + "/" + r.dsl, "torch/cpu/x86_64/cpp");
  EXPECT_EQ(r.workflow, "default");
  EXPECT_EQ(r.models.at("kernel_gen"), "deepseek-chat");
  EXPECT_EQ(r.verdict, "passed");
  EXPECT_EQ(r.started_utc, "2026-12-01T08:00:00Z");
  EXPECT_EQ(r.run_folder, (root_ / "r1").string());
  EXPECT_DOUBLE_EQ(r.wall_s, 42.5);
  EXPECT_DOUBLE_EQ(r.speedup_vs_eager, 1.8);
  EXPECT_DOUBLE_EQ(r.speedup_vs_compile, 1.1);
  EXPECT_DOUBLE_EQ(r.sol_fraction, 0.5);
  EXPECT_EQ(r.tokens, 1500);
  EXPECT_DOUBLE_EQ(r.cost, 0.01);
  ASSERT_EQ(r.candidates.size(), 2u);
  EXPECT_EQ(r.candidates[0].id, "1");
  EXPECT_EQ(r.candidates[0].verdict, "wrong_answer");
  EXPECT_EQ(r.candidates[0].reason, "shape_specific");
  EXPECT_DOUBLE_EQ(r.candidates[0].median_ms, 0);
  EXPECT_EQ(r.candidates[1].kernel, "attempts/02/kernel.py");
  EXPECT_DOUBLE_EQ(r.candidates[1].median_ms, 0.2);

  std::ofstream(root_ / "r1" / "task.py") << "class Model: pass  # changed\n";
  EXPECT_NE(HistoryRunFromReport(f.Build(), root_ / "r1").task_hash, r.task_hash);

  f.outcome.passing_attempt = 0;  // both failed: the reason is the last failure's
  f.outcome.candidates[1].verdict = VerdictOf(VerdictKind::kCompileError, "", "syntax");
  f.outcome.profile.reset();
  HistoryRun failed = HistoryRunFromReport(f.Build(), root_ / "r1");
  EXPECT_EQ(failed.verdict, "failed");
  EXPECT_EQ(failed.reason, "compile_error");
  EXPECT_DOUBLE_EQ(failed.speedup_vs_eager, 0);
}

TEST_F(HistoryTest, RunFromASearchReportKeepsEveryCandidateAndTheDecidingVerdict) {
  ReportFixture f;
  f.outcome.workflow = "evolve";
  f.outcome.is_search = true;
  f.outcome.stop_reason = "round budget spent";
  auto candidate = [](std::string id, Verdict v) {
    CandidateRecord c;
    c.id = id;
    c.dir = "candidates/" + id;
    c.verdict = std::move(v);
    return c;
  };
  f.outcome.candidates.push_back(candidate("c0001", VerdictOf(VerdictKind::kPassed)));
  f.outcome.candidates[0].profile = Profile(0.3, 2.5, 1.2, 0.7);
  f.outcome.candidates.push_back(candidate(
      "c0002", VerdictOf(VerdictKind::kRuntimeError, "generation_failed", "model said no")));
  f.outcome.candidates.push_back(candidate("c0003", VerdictOf(VerdictKind::kPassed)));
  f.outcome.candidates[2].profile = Profile(0.01, 90, 40, 3);
  f.outcome.candidates[2].reverification =
      VerdictOf(VerdictKind::kWrongAnswer, "", "differs on seed 7");
  f.outcome.passing_attempt = 1;
  f.outcome.profile = f.outcome.candidates[0].profile;
  HistoryRun r = HistoryRunFromReport(f.Build(), root_ / "missing");

  EXPECT_EQ(r.task_hash, "");  // no task.py: no hash, still a record
  EXPECT_EQ(r.workflow, "evolve");
  EXPECT_EQ(r.verdict, "passed");
  EXPECT_EQ(r.reason, "round budget spent");
  EXPECT_DOUBLE_EQ(r.speedup_vs_eager, 2.5);
  ASSERT_EQ(r.candidates.size(), 3u);
  EXPECT_EQ(r.candidates[0].kernel, "candidates/c0001/kernel.py");
  EXPECT_DOUBLE_EQ(r.candidates[0].median_ms, 0.3);
  EXPECT_DOUBLE_EQ(r.candidates[0].speedup_vs_compile, 1.2);
  EXPECT_EQ(r.candidates[1].reason, "generation_failed");
  EXPECT_EQ(r.candidates[1].message, "model said no");
  EXPECT_EQ(r.candidates[2].verdict, "wrong_answer");  // the re-verification decided it
  EXPECT_EQ(r.candidates[2].message, "differs on seed 7");

  Json interrupted = f.Build();
  interrupted["interrupted"] = true;
  EXPECT_EQ(HistoryRunFromReport(interrupted, root_).verdict, "interrupted");
  Json unverified = f.Build();
  unverified["unverified"] = true;
  unverified["verified"] = false;
  EXPECT_EQ(HistoryRunFromReport(unverified, root_).verdict, "unverified");
}

TEST(HistoryPath, XdgDataHomeThenHomeThenNothing) {
  FakeEnv env;
  EXPECT_EQ(DefaultHistoryPath(env), fs::path());
  env.vars["HOME"] = "/home/u";
  EXPECT_EQ(DefaultHistoryPath(env), fs::path("/home/u/.local/share/akg/history.db"));
  env.vars["XDG_DATA_HOME"] = "relative/data";  // the XDG spec: ignore a relative one
  EXPECT_EQ(DefaultHistoryPath(env), fs::path("/home/u/.local/share/akg/history.db"));
  env.vars["XDG_DATA_HOME"] = "/data";
  EXPECT_EQ(DefaultHistoryPath(env), fs::path("/data/akg/history.db"));
  auto none = RunHistory::Open(fs::path());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("HOME"), std::string::npos);
}

TEST(HistoryDate, AcceptsDatesAndIsoTimesOnly) {
  for (const char* ok : {"2026-12-01", "2026-12-01T08:00", "2026-12-01T08:00:00", "2026-12-01T08:00:00Z"}) {
    EXPECT_TRUE(IsHistoryDate(ok)) << ok;
  }
  for (const char* bad : {"", "2026-13-01", "2026-12-32", "12/01/2026", "2026-12-01 08:00", "yesterday"}) {
    EXPECT_FALSE(IsHistoryDate(bad)) << bad;
  }
}

}  // namespace
}  // namespace akg
