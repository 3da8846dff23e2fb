// The `search` section of the DSL configs (issue 5's settings).
#include <gtest/gtest.h>

#include "config/dsl_config.h"

namespace akg {
namespace {

TEST(SearchConfigTest, KeysOverrideDefaultsOneByOne) {
  DslConfig c;
  ASSERT_TRUE(ApplyConfigYaml("search: {rounds: 7, islands: 3, ucb_c: 0.5, max_wall_s: 0, "
                              "seed: 11, cpu_slots: 2}\n", "t.yaml", &c).ok());
  EXPECT_EQ(c.search.rounds, 7);
  EXPECT_EQ(c.search.islands, 3);
  EXPECT_DOUBLE_EQ(c.search.ucb_c, 0.5);
  EXPECT_EQ(c.search.seed, 11);
  EXPECT_EQ(c.search.cpu_slots, 2);
  EXPECT_EQ(c.search.population, SearchSettings().population);  // untouched
}

TEST(SearchConfigTest, UnknownKeysAndBadValuesAreRejected) {
  DslConfig c;
  Status s = ApplyConfigYaml("search: {generations: 3}\n", "t.yaml", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("search.generations"), std::string::npos);
  EXPECT_NE(s.message().find("migration_interval"), std::string::npos);  // lists known keys
  EXPECT_FALSE(ApplyConfigYaml("search: {concurrency: 0}\n", "t.yaml", &c).ok());
  EXPECT_FALSE(ApplyConfigYaml("search: {max_wall_s: -1}\n", "t.yaml", &c).ok());
  EXPECT_FALSE(ApplyConfigYaml("search: {islands: two}\n", "t.yaml", &c).ok());
}

TEST(SearchConfigTest, EveryShippedConfigDocumentsTheSearchKeys) {
  for (const char* dsl : {"cpp", "triton_cuda", "cuda", "tilelang_cuda", "triton_ascend"}) {
    auto c = LoadDslConfig(std::filesystem::path(AKG_SOURCE_DIR) / "configs", dsl, std::nullopt);
    ASSERT_TRUE(c.ok()) << dsl << ": " << c.status().message();
    EXPECT_TRUE(c->sources.count("search.ucb_c")) << dsl;
    EXPECT_TRUE(c->sources.count("search.cpu_slots")) << dsl;
  }
}

}  // namespace
}  // namespace akg
