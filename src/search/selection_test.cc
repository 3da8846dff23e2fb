#include "search/selection.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "search/rng.h"

namespace akg {
namespace {

std::vector<Member> Members() {
  return {{"a", true, 1.0, 0}, {"b", true, 3.0, 0}, {"c", false, 0, 0},
          {"d", true, 2.0, 0}, {"e", true, 0.5, 0}, {"f", false, 0, 0}};
}

TEST(RngTest, SameSeedSameSequenceAndSeedsNeverZero) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    EXPECT_NE(x, c.Next());
  }
  Rng r(0);
  for (int i = 0; i < 1000; ++i) EXPECT_NE(r.NonZeroSeed(), 0u);
  EXPECT_EQ(Rng(1234567).Next(), 6457827717110365317ULL);  // SplitMix64 reference vector
}

TEST(SelectionTest, RankingPutsPassedFirstThenFitnessThenId) {
  auto m = Members();
  SortByRank(&m);
  std::vector<std::string> ids;
  for (const auto& x : m) ids.push_back(x.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"b", "d", "a", "e", "c", "f"}));
}

TEST(SelectionTest, TournamentFavoursFitterParentsAndNeverPicksFailures) {
  auto m = Members();
  Rng rng(1);
  std::map<std::string, int> counts;
  for (int i = 0; i < 4000; ++i) {
    int k = SelectParent(m, 2, &rng);
    ASSERT_GE(k, 0);
    ASSERT_TRUE(m[k].passed);
    ++counts[m[k].id];
  }
  // With 4 passed members and tournaments of 2, the best wins 7/16 of the time, the worst 1/16.
  EXPECT_NEAR(counts["b"] / 4000.0, 7.0 / 16, 0.03);
  EXPECT_NEAR(counts["e"] / 4000.0, 1.0 / 16, 0.02);
  EXPECT_GT(counts["d"], counts["a"]);
}

TEST(SelectionTest, NoParentWhenNothingPassed) {
  Rng rng(1);
  EXPECT_EQ(SelectParent({{"x", false, 0, 0}}, 2, &rng), -1);
  EXPECT_EQ(SelectParent({}, 2, &rng), -1);
}

TEST(SelectionTest, TieredSamplingDrawsFromGoodMiddlingAndPoor) {
  auto m = Members();  // ranked b d | a e | c f
  std::set<std::string> good = {"b", "d"}, mid = {"a", "e"}, poor = {"c", "f"};
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Rng rng(seed);
    auto s = SampleTiered(m, 3, "", &rng);
    ASSERT_EQ(s.size(), 3u);
    EXPECT_TRUE(good.count(s[0])) << s[0];
    EXPECT_TRUE(mid.count(s[1])) << s[1];
    EXPECT_TRUE(poor.count(s[2])) << s[2];
  }
}

TEST(SelectionTest, TieredSamplingExcludesParentAndNeverRepeats) {
  auto m = Members();
  Rng rng(3);
  auto s = SampleTiered(m, 10, "b", &rng);
  EXPECT_EQ(s.size(), 5u);  // everyone but the parent, each once
  EXPECT_EQ(std::set<std::string>(s.begin(), s.end()).size(), 5u);
  EXPECT_EQ(std::count(s.begin(), s.end(), "b"), 0);
  EXPECT_TRUE(SampleTiered({}, 2, "", &rng).empty());
}

TEST(SelectionTest, SurvivorsKeepBestPassedOnly) {
  auto s = Survivors(Members(), 2);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, "b");
  EXPECT_EQ(s[1].id, "d");
}

TEST(SelectionTest, RingMigrationCopiesElitesToNextIslandWhereTheyCompete) {
  std::vector<std::vector<Member>> islands = {
      {{"a1", true, 5.0, 0}, {"a2", true, 1.0, 0}},
      {{"b1", true, 2.0, 1}, {"b2", true, 1.5, 1}},
      {{"c1", true, 0.5, 2}}};
  auto moved = MigrateRing(&islands, 1, 2);
  EXPECT_EQ(moved, (std::vector<std::string>{"a1:0->1", "b1:1->2", "c1:2->0"}));
  // Island 1 now holds a1 (its best) and b1; b2 was pushed out by the migrant.
  ASSERT_EQ(islands[1].size(), 2u);
  EXPECT_EQ(islands[1][0].id, "a1");
  EXPECT_EQ(islands[1][0].home_island, 0);
  EXPECT_EQ(islands[1][1].id, "b1");
  // A worse migrant does not displace better members.
  EXPECT_EQ(islands[0][0].id, "a1");
  EXPECT_EQ(islands[0][1].id, "a2");
  // Island 2 (population 2) kept c1 and took b1.
  EXPECT_EQ(islands[2][0].id, "b1");
  // Migrating again moves nothing new where the elite is already present.
  auto again = MigrateRing(&islands, 1, 2);
  EXPECT_EQ(std::count_if(again.begin(), again.end(),
                          [](const std::string& s) { return s.rfind("a1:0->1", 0) == 0; }),
            0);
}

}  // namespace
}  // namespace akg
