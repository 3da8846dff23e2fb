// The pure part of `akg_cli bench` (bench_results.h): rows from reports and errors, the suite
// figures, the table, results.json and back, and which tasks --resume runs.
#include "cli/bench_results.h"

#include <sstream>

#include <gtest/gtest.h>

namespace akg {
namespace {

// report.json as Run::Finish writes it for a default run (only the keys bench reads).
Json PassedReport(double eager_ms, double ours_ms, Json compile_ms = nullptr) {
  Json profile = {{"ok", true},
                  {"reference_eager", {{"median_ms", eager_ms}}},
                  {"kernel", {{"median_ms", ours_ms}}},
                  {"torch_compile", compile_ms.is_null() ? Json(nullptr) : Json{{"median_ms", compile_ms}}},
                  {"speedup_vs_eager", eager_ms / ours_ms},
                  {"speedup_vs_torch_compile",
                   compile_ms.is_null() ? Json(nullptr) : Json(compile_ms.get<double>() / ours_ms)},
                  {"sol", {{"fraction_of_sol_candidate", 0.5}}},
                  {"performance_valid", true}};
  return {{"run_folder", "/b/relu"},
          {"wall_seconds", 12.5},
          {"verified", true},
          {"interrupted", false},
          {"attempts", Json::array({{{"attempt", 1}, {"verdict", "wrong_answer"}, {"reason", "mismatch"},
                                     {"message", "max abs error 0.3"}},
                                    {{"attempt", 2}, {"verdict", "passed"}, {"reason", ""},
                                     {"message", ""}}})},
          {"profile", profile}};
}

BenchRow Correct(const std::string& task, double vs_eager, std::optional<double> vs_compile) {
  BenchRow r;
  r.task = task;
  r.status = "passed";
  r.handled = r.correct = true;
  r.speedup_vs_eager = vs_eager;
  r.speedup_vs_compile = vs_compile;
  return r;
}

BenchRow Declined(const std::string& task) {
  return RowFromError(task, task + ".py", UnsupportedError("the builtin model cannot write aten.mm"));
}

TEST(BenchRowTest, PassedReportGivesTheProfileNumbersAndAttempts) {
  BenchRow r = RowFromReport("relu", "t/relu.py", PassedReport(2.0, 1.0, 1.5), 0);
  EXPECT_EQ(r.status, "passed");
  EXPECT_TRUE(r.handled && r.correct);
  EXPECT_DOUBLE_EQ(*r.eager_ms, 2.0);
  EXPECT_DOUBLE_EQ(*r.median_ms, 1.0);
  EXPECT_DOUBLE_EQ(*r.compile_ms, 1.5);
  EXPECT_DOUBLE_EQ(*r.speedup_vs_eager, 2.0);
  EXPECT_DOUBLE_EQ(*r.speedup_vs_compile, 1.5);
  EXPECT_DOUBLE_EQ(*r.sol_fraction, 0.5);
  EXPECT_EQ(r.attempts, 2);
  EXPECT_EQ(r.run_folder, "/b/relu");
  EXPECT_EQ(r.why, "");
}

TEST(BenchRowTest, MissingTorchCompileTimeStaysUnmeasured) {
  BenchRow r = RowFromReport("relu", "relu.py", PassedReport(2.0, 1.0), 0);
  EXPECT_FALSE(r.compile_ms.has_value());
  EXPECT_FALSE(r.speedup_vs_compile.has_value());
}

TEST(BenchRowTest, FailedReportSaysTheLastVerdictAndHasNoTimes) {
  Json report = PassedReport(2.0, 1.0);
  report["verified"] = false;
  report["attempts"].erase(1);
  report.erase("profile");
  BenchRow r = RowFromReport("relu", "relu.py", report, 1);
  EXPECT_EQ(r.status, "failed");
  EXPECT_TRUE(r.handled);
  EXPECT_FALSE(r.correct);
  EXPECT_EQ(r.why, "mismatch: max abs error 0.3");
  EXPECT_FALSE(r.median_ms.has_value());
}

TEST(BenchRowTest, SearchWhoseEveryGenerationFailedIsDeclined) {
  Json report = {{"verified", false},
                 {"attempts", Json::array({{{"verdict", "runtime_error"}, {"reason", "generation_failed"},
                                            {"message", "KernelGen failed: no"}}})}};
  BenchRow r = RowFromReport("mm", "mm.py", report, 1);
  EXPECT_EQ(r.status, "declined");
  EXPECT_FALSE(r.handled);
}

TEST(BenchRowTest, InterruptedRunIsCancelled) {
  Json report = PassedReport(2.0, 1.0);
  report["verified"] = false;
  report["interrupted"] = true;
  EXPECT_EQ(RowFromReport("relu", "relu.py", report, 130).status, "cancelled");
}

TEST(BenchRowTest, ErrorKindsMapToDeclinedErrorAndCancelled) {
  BenchRow d = Declined("mm");
  EXPECT_EQ(d.status, "declined");
  EXPECT_FALSE(d.handled);
  EXPECT_EQ(d.why, "the builtin model cannot write aten.mm");
  EXPECT_EQ(RowFromError("x", "x.py", InputError("no class Model")).status, "error");
  EXPECT_EQ(RowFromError("x", "x.py", Status::Error(ErrorKind::kCancelled, "interrupted")).status,
            "cancelled");
  EXPECT_EQ(RowFromError("x", "x.py", InternalError("cannot import torch")).status, "agent_error");
}

TEST(BenchFiguresTest, Geomean) {
  EXPECT_DOUBLE_EQ(*Geomean({2.0, 8.0}), 4.0);
  EXPECT_DOUBLE_EQ(*Geomean({3.0}), 3.0);
  EXPECT_FALSE(Geomean({}).has_value());
}

TEST(BenchFiguresTest, FastFiguresCountOverAllTasksAndGeomeansOverCorrectOnes) {
  BenchRow failed;
  failed.task = "bad";
  failed.status = "failed";
  failed.handled = true;
  failed.speedup_vs_eager = 100;  // not correct: never counted
  std::vector<BenchRow> rows = {Correct("a", 2.0, 0.5), Correct("b", 0.5, std::nullopt),
                                Correct("c", 8.0, 2.0), failed, Declined("mm")};
  SuiteFigures f = ComputeFigures(rows);
  EXPECT_EQ(f.tasks, 5);
  EXPECT_EQ(f.handled, 4);
  EXPECT_EQ(f.correct, 3);
  EXPECT_DOUBLE_EQ(f.fast_0, 3.0 / 5);
  EXPECT_EQ(f.faster_than_eager, 2);
  EXPECT_DOUBLE_EQ(f.fast_1_eager, 2.0 / 5);
  EXPECT_EQ(f.faster_than_compile, 1);
  EXPECT_DOUBLE_EQ(*f.fast_1_compile, 1.0 / 5);
  EXPECT_DOUBLE_EQ(*f.geomean_vs_eager, 2.0);  // (2 * 0.5 * 8)^(1/3)
  EXPECT_EQ(f.geomean_eager_n, 3);
  EXPECT_DOUBLE_EQ(*f.geomean_vs_compile, 1.0);  // (0.5 * 2)^(1/2)
  EXPECT_EQ(f.geomean_compile_n, 2);
}

TEST(BenchFiguresTest, NoTorchCompileTimesGiveNoCompileFigures) {
  SuiteFigures f = ComputeFigures({Correct("a", 2.0, std::nullopt)});
  EXPECT_FALSE(f.fast_1_compile.has_value());
  EXPECT_FALSE(f.geomean_vs_compile.has_value());
  std::string text = FormatFigures(f);
  EXPECT_NE(text.find("fast_1 vs torch.compile    — (no torch.compile times)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("2.00x over 1 correct task\n"), std::string::npos) << text;
}

TEST(BenchFiguresTest, InterpreterTimesAreNotPerformance) {
  BenchRow r = Correct("a", 50.0, std::nullopt);
  r.performance_valid = false;
  SuiteFigures f = ComputeFigures({r});
  EXPECT_EQ(f.correct, 1);
  EXPECT_EQ(f.faster_than_eager, 0);
  EXPECT_FALSE(f.geomean_vs_eager.has_value());
}

TEST(BenchFiguresTest, EmptySuiteHasNoFractions) {
  SuiteFigures f = ComputeFigures({});
  EXPECT_EQ(f.tasks, 0);
  EXPECT_NE(FormatFigures(f).find("fast_0" + std::string(21, ' ') + "— (0/0 correct)"),
            std::string::npos)
      << FormatFigures(f);
}

// Display columns of a line (the dash is one).
size_t Cols(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

TEST(BenchTableTest, ColumnsAlignAndUnmeasuredIsADash) {
  BenchRow passed = RowFromReport("relu", "relu.py", PassedReport(2.0, 1.0), 0);
  BenchRow declined = Declined("matmul_with_a_long_name");
  declined.why = std::string(200, 'x');
  std::string table = FormatBenchTable({passed, declined});
  std::istringstream lines(table);
  std::string head, a, b;
  std::getline(lines, head);
  std::getline(lines, a);
  std::getline(lines, b);
  for (const char* col : {"task", "handled", "correct", "eager ms", "compile ms", "ours ms",
                          "vs eager", "vs compile", "SOL", "attempts", "why"}) {
    EXPECT_NE(head.find(col), std::string::npos) << col;
  }
  // Right-aligned numbers end where their header ends.
  size_t end = Cols(head.substr(0, head.find("vs eager") + 8));
  EXPECT_EQ(Cols(a.substr(0, a.find("2.00x") + 5)), end) << table;
  EXPECT_EQ(b.substr(b.find("matmul_with_a_long_name"), 23), "matmul_with_a_long_name");
  EXPECT_NE(a.find("—"), std::string::npos);  // no torch.compile time
  EXPECT_NE(b.find("declined  no       no"), std::string::npos) << table;
  EXPECT_NE(b.find(std::string(57, 'x') + "..."), std::string::npos);
  EXPECT_EQ(b.find(std::string(58, 'x')), std::string::npos);
}

TEST(BenchTableTest, ShortWhyKeepsOneLineAndCutsOnACharacter) {
  EXPECT_EQ(ShortWhy("first\nsecond"), "first");
  EXPECT_EQ(ShortWhy("ééééé", 4), "é...");
}

TEST(BenchResultsTest, JsonRoundTripKeepsEveryField) {
  BenchResults r;
  r.target = {"torch", "cpu", "x86_64", "cpp"};
  r.workflow = "default";
  r.devices = "0,1";
  r.command = "akg_cli bench t";
  r.started_utc = "2026-12-01T10:00:00Z";
  r.finished_utc = "2026-12-01T10:05:00Z";
  r.resumes = {{"akg_cli bench t --resume b", "2026-12-01T11:00:00Z"}};
  r.rows = {RowFromReport("relu", "t/relu.py", PassedReport(2.0, 1.0, 1.5), 0), Declined("mm")};
  Json j = BenchResultsJson(r);
  EXPECT_EQ(j["schema_version"], BenchResults::kSchemaVersion);
  EXPECT_EQ(j["figures"]["correct"], 1);
  EXPECT_TRUE(j["tasks"][1]["eager_ms"].is_null());
  EXPECT_TRUE(j["tasks"][1]["run_folder"].is_null());
  auto back = BenchResultsFromJson(Json::parse(j.dump()), "results.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(BenchResultsJson(*back), j);
  EXPECT_EQ(back->target.dsl, "cpp");
  EXPECT_EQ(back->rows[0].compile_ms, 1.5);
  EXPECT_FALSE(back->rows[1].median_ms.has_value());
}

TEST(BenchResultsTest, UnfinishedBenchHasNullFinishTime) {
  BenchResults r;
  EXPECT_TRUE(BenchResultsJson(r)["finished_utc"].is_null());
  EXPECT_NE(BenchMarkdown(r).find("finished (UTC): not yet"), std::string::npos);
}

TEST(BenchResultsTest, ForeignOrNewerFilesAreRefused) {
  auto foreign = BenchResultsFromJson(Json{{"verified", true}}, "x/results.json");
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.status().message().find("not a bench results file"), std::string::npos);
  Json newer = BenchResultsJson(BenchResults{});
  newer["schema_version"] = BenchResults::kSchemaVersion + 1;
  auto refused = BenchResultsFromJson(newer, "x/results.json");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("newer akg_cli"), std::string::npos);
}

TEST(BenchResumeTest, RunsTasksWithoutARowAndCancelledOrAgentErrorOnesAgain) {
  BenchRow cancelled = RowFromError("b", "b.py", Status::Error(ErrorKind::kCancelled, "stop"));
  BenchRow broken_agent = RowFromError("e", "e.py", InternalError("cannot import torch"));
  std::vector<BenchRow> rows = {Correct("a", 2.0, std::nullopt), cancelled, Declined("c"),
                                broken_agent, Correct("gone", 1.0, std::nullopt)};
  std::vector<size_t> todo = TasksToRun({"a", "b", "c", "d", "e"}, &rows);
  EXPECT_EQ(todo, (std::vector<size_t>{1, 3, 4}));
  ASSERT_EQ(rows.size(), 3u);  // the unfinished rows go; a row of another task list stays
  EXPECT_EQ(rows[0].task, "a");
  EXPECT_EQ(rows[1].task, "c");
  EXPECT_EQ(rows[2].task, "gone");
}

TEST(BenchResumeTest, EverythingDoneRunsNothing) {
  std::vector<BenchRow> rows = {Correct("a", 2.0, std::nullopt)};
  EXPECT_TRUE(TasksToRun({"a"}, &rows).empty());
}

}  // namespace
}  // namespace akg
