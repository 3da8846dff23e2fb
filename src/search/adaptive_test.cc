#include "search/adaptive.h"

#include <gtest/gtest.h>

#include "search/search_test_util.h"
#include "search/stop_rules.h"

namespace akg {
namespace {

TEST(AdaptiveTest, FirstProposalIsThePlainKernelThenBanditPicksParents) {
  AdaptiveSearch s({.ucb_c = 1.0, .inspirations = 2, .seed = 4});
  Proposal p1 = s.Propose();
  EXPECT_EQ(p1.id, "c0001");
  EXPECT_EQ(p1.seed, 0u);
  EXPECT_TRUE(p1.parent.empty());
  ASSERT_TRUE(s.Observe({p1.id, true, 2.0}));
  Proposal p2 = s.Propose();
  EXPECT_EQ(p2.parent, "c0001");
  EXPECT_NE(p2.seed, 0u);
  EXPECT_EQ(p2.inspirations, (std::vector<std::string>{}));  // the parent is the only one seen
}

TEST(AdaptiveTest, FailuresBeforeAnyPassAreFedBackToFreshAttempts) {
  AdaptiveSearch s({.seed = 1});
  Proposal p1 = s.Propose();
  s.Observe({p1.id, false, 0});
  Proposal p2 = s.Propose();
  EXPECT_TRUE(p2.parent.empty());
  EXPECT_EQ(p2.failures, (std::vector<std::string>{"c0001"}));
  EXPECT_EQ(p2.inspirations, (std::vector<std::string>{"c0001"}));
}

TEST(AdaptiveTest, RewardOfImprovingChildrenGoesToTheirParent) {
  AdaptiveSearch s({.ucb_c = 0.1, .seed = 2});
  s.Observe({s.Propose().id, true, 1.0});  // c0001
  Proposal c2 = s.Propose();               // child of c0001
  ASSERT_EQ(c2.parent, "c0001");
  s.Observe({c2.id, true, 1.5});           // +50%
  EXPECT_NEAR(s.bandit().Mean("c0001"), 0.5 / 2, 1e-12);  // (prior 0 + 0.5) / 2 pulls
  EXPECT_NEAR(s.bandit().Mean("c0002"), 0.5, 1e-12);      // enters with its own improvement
}

TEST(AdaptiveTest, DeterministicForASeedWithOneInFlight) {
  auto run = [](uint64_t seed) {
    AdaptiveSearch s({.ucb_c = 0.7, .inspirations = 2, .seed = seed});
    Landscape land;
    std::vector<std::string> trace;
    for (int i = 0; i < 40; ++i) {
      Proposal p = s.Propose();
      trace.push_back(p.id + "<" + p.parent + "/" + std::to_string(p.seed));
      s.Observe(land.Build(p));
    }
    return trace;
  };
  EXPECT_EQ(run(8), run(8));
  EXPECT_NE(run(8), run(9));
}

TEST(AdaptiveTest, SearchClimbsAndPatienceStopsIt) {
  int improved = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    AdaptiveSearch s({.ucb_c = 0.5, .inspirations = 2, .seed = seed});
    StopRules stop({.max_candidates = 60, .patience = 25});
    Landscape land;
    double first = 0;
    int n = 0;
    while (!stop.Check(s.proposed(), 0)) {
      Observation o = land.Build(s.Propose());
      s.Observe(o);
      stop.Observe(o.passed, o.fitness);
      if (++n == 1) first = o.fitness;
    }
    if (stop.best() > 2 * first) ++improved;
  }
  EXPECT_GE(improved, 8);
}

TEST(AdaptiveTest, ConcurrentProposalsSpreadOverParents) {
  AdaptiveSearch s({.ucb_c = 1.0, .seed = 3});
  Proposal a = s.Propose(), b = s.Propose();
  s.Observe({a.id, true, 1.0});
  s.Observe({b.id, true, 1.0});
  Proposal c = s.Propose(), d = s.Propose();  // two in flight at once
  EXPECT_NE(c.parent, d.parent);
  EXPECT_EQ(s.in_flight(), 2);
  EXPECT_FALSE(s.Observe({"c0099", true, 1.0}));
}

}  // namespace
}  // namespace akg
