#include "search/ucb.h"

#include <algorithm>
#include <cmath>

namespace akg {

double ImprovementReward(double parent_fitness, bool child_passed, double child_fitness) {
  if (!child_passed || parent_fitness <= 0) return 0;
  return std::clamp((child_fitness - parent_fitness) / parent_fitness, 0.0, 1.0);
}

void UcbBandit::AddArm(const std::string& id, double prior_reward) {
  Arm& arm = arms_[id];
  arm.pulls = 1;
  arm.reward_sum = prior_reward;
  ++total_pulls_;
}

double UcbBandit::Mean(const std::string& id) const {
  const Arm& a = arms_.at(id);
  return a.pulls > 0 ? a.reward_sum / a.pulls : 0;
}

int UcbBandit::Pulls(const std::string& id) const { return arms_.at(id).pulls; }

double UcbBandit::Score(const std::string& id) const {
  const Arm& a = arms_.at(id);
  return Mean(id) + c_ * std::sqrt(std::log(total_pulls_ + 1.0) / a.pulls);
}

std::string UcbBandit::Choose() const {
  std::string best;
  double best_score = 0;
  for (const auto& [id, arm] : arms_) {  // std::map: ids in order, so ties go to the earlier
    double s = Score(id);
    if (best.empty() || s > best_score) {
      best = id;
      best_score = s;
    }
  }
  return best;
}

void UcbBandit::Pull(const std::string& id) {
  ++arms_.at(id).pulls;
  ++total_pulls_;
}

void UcbBandit::Reward(const std::string& id, double reward) { arms_.at(id).reward_sum += reward; }

}  // namespace akg
