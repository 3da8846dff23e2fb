#include "env/clock.h"

#include <regex>
#include <thread>

#include <gtest/gtest.h>

namespace akg {
namespace {

TEST(ClockTest, FormatsUnixSecondsAsIso8601Utc) {
  EXPECT_EQ(FormatIso8601Utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIso8601Utc(1700000000), "2023-11-14T22:13:20Z");
}

TEST(ClockTest, SystemClockIsMonotonicAndIsoFormatted) {
  SystemClock clock;
  double before = clock.NowSeconds();
  clock.SleepFor(0.01);
  EXPECT_GE(clock.NowSeconds() - before, 0.01);
  EXPECT_TRUE(std::regex_match(clock.NowIso8601(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << clock.NowIso8601();
}

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(100.0);
  EXPECT_EQ(clock.NowSeconds(), 100.0);
  EXPECT_EQ(clock.NowIso8601(), "2024-01-01T00:00:00Z");
  clock.Advance(61.5);
  EXPECT_EQ(clock.NowSeconds(), 161.5);
  EXPECT_EQ(clock.NowIso8601(), "2024-01-01T00:01:01Z");
  clock.SetNowSeconds(5);
  EXPECT_EQ(clock.NowSeconds(), 5.0);
  EXPECT_EQ(clock.NowIso8601(), "2024-01-01T00:01:01Z");
  clock.SetUnixSeconds(0);
  EXPECT_EQ(clock.NowIso8601(), "1970-01-01T00:00:00Z");
}

TEST(ClockTest, FakeClockSleepAdvancesInsteadOfBlocking) {
  FakeClock clock;
  auto start = std::chrono::steady_clock::now();
  clock.SleepFor(3600);
  clock.SleepFor(-1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(clock.NowSeconds(), 3600.0);
  EXPECT_EQ(clock.slept_seconds(), 3600.0);
  EXPECT_EQ(clock.NowIso8601(), "2024-01-01T01:00:00Z");
}

}  // namespace
}  // namespace akg
