#include "cli/runs_command.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/json.h"
#include "env/fake_env.h"
#include "store/history.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

class RunsCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = fs::temp_directory_path() / ("akg-runs-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(root_);
    fs::create_directories(root_);
    env_.vars["HOME"] = root_.string();
    env_.vars["XDG_DATA_HOME"] = (root_ / "data").string();
    env_.working_dir = root_;
    db_ = root_ / "data" / "akg" / "history.db";
  }
  void TearDown() override { fs::remove_all(root_); }

  int64_t Record(const fs::path& db, const std::string& task, const std::string& started) {
    auto h = RunHistory::Open(db);
    EXPECT_TRUE(h.ok()) << h.status().message();
    HistoryRun r;
    r.task_name = task;
    r.framework = "torch";
    r.backend = "cpu";
    r.arch = "x86_64";
    r.dsl = "cpp";
    r.workflow = "default";
    r.verdict = "passed";
    r.started_utc = started;
    r.run_folder = "/runs/" + task;
    r.speedup_vs_eager = 1.5;
    r.candidates = {{"1", "wrong_answer", "shape_specific", "differs", "attempts/01/kernel.py"},
                    {"2", "passed", "", "", "attempts/02/kernel.py", 1.5, 0, 0.125}};
    auto id = (*h)->Record(r);
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : 0;
  }

  int Run(const RunsOptions& o) {
    out_.str("");
    err_.str("");
    return RunRunsCommand(o, &env_, out_, err_);
  }

  fs::path root_, db_;
  FakeEnv env_;
  std::ostringstream out_, err_;
};

TEST_F(RunsCommandTest, EmptyHistorySaysWhereTheFileIsAndCreatesNothing) {
  EXPECT_EQ(Run({}), 0);
  EXPECT_NE(out_.str().find("empty"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find(db_.string()), std::string::npos) << out_.str();
  EXPECT_FALSE(fs::exists(db_));
  RunsOptions json;
  json.json = true;
  EXPECT_EQ(Run(json), 0);
  auto j = ParseJson(out_.str(), "stdout");
  ASSERT_TRUE(j.ok()) << out_.str();
  EXPECT_TRUE((*j)["runs"].empty());
  EXPECT_EQ((*j)["history"], db_.string());
}

TEST_F(RunsCommandTest, ListsRunsNewestFirstAsATableAndAsJson) {
  Record(db_, "relu", "2026-12-01T08:00:00Z");
  int64_t newest = Record(db_, "swish", "2026-12-02T08:00:00Z");
  EXPECT_EQ(Run({}), 0) << err_.str();
  std::string table = out_.str();
  EXPECT_EQ(table.rfind("id  ", 0), 0u) << table;
  EXPECT_LT(table.find("swish"), table.find("relu"));
  EXPECT_NE(table.find("cpu/x86_64/cpp"), std::string::npos);
  EXPECT_NE(table.find("1.50x"), std::string::npos);
  // Aligned: the task column starts at the same offset on every line.
  std::istringstream lines(table);
  std::string header, row;
  std::getline(lines, header);
  std::getline(lines, row);
  EXPECT_EQ(header.find("task"), row.find("swish"));

  RunsOptions o;
  o.json = true;
  o.task = "swish";
  EXPECT_EQ(Run(o), 0);
  auto j = ParseJson(out_.str(), "stdout");
  ASSERT_TRUE(j.ok()) << out_.str();
  ASSERT_EQ((*j)["runs"].size(), 1u);
  EXPECT_EQ((*j)["runs"][0]["id"], newest);
  EXPECT_EQ((*j)["runs"][0]["speedup_vs_eager"], 1.5);
  EXPECT_TRUE((*j)["runs"][0]["speedup_vs_compile"].is_null());  // not measured
}

TEST_F(RunsCommandTest, ShowPrintsOneRunWithItsCandidates) {
  int64_t id = Record(db_, "relu", "2026-12-01T08:00:00Z");
  RunsOptions o;
  o.show = true;
  o.id = id;
  EXPECT_EQ(Run(o), 0) << err_.str();
  EXPECT_NE(out_.str().find("run " + std::to_string(id)), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("shape_specific: differs"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("0.1250 ms"), std::string::npos) << out_.str();
  o.json = true;
  EXPECT_EQ(Run(o), 0);
  auto j = ParseJson(out_.str(), "stdout");
  ASSERT_TRUE(j.ok()) << out_.str();
  EXPECT_EQ((*j)["candidates"].size(), 2u);
  EXPECT_EQ((*j)["candidates"][1]["median_ms"], 0.125);
}

TEST_F(RunsCommandTest, BadInputExitsTwoWithOneErrorLine) {
  Record(db_, "relu", "2026-12-01T08:00:00Z");
  auto expect_error = [&](const RunsOptions& o, const std::string& names) {
    EXPECT_EQ(Run(o), 2);
    std::string err = err_.str();
    EXPECT_EQ(err.rfind("akg_cli: error: ", 0), 0u) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find(names), std::string::npos) << err;
    EXPECT_EQ(out_.str(), "");
  };
  RunsOptions unknown;
  unknown.show = true;
  unknown.id = 777;
  expect_error(unknown, "777");
  RunsOptions date;
  date.since = "12/01/2026";
  expect_error(date, "12/01/2026");
  fs::path garbage = root_ / "garbage.db";
  std::ofstream(garbage) << std::string(4096, 'g');
  RunsOptions bad_file;
  bad_file.db = garbage.string();
  expect_error(bad_file, garbage.string());
}

TEST_F(RunsCommandTest, HistoryDbInTheSettingsFileIsTheOneRead) {
  fs::create_directories(root_ / ".akg");
  std::ofstream(root_ / ".akg" / "settings.yaml") << "history_db: project-history.db\n";
  Record(root_ / ".akg" / "project-history.db", "from_settings", "2026-12-01T08:00:00Z");
  Record(db_, "from_default", "2026-12-01T08:00:00Z");
  EXPECT_EQ(Run({}), 0) << err_.str();
  EXPECT_NE(out_.str().find("from_settings"), std::string::npos) << out_.str();
  EXPECT_EQ(out_.str().find("from_default"), std::string::npos) << out_.str();
}

}  // namespace
}  // namespace akg
