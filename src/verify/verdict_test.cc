#include "verify/verdict.h"

#include <gtest/gtest.h>

namespace akg {
namespace {

Json VariedShapes() {
  return {{"status", "yes"},
          {"why", ""},
          {"sizes", {"batch_size=7, dim=1023", "batch_size=5, dim=511"}},
          {"constants", {{"batch_size", 16}, {"dim", 16384}}}};
}

Json ReferenceErrorTolerance() {
  return {{"rule", "reference_error"},
          {"why", ""},
          {"k", 16},
          {"outputs", {{{"index", 0}, {"ref_error", 1.3e-05}, {"atol", 1e-4}, {"rtol", 1e-4}}}}};
}

TEST(ShapeGeneralityTest, ReadsTheHarnessesKeyAndWritesItBackUnchanged) {
  ShapeGenerality s = ShapeGeneralityFromJson(VariedShapes());
  EXPECT_EQ(s.status, "yes");
  EXPECT_EQ(s.why, "");
  EXPECT_EQ(s.sizes, (std::vector<std::string>{"batch_size=7, dim=1023", "batch_size=5, dim=511"}));
  EXPECT_EQ(s.constants["dim"], 16384);
  EXPECT_EQ(ToJson(s), VariedShapes());
}

TEST(ShapeGeneralityTest, AnOlderHarnessWithoutTheKeyReadsAsNotChecked) {
  ShapeGenerality s = ShapeGeneralityFromJson(Json());
  EXPECT_EQ(s.status, "not_checked");
  EXPECT_EQ(s.why, "not reported by the harness");
  EXPECT_TRUE(s.sizes.empty());
  EXPECT_EQ(ToJson(s)["constants"], Json::object());
  EXPECT_EQ(ShapeGeneralityLine(s), "not checked (not reported by the harness)");
}

TEST(ShapeGeneralityTest, MistypedOrUnknownFieldsAreNotTakenForAPass) {
  ShapeGenerality odd = ShapeGeneralityFromJson({{"status", "maybe"}, {"sizes", {"n=3"}}});
  EXPECT_EQ(odd.status, "not_checked");
  EXPECT_NE(odd.why.find("'maybe'"), std::string::npos);
  ShapeGenerality typed = ShapeGeneralityFromJson(
      {{"status", "no"}, {"why", "wrong at n=7\nsecond line"}, {"sizes", "n=7"}, {"constants", 3}});
  EXPECT_EQ(typed.status, "no");
  EXPECT_EQ(typed.why, "wrong at n=7 second line");  // kept to one line
  EXPECT_TRUE(typed.sizes.empty());
  EXPECT_EQ(typed.constants, Json::object());
}

TEST(ShapeGeneralityTest, LinesSayYesWithTheSizesAndOtherwiseWhy) {
  EXPECT_EQ(ShapeGeneralityLine(ShapeGeneralityFromJson(VariedShapes())),
            "yes (batch_size=7, dim=1023; batch_size=5, dim=511)");
  EXPECT_EQ(ShapeGeneralityLine(ShapeGeneralityFromJson(
                {{"status", "no"}, {"why", "mismatch at batch_size=7, dim=1023"}})),
            "no (mismatch at batch_size=7, dim=1023)");
  EXPECT_EQ(ShapeGeneralityLine(ShapeGeneralityFromJson(
                {{"status", "not_checked"}, {"why", "verify_settings.shapes is task"}})),
            "not checked (verify_settings.shapes is task)");
}

TEST(ToleranceRuleTest, ReadsTheReferenceErrorRuleAndWritesItBack) {
  ToleranceRule t = ToleranceRuleFromJson(ReferenceErrorTolerance());
  ASSERT_TRUE(t.reported());
  EXPECT_EQ(t.rule, "reference_error");
  EXPECT_DOUBLE_EQ(t.k, 16);
  ASSERT_EQ(t.outputs.size(), 1u);
  ASSERT_TRUE(t.outputs[0].ref_error.has_value());
  EXPECT_DOUBLE_EQ(*t.outputs[0].ref_error, 1.3e-05);
  EXPECT_DOUBLE_EQ(t.outputs[0].atol, 1e-4);
  EXPECT_EQ(ToJson(t), ReferenceErrorTolerance());
  EXPECT_EQ(ToleranceLine(t), "reference_error (k=16, ref_error 1.3e-05)");
}

TEST(ToleranceRuleTest, DtypeDefaultSaysWhyTheFloat64ReferenceWasNotUsed) {
  ToleranceRule t = ToleranceRuleFromJson(
      {{"rule", "dtype_default"},
       {"why", "forward casts dtypes"},
       {"k", 16},
       {"outputs", {{{"index", 0}, {"ref_error", nullptr}, {"atol", 1e-2}, {"rtol", 1e-2}}}}});
  ASSERT_EQ(t.outputs.size(), 1u);
  EXPECT_FALSE(t.outputs[0].ref_error.has_value());
  EXPECT_TRUE(ToJson(t)["outputs"][0]["ref_error"].is_null());
  EXPECT_EQ(ToleranceLine(t), "dtype_default (forward casts dtypes)");
}

TEST(ToleranceRuleTest, AbsentIsNotReportedAndWritesNull) {
  ToleranceRule t = ToleranceRuleFromJson(Json());
  EXPECT_FALSE(t.reported());
  EXPECT_TRUE(ToJson(t).is_null());
  EXPECT_EQ(ToleranceLine(t), "not reported by the harness");
  EXPECT_FALSE(ToleranceRuleFromJson({{"k", 16}}).reported());
}

TEST(ToleranceRuleTest, ALineListsAFewOutputsAndCountsNoMore) {
  Json outputs = Json::array();
  for (int i = 0; i < 6; ++i) outputs.push_back({{"index", i}, {"ref_error", 1e-6 * (i + 1)}});
  ToleranceRule t =
      ToleranceRuleFromJson({{"rule", "reference_error"}, {"k", 16}, {"outputs", outputs}});
  EXPECT_EQ(ToleranceLine(t), "reference_error (k=16, ref_error 1e-06, 2e-06, 3e-06, 4e-06, ...)");
}

}  // namespace
}  // namespace akg
