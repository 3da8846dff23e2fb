#include "search/stop_rules.h"

#include <fmt/format.h>

namespace akg {

void StopRules::Observe(bool passed, double fitness) {
  if (passed && fitness > best_) {
    best_ = fitness;
    since_improvement_ = 0;
  } else {
    ++since_improvement_;
  }
}

std::optional<std::string> StopRules::Check(int proposed, double elapsed_s) const {
  if (s_.max_candidates > 0 && proposed >= s_.max_candidates) {
    return fmt::format("candidate budget reached ({} candidates, search.max_candidates)",
                       s_.max_candidates);
  }
  if (s_.max_wall_s > 0 && elapsed_s >= s_.max_wall_s) {
    return fmt::format("wall-time budget reached ({:.0f} s, search.max_wall_s)", s_.max_wall_s);
  }
  if (s_.patience > 0 && since_improvement_ >= s_.patience) {
    return fmt::format("{} candidates in a row brought no improvement (search.patience)",
                       since_improvement_);
  }
  return std::nullopt;
}

}  // namespace akg
