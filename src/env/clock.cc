#include "env/clock.h"

#include <time.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <thread>

namespace akg {

Clock::~Clock() = default;

std::string FormatIso8601Utc(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

double SystemClock::NowSeconds() {
  auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  return std::chrono::duration<double>(since_epoch).count();
}

std::string SystemClock::NowIso8601() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return FormatIso8601Utc(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

void SystemClock::SleepFor(double seconds) {
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

FakeClock::FakeClock(double now_seconds, int64_t unix_seconds)
    : now_seconds_(now_seconds), unix_seconds_(static_cast<double>(unix_seconds)) {}

double FakeClock::NowSeconds() {
  std::lock_guard<std::mutex> lock(mutex_);
  return now_seconds_;
}

std::string FakeClock::NowIso8601() {
  std::lock_guard<std::mutex> lock(mutex_);
  return FormatIso8601Utc(static_cast<int64_t>(std::floor(unix_seconds_)));
}

void FakeClock::SleepFor(double seconds) {
  if (seconds <= 0) return;
  Advance(seconds);
  std::lock_guard<std::mutex> lock(mutex_);
  slept_seconds_ += seconds;
}

void FakeClock::Advance(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  now_seconds_ += seconds;
  unix_seconds_ += seconds;
}

void FakeClock::SetNowSeconds(double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  now_seconds_ = seconds;
}

void FakeClock::SetUnixSeconds(double unix_seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  unix_seconds_ = unix_seconds;
}

double FakeClock::slept_seconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return slept_seconds_;
}

}  // namespace akg
