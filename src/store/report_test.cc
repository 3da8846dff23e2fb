#include "store/report.h"

#include <gtest/gtest.h>

namespace akg {
namespace {

Verdict Passed() {
  Verdict v;
  v.kind = VerdictKind::kPassed;
  v.shape_general = ShapeGeneralityFromJson(
      {{"status", "yes"},
       {"why", ""},
       {"sizes", {"batch_size=7, dim=1023", "batch_size=5, dim=511"}},
       {"constants", {{"batch_size", 16}, {"dim", 16384}}}});
  v.tolerance = ToleranceRuleFromJson(
      {{"rule", "reference_error"},
       {"why", ""},
       {"k", 16},
       {"outputs", {{{"index", 0}, {"ref_error", 1.3e-05}, {"atol", 1e-4}, {"rtol", 1e-4}}}}});
  return v;
}

Verdict ShapeSpecific() {
  Verdict v;
  v.kind = VerdictKind::kWrongAnswer;
  v.reason = "shape_specific";
  v.message = "passed at the task's sizes but not at batch_size=7, dim=1023";
  v.shape_general = ShapeGeneralityFromJson(
      {{"status", "no"}, {"why", "output 0 differs at batch_size=7, dim=1023"},
       {"sizes", {"batch_size=7, dim=1023"}}, {"constants", {{"batch_size", 16}}}});
  v.tolerance = ToleranceRuleFromJson({{"rule", "dtype_default"},
                                       {"why", "the reference fails in float64"},
                                       {"k", 16},
                                       {"outputs", Json::array()}});
  return v;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    task_.name = "swish";
    task_.inspection = Json::object();
    summary_.task = &task_;
    summary_.target = {"torch", "cpu", "x86_64", "cpp"};
    summary_.config = &config_;
    summary_.outcome = &outcome_;
    summary_.run_folder = "runs/x";
    outcome_.workflow = "coder_only";
  }
  void AddAttempt(Verdict v) {
    CandidateRecord a;
    int number = static_cast<int>(outcome_.candidates.size()) + 1;
    a.id = "attempt-0" + std::to_string(number);
    a.dir = "attempts/0" + std::to_string(number);
    a.verdict = std::move(v);
    outcome_.candidates.push_back(a);
  }

  TaskInfo task_;
  DslConfig config_;
  WorkflowOutcome outcome_;
  RunSummary summary_;
};

TEST_F(ReportTest, ReportJsonCarriesShapeGeneralityAndTolerancePerAttemptAndForTheFinalKernel) {
  AddAttempt(ShapeSpecific());
  AddAttempt(Passed());
  outcome_.passing_attempt = 2;
  Json r = BuildReportJson(summary_);
  EXPECT_EQ(r["attempts"][0]["reason"], "shape_specific");
  EXPECT_EQ(r["attempts"][0]["shape_general"]["status"], "no");
  EXPECT_EQ(r["attempts"][0]["tolerance"]["rule"], "dtype_default");
  EXPECT_EQ(r["shape_general"]["status"], "yes");
  EXPECT_EQ(r["shape_general"]["sizes"][1], "batch_size=5, dim=511");
  EXPECT_EQ(r["shape_general"]["constants"]["dim"], 16384);
  EXPECT_EQ(r["tolerance"]["rule"], "reference_error");
  EXPECT_DOUBLE_EQ(r["tolerance"]["outputs"][0]["ref_error"].get<double>(), 1.3e-05);
  EXPECT_EQ(r["config"]["verify_settings"]["shapes"], "vary");
}

TEST_F(ReportTest, WithoutAFinalKernelTheFinalKeysAreNull) {
  AddAttempt(ShapeSpecific());
  Json r = BuildReportJson(summary_);
  EXPECT_TRUE(r["shape_general"].is_null());
  EXPECT_TRUE(r["tolerance"].is_null());
  EXPECT_EQ(FormatFinalTable(summary_).find("shape-general"), std::string::npos);
}

TEST_F(ReportTest, FinalTableAndMarkdownShowTheTwoLinesTersely) {
  AddAttempt(ShapeSpecific());
  AddAttempt(Passed());
  outcome_.passing_attempt = 2;
  std::string table = FormatFinalTable(summary_);
  EXPECT_NE(
      table.find("shape-general          yes (batch_size=7, dim=1023; batch_size=5, dim=511)\n"),
      std::string::npos) << table;
  EXPECT_NE(table.find("tolerance              reference_error (k=16, ref_error 1.3e-05)\n"),
            std::string::npos) << table;
  std::string md = BuildReportMarkdown(summary_);
  EXPECT_NE(md.find("  - shape-general: no (output 0 differs at batch_size=7, dim=1023)\n"
                    "  - tolerance: dtype_default (the reference fails in float64)\n"),
            std::string::npos) << md;
}

TEST_F(ReportTest, AnOlderHarnessIsShownAsNotCheckedAndNotReported) {
  Verdict v;
  v.kind = VerdictKind::kPassed;  // a result without the two keys
  AddAttempt(v);
  outcome_.passing_attempt = 1;
  std::string table = FormatFinalTable(summary_);
  EXPECT_NE(table.find("not checked (not reported by the harness)"), std::string::npos) << table;
  EXPECT_NE(table.find("tolerance              not reported by the harness"), std::string::npos);
  Json r = BuildReportJson(summary_);
  EXPECT_EQ(r["shape_general"]["status"], "not_checked");
  EXPECT_TRUE(r["tolerance"].is_null());
}

TEST_F(ReportTest, AnAttemptThatNeverComparedOutputsHasNoShapeOrToleranceLines) {
  Verdict v;
  v.kind = VerdictKind::kCompileError;
  v.message = "error: expected ';'";
  AddAttempt(v);
  EXPECT_EQ(BuildReportMarkdown(summary_).find("shape-general"), std::string::npos);
}

}  // namespace
}  // namespace akg
