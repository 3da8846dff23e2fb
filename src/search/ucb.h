// UCB1 over parents, for adaptive_search. An arm is a passed candidate; pulling it means
// building a child of it; the reward of a pull is the child's measured improvement over the
// parent, clamp((child - parent) / parent, 0, 1) (0 for a failed child), so parents whose
// children improve are chosen more.
//
//   score(arm) = mean reward + c * sqrt(ln(total pulls + 1) / pulls)
//
// A new arm enters with one virtual pull whose reward is its own improvement over its parent
// (a root: 0), so an improving child is tried soon without every fresh arm pre-empting all
// others. A pull counts from Pull() on (before its reward is known), which keeps concurrent
// proposals from piling onto one arm.
#pragma once

#include <map>
#include <string>

namespace akg {

// clamp((child - parent) / parent, 0, 1); 0 when the child failed or the parent has no fitness.
double ImprovementReward(double parent_fitness, bool child_passed, double child_fitness);

class UcbBandit {
 public:
  explicit UcbBandit(double c) : c_(c) {}

  void AddArm(const std::string& id, double prior_reward);
  bool empty() const { return arms_.empty(); }
  // The arm with the highest score (ties: the earlier id). Precondition: !empty().
  std::string Choose() const;
  void Pull(const std::string& id);
  void Reward(const std::string& id, double reward);

  double Score(const std::string& id) const;
  double Mean(const std::string& id) const;
  int Pulls(const std::string& id) const;
  int total_pulls() const { return total_pulls_; }

 private:
  struct Arm {
    int pulls = 0;
    double reward_sum = 0;
  };
  double c_;
  int total_pulls_ = 0;
  std::map<std::string, Arm> arms_;
};

}  // namespace akg
