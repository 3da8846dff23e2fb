#include "search/ucb.h"

#include <cmath>

#include <gtest/gtest.h>

#include "search/stop_rules.h"

namespace akg {
namespace {

TEST(UcbTest, RewardIsClampedRelativeImprovement) {
  EXPECT_DOUBLE_EQ(ImprovementReward(2.0, true, 2.5), 0.25);
  EXPECT_DOUBLE_EQ(ImprovementReward(2.0, true, 1.0), 0.0);  // worse: no reward
  EXPECT_DOUBLE_EQ(ImprovementReward(1.0, true, 5.0), 1.0);  // clamped
  EXPECT_DOUBLE_EQ(ImprovementReward(2.0, false, 9.0), 0.0); // failed child
  EXPECT_DOUBLE_EQ(ImprovementReward(0.0, true, 1.0), 0.0);  // parent never measured
}

TEST(UcbTest, ScoreIsMeanPlusExplorationBonus) {
  UcbBandit b(2.0);
  b.AddArm("a", 0.5);  // 1 virtual pull, reward 0.5
  b.AddArm("b", 0.0);
  // total pulls 2: bonus = 2 * sqrt(ln 3 / 1)
  EXPECT_NEAR(b.Score("a"), 0.5 + 2.0 * std::sqrt(std::log(3.0)), 1e-12);
  b.Pull("a");
  b.Reward("a", 0.1);
  EXPECT_EQ(b.Pulls("a"), 2);
  EXPECT_EQ(b.total_pulls(), 3);
  EXPECT_NEAR(b.Mean("a"), 0.3, 1e-12);
  EXPECT_NEAR(b.Score("a"), 0.3 + 2.0 * std::sqrt(std::log(4.0) / 2), 1e-12);
}

TEST(UcbTest, ArmsWhoseChildrenImproveAreChosenMore) {
  UcbBandit b(0.5);
  b.AddArm("good", 0);
  b.AddArm("bad", 0);
  int good = 0;
  for (int i = 0; i < 200; ++i) {
    std::string arm = b.Choose();
    b.Pull(arm);
    b.Reward(arm, arm == "good" ? 0.3 : 0.0);
    good += arm == "good";
  }
  EXPECT_GT(good, 150);
  EXPECT_LT(good, 200);  // the other arm is still explored now and then
}

TEST(UcbTest, PendingPullsSpreadConcurrentChoices) {
  UcbBandit b(1.0);
  b.AddArm("a", 0);
  b.AddArm("b", 0);
  std::string first = b.Choose();
  b.Pull(first);  // in flight, no reward yet
  EXPECT_NE(b.Choose(), first);
}

TEST(StopRulesTest, CandidateWallAndPatienceBudgets) {
  StopRules r({.max_candidates = 5, .max_wall_s = 10, .patience = 3});
  EXPECT_FALSE(r.Check(4, 9.9).has_value());
  EXPECT_NE(r.Check(5, 0)->find("max_candidates"), std::string::npos);
  EXPECT_NE(r.Check(0, 10)->find("max_wall_s"), std::string::npos);
  r.Observe(true, 1.0);   // improvement
  r.Observe(false, 0);
  r.Observe(true, 0.9);   // passed but not better
  EXPECT_FALSE(r.Check(0, 0).has_value());
  r.Observe(true, 1.0);   // equal is not better
  EXPECT_NE(r.Check(0, 0)->find("patience"), std::string::npos);
  r.Observe(true, 1.2);   // an improvement resets the count
  EXPECT_FALSE(r.Check(0, 0).has_value());
  EXPECT_DOUBLE_EQ(r.best(), 1.2);
}

TEST(StopRulesTest, ZeroMeansNoLimit) {
  StopRules r({});
  for (int i = 0; i < 100; ++i) r.Observe(false, 0);
  EXPECT_FALSE(r.Check(1000000, 1e9).has_value());
}

}  // namespace
}  // namespace akg
