#include "search/adaptive.h"

#include <fmt/format.h>

namespace akg {

std::string CandidateId(int index) { return fmt::format("c{:04d}", index); }

namespace {
constexpr size_t kRememberedFailures = 16;
}

Proposal AdaptiveSearch::Propose() {
  Proposal p;
  p.id = CandidateId(next_index_);
  p.seed = next_index_ == 1 ? 0 : rng_.NonZeroSeed();
  ++next_index_;
  if (!bandit_.empty()) {
    p.parent = bandit_.Choose();
    bandit_.Pull(p.parent);
  }
  p.inspirations = SampleTiered(observed_, s_.inspirations, p.parent, &rng_);
  for (int pass = 0; pass < 2; ++pass) {
    for (auto it = failures_.rbegin(); it != failures_.rend(); ++it) {
      if (static_cast<int>(p.failures.size()) >= s_.failures_fed_back) break;
      if ((pass == 0) != (it->parent == p.parent)) continue;
      p.failures.push_back(it->id);
    }
  }
  p.round = next_index_ - 2;  // the number of proposals before this one
  open_[p.id] = p;
  return p;
}

bool AdaptiveSearch::Observe(const Observation& o) {
  auto it = open_.find(o.id);
  if (it == open_.end()) return false;
  Proposal p = it->second;
  open_.erase(it);
  observed_.push_back({o.id, o.passed, o.passed ? o.fitness : 0, 0});
  double reward = 0;
  if (!p.parent.empty()) {
    reward = ImprovementReward(fitness_.at(p.parent), o.passed, o.fitness);
    bandit_.Reward(p.parent, reward);
  }
  if (o.passed) {
    fitness_[o.id] = o.fitness;
    bandit_.AddArm(o.id, reward);
  } else {
    failures_.push_back({o.id, p.parent});
    if (failures_.size() > kRememberedFailures) failures_.pop_front();
  }
  return true;
}

}  // namespace akg
