#include "config/arch_peaks.h"

#include <gtest/gtest.h>

#include "config/target.h"

namespace akg {
namespace {

TEST(ArchPeaksTest, ParsesNumbersAndMeasureEntries) {
  auto p = ParseArchPeaks(
      "h100: {bandwidth_gbs: 2970, tflops: {fp32: 52, bf16: 771}, source: m}\n"
      "x86_64: {measure: true}\n", "p.yaml");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_DOUBLE_EQ(p->at("h100").bandwidth_gbs, 2970);
  EXPECT_DOUBLE_EQ(p->at("h100").tflops.at("bf16"), 771);
  EXPECT_TRUE(p->at("x86_64").measure);
  EXPECT_EQ(p->at("h100").ToJson()["tflops"]["fp32"], 52);
}

TEST(ArchPeaksTest, RejectsUnknownKeysAndMissingBandwidth) {
  auto bad = ParseArchPeaks("h100: {bandwith_gbs: 1}\n", "p.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'h100.bandwith_gbs'"), std::string::npos);
  EXPECT_FALSE(ParseArchPeaks("h100: {tflops: {fp32: 1}}\n", "p.yaml").ok());
  EXPECT_FALSE(ParseArchPeaks("h100: {bandwidth_gbs: -3}\n", "p.yaml").ok());
}

TEST(ArchPeaksTest, ShippedTableCoversEverySupportedArch) {
  auto p = LoadArchPeaks(std::string(AKG_SOURCE_DIR) + "/configs/arch_peaks.yaml");
  ASSERT_TRUE(p.ok()) << p.status().message();
  for (const auto& row : SupportedTargets()) {
    for (const auto& arch : row.archs) EXPECT_TRUE(p->count(arch)) << arch;
  }
}

TEST(ArchPeaksTest, ReadsHarnessMeasurement) {
  auto p = ArchPeaksFromMeasurement(Json{{"bandwidth_gbs", 20.5}, {"tflops", {{"fp32", 0.3}}}});
  ASSERT_TRUE(p.ok());
  EXPECT_DOUBLE_EQ(p->bandwidth_gbs, 20.5);
  EXPECT_FALSE(ArchPeaksFromMeasurement(Json::object()).ok());
}

}  // namespace
}  // namespace akg
