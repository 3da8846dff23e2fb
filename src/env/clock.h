// Time behind a seam, so that timeouts, back-off and run folder names are tested
// deterministically: SystemClock for the agent, FakeClock for tests.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

namespace akg {

class Clock {
 public:
  virtual ~Clock();
  // Seconds on a monotonic clock with an arbitrary epoch; for durations and deadlines.
  virtual double NowSeconds() = 0;
  // Current UTC wall time, "YYYY-MM-DDTHH:MM:SSZ" (whole seconds); for run folder names and
  // records. Sorts chronologically as text.
  virtual std::string NowIso8601() = 0;
  // Blocks for `seconds` (<= 0: returns at once). A FakeClock advances instead of blocking.
  virtual void SleepFor(double seconds) = 0;
};

// "1970-01-01T00:00:00Z" for 0.
std::string FormatIso8601Utc(int64_t unix_seconds);

class SystemClock final : public Clock {
 public:
  double NowSeconds() override;       // std::chrono::steady_clock
  std::string NowIso8601() override;  // std::chrono::system_clock
  void SleepFor(double seconds) override;
};

// Starts at the given monotonic reading and wall time and moves only when told. Thread-safe.
class FakeClock final : public Clock {
 public:
  static constexpr int64_t kDefaultUnixSeconds = 1704067200;  // 2024-01-01T00:00:00Z

  explicit FakeClock(double now_seconds = 0, int64_t unix_seconds = kDefaultUnixSeconds);

  double NowSeconds() override;
  std::string NowIso8601() override;
  void SleepFor(double seconds) override;  // same as Advance(seconds) for seconds > 0

  void Advance(double seconds);           // moves both the monotonic and the wall clock
  void SetNowSeconds(double seconds);     // monotonic only
  void SetUnixSeconds(double unix_seconds);  // wall only
  double slept_seconds() const;           // total passed to SleepFor

 private:
  mutable std::mutex mutex_;
  double now_seconds_;
  double unix_seconds_;
  double slept_seconds_ = 0;
};

}  // namespace akg
