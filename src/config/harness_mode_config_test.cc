// The `harness_mode` setting (warm | cold) of configs/<dsl>.yaml.
#include <gtest/gtest.h>

#include "config/dsl_config.h"

namespace akg {
namespace {

TEST(HarnessModeConfigTest, DefaultsToWarmAndAcceptsCold) {
  DslConfig config;
  EXPECT_EQ(config.harness_mode, "warm");
  ASSERT_TRUE(ApplyConfigYaml("harness_mode: cold\n", "user.yaml", &config).ok());
  EXPECT_EQ(config.harness_mode, "cold");
}

TEST(HarnessModeConfigTest, RejectsOtherModesNamingTheKeyAndTheChoices) {
  DslConfig config;
  Status s = ApplyConfigYaml("harness_mode: lukewarm\n", "user.yaml", &config);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("harness_mode"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("cold, warm"), std::string::npos) << s.message();
}

TEST(HarnessModeConfigTest, EveryShippedDslConfigSetsIt) {
  for (const char* dsl : {"cpp", "cuda", "triton_cuda", "triton_ascend", "tilelang_cuda"}) {
    auto config = LoadDslConfig(std::string(AKG_SOURCE_DIR) + "/configs", dsl, std::nullopt);
    ASSERT_TRUE(config.ok()) << dsl << ": " << config.status().message();
    EXPECT_EQ(config->sources.count("harness_mode"), 1u) << dsl;
    EXPECT_EQ(config->harness_mode, "warm") << dsl;
  }
}

}  // namespace
}  // namespace akg
