// The parent-choosing half of the `adaptive_search` workflow, as asynchronous ask/tell: the
// workflow calls Propose() whenever a slot is free and Observe() as each candidate completes.
//
// Until a candidate has passed, proposals write from scratch (the first with seed 0: the plain
// designed kernel), with recent failures listed for feedback. After that a UCB bandit (ucb.h)
// over the passed candidates picks each parent; inspirations are drawn by tier from every
// candidate observed so far (failures included); the parent's recent failed children are
// listed for feedback.
//
// Determinism: every decision depends only on the seed and the sequence of Propose/Observe
// calls. With one candidate in flight (concurrency 1) that sequence is fixed, so a seed
// replays the same search. With more in flight, which observations precede a proposal
// depends on completion timing; the workflow logs the call sequence so a resumed run replays
// it exactly.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "search/rng.h"
#include "search/search.h"
#include "search/selection.h"
#include "search/ucb.h"

namespace akg {

struct AdaptiveSettings {
  double ucb_c = 1.0;         // exploration weight of the bandit
  int inspirations = 2;
  int failures_fed_back = 2;
  uint64_t seed = 0;
};

class AdaptiveSearch {
 public:
  explicit AdaptiveSearch(AdaptiveSettings s) : s_(s), rng_(s.seed), bandit_(s.ucb_c) {}

  Proposal Propose();
  // False for an id that is not in flight.
  bool Observe(const Observation& o);

  int proposed() const { return next_index_ - 1; }
  int in_flight() const { return static_cast<int>(open_.size()); }
  const UcbBandit& bandit() const { return bandit_; }
  const std::vector<Member>& observed() const { return observed_; }

 private:
  AdaptiveSettings s_;
  Rng rng_;
  UcbBandit bandit_;
  int next_index_ = 1;
  std::map<std::string, Proposal> open_;
  std::vector<Member> observed_;
  std::map<std::string, double> fitness_;  // passed candidates
  struct Failure {
    std::string id, parent;
  };
  std::deque<Failure> failures_;
};

}  // namespace akg
