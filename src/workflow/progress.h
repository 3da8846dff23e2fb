// Progress output of a run. On a terminal a search keeps one live status line at the bottom
// (rewritten in place; log lines scroll above it); elsewhere (a pipe, a file, CI) there is no
// status line and the searches' per-candidate log lines say the same. Thread-safe.
#pragma once

#include <mutex>
#include <ostream>
#include <string>

namespace akg {

class Progress {
 public:
  Progress(std::ostream* out, bool terminal) : out_(out), terminal_(terminal) {}

  void Line(const std::string& line);    // a log line
  void Status(const std::string& line);  // the live status line (terminal only)
  void Finish();                          // clears the status line

 private:
  void ClearStatusLocked();
  std::mutex mutex_;
  std::ostream* out_;
  bool terminal_;
  bool status_shown_ = false;
};

// What a search's status line says. Times in seconds; eta_s < 0 = unknown.
struct SearchStatus {
  std::string workflow;
  std::string where;  // "round 2/4", "candidate 9/32"
  int done = 0, running = 0, failed = 0;
  double best = 0;
  double elapsed_s = 0;
  double eta_s = -1;
};
std::string FormatSearchStatus(const SearchStatus& s);
// "1:05", "12:00:03"
std::string FormatDuration(double seconds);

}  // namespace akg
