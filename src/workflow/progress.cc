#include "workflow/progress.h"

#include <cmath>

#include <fmt/format.h>

namespace akg {

void Progress::ClearStatusLocked() {
  if (status_shown_) *out_ << "\r\033[K";
  status_shown_ = false;
}

void Progress::Line(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  ClearStatusLocked();
  *out_ << line << "\n" << std::flush;
}

void Progress::Status(const std::string& line) {
  if (!terminal_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  *out_ << "\r\033[K" << line << std::flush;
  status_shown_ = true;
}

void Progress::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  ClearStatusLocked();
  *out_ << std::flush;
}

std::string FormatDuration(double seconds) {
  long s = std::lround(std::max(0.0, seconds));
  if (s >= 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02d}", s / 60, s % 60);
}

std::string FormatSearchStatus(const SearchStatus& s) {
  std::string line = fmt::format("[{}] {} | done {} running {} failed {} | best {} | {}",
                                 s.workflow, s.where, s.done, s.running, s.failed,
                                 s.best > 0 ? fmt::format("{:.2f}x", s.best) : "-",
                                 FormatDuration(s.elapsed_s));
  if (s.eta_s >= 0) line += " elapsed, ~" + FormatDuration(s.eta_s) + " left";
  else line += " elapsed";
  return line;
}

}  // namespace akg
