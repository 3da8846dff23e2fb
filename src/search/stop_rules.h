// When a search stops: after max_candidates proposals, after max_wall_s seconds, or after
// `patience` observed candidates in a row that did not improve on the best (0 = that rule is
// off). Budgets on tokens and cost come from the workflow's budget hook, not from here.
#pragma once

#include <optional>
#include <string>

namespace akg {

struct StopSettings {
  int max_candidates = 0;  // 0 = no limit
  double max_wall_s = 0;   // 0 = no limit
  int patience = 0;        // 0 = no limit
};

class StopRules {
 public:
  explicit StopRules(StopSettings s) : s_(s) {}

  // Records an observed candidate; `fitness` counts only when it passed.
  void Observe(bool passed, double fitness);
  // Why no further candidate should be proposed, or nullopt. `proposed` counts proposals so
  // far, `elapsed_s` the search's wall time.
  std::optional<std::string> Check(int proposed, double elapsed_s) const;

  double best() const { return best_; }
  int since_improvement() const { return since_improvement_; }

 private:
  StopSettings s_;
  double best_ = 0;
  int since_improvement_ = 0;
};

}  // namespace akg
