// The leaderboard ranks by the kernels' own times on one device model, by the speedup over
// each device's baseline across models, and prints "noisy" instead of a speedup as fact.
#include "store/leaderboard.h"

#include <gtest/gtest.h>

namespace akg {
namespace {

CandidateRecord Passed(const std::string& id, double ms, double speedup,
                       const std::string& device = "cpu-x", std::vector<std::string> noisy = {}) {
  CandidateRecord c;
  c.id = id;
  c.verdict.kind = VerdictKind::kPassed;
  ProfileResult p;
  p.ok = true;
  p.candidate.median_ms = ms;
  p.speedup_vs_eager = speedup;
  p.device_name = device;
  p.noisy = std::move(noisy);
  p.eager_baseline = TimingStats{1.0, 0.9, 1.1, 1.0, 40};
  p.reference.median_ms = 7.5;  // this profile's eager drifted: it decides nothing
  c.profile = p;
  return c;
}

std::vector<std::string> Ids(const WorkflowOutcome& o) {
  std::vector<std::string> ids;
  for (const CandidateRecord* c : Leaderboard(o, 10)) ids.push_back(c->id);
  return ids;
}

TEST(LeaderboardTest, OnOneDeviceModelTheKernelsOwnTimeDecidesNotTheirSpeedups) {
  WorkflowOutcome o;
  // c1's speedup came from a profile whose eager was slow; its own time is the slowest.
  o.candidates = {Passed("c1", 0.1638, 48.71), Passed("c2", 0.1452, 4.72),
                  Passed("c3", 0.076, 9.0)};
  EXPECT_EQ(Ids(o), (std::vector<std::string>{"c3", "c2", "c1"}));
  Json rows = LeaderboardJson(o, 10);
  EXPECT_EQ(rows[0]["eager_ms"], 1.0);  // the run's baseline, not the drifting eager beside it
  EXPECT_EQ(rows[0]["eager_beside_ms"], 7.5);
}

TEST(LeaderboardTest, AcrossDeviceModelsTheSpeedupOverEachDevicesBaselineDecides) {
  WorkflowOutcome o;
  o.candidates = {Passed("c1", 0.5, 1.2, "NVIDIA H100"), Passed("c2", 0.9, 2.0, "NVIDIA A100"),
                  Passed("c3", 0.4, 1.5, "NVIDIA H100")};
  EXPECT_EQ(Ids(o), (std::vector<std::string>{"c2", "c3", "c1"}));
}

TEST(LeaderboardTest, ANoisyMeasurementPrintsNoisyInsteadOfASpeedup) {
  WorkflowOutcome o;
  o.candidates = {Passed("c1", 0.2, 1.4, "cpu-x", {"candidate p90/p10 3.10 > 1.5"}),
                  Passed("c2", 0.3, 0.93)};
  std::string table = FormatLeaderboard(o, 10);
  EXPECT_NE(table.find("noisy"), std::string::npos) << table;
  EXPECT_EQ(table.find("1.40x"), std::string::npos) << table;
  EXPECT_NE(table.find("0.93x"), std::string::npos) << table;
  EXPECT_EQ(SpeedupVsEagerText(*o.candidates[0].profile),
            "noisy (candidate p90/p10 3.10 > 1.5; about 1.40x)");
  EXPECT_NE(o.candidates[0].Summary().find("noisy (candidate p90/p10 3.10"), std::string::npos);
  EXPECT_EQ(o.candidates[1].Summary(), "passed; 0.3000 ms, 0.93x vs eager");
}

TEST(LeaderboardTest, TheBaselineAndNoiseSurviveTheRunFolder) {
  CandidateRecord c = Passed("c1", 0.2, 1.4, "cpu-x", {"eager drifted"});
  ProfileResult back = ProfileFromJson(ProfileToJson(*c.profile));
  ASSERT_TRUE(back.eager_baseline.has_value());
  EXPECT_EQ(back.eager_baseline->runs, 40);
  EXPECT_EQ(back.noisy, (std::vector<std::string>{"eager drifted"}));
  EXPECT_EQ(back.device_name, "cpu-x");
}

}  // namespace
}  // namespace akg
