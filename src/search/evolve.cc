#include "search/evolve.h"

#include <algorithm>

namespace akg {

EvolveSearch::EvolveSearch(EvolveSettings s)
    : s_(s), rng_(s.seed), islands_(std::max(1, s.islands)), failures_(std::max(1, s.islands)) {
  s_.islands = std::max(1, s_.islands);
  s_.population = std::max(1, s_.population);
}

Proposal EvolveSearch::Child(int island) {
  Proposal p;
  p.island = island;
  p.round = round_;
  p.seed = rng_.NonZeroSeed();
  const auto& members = islands_[island];
  int pick = round_ == 0 ? -1 : SelectParent(members, s_.tournament, &rng_);
  if (pick >= 0) p.parent = members[pick].id;
  // The inspiration pool: the population and the failures this island remembers.
  std::vector<Member> pool = members;
  for (const Failure& f : failures_[island]) pool.push_back({f.id, false, 0, island});
  if (round_ > 0) p.inspirations = SampleTiered(pool, s_.inspirations, p.parent, &rng_);
  // Failures of this parent first (most recent first), then other recent ones of the island.
  const auto& fails = failures_[island];
  for (int pass = 0; pass < 2; ++pass) {
    for (auto it = fails.rbegin(); it != fails.rend(); ++it) {
      if (static_cast<int>(p.failures.size()) >= s_.failures_fed_back) break;
      bool same_parent = it->parent == p.parent;
      if ((pass == 0) != same_parent) continue;
      p.failures.push_back(it->id);
    }
  }
  return p;
}

std::vector<Proposal> EvolveSearch::ProposeRound(int limit) {
  std::vector<Proposal> out;
  if (round_ >= s_.rounds || !open_.empty()) return out;
  for (int island = 0; island < s_.islands; ++island) {
    for (int k = 0; k < s_.population; ++k) {
      if (limit >= 0 && static_cast<int>(out.size()) >= limit) break;
      Proposal p = Child(island);
      if (round_ == 0 && island == 0 && k == 0) p.seed = 0;  // the plain designed kernel
      p.id = CandidateId(next_index_++);
      out.push_back(p);
    }
  }
  for (const Proposal& p : out) open_[p.id] = p;
  arrived_.clear();
  ++round_;
  if (out.empty()) round_ = s_.rounds;  // a zero budget ends the search
  return out;
}

bool EvolveSearch::Observe(const Observation& o) {
  auto it = open_.find(o.id);
  if (it == open_.end()) return false;
  arrived_.emplace_back(it->second, o);
  open_.erase(it);
  if (open_.empty()) CloseRound();
  return true;
}

void EvolveSearch::CloseRound() {
  std::sort(arrived_.begin(), arrived_.end(),
            [](const auto& a, const auto& b) { return a.first.id < b.first.id; });
  for (const auto& [p, o] : arrived_) {
    if (o.passed) {
      islands_[p.island].push_back({p.id, true, o.fitness, p.island});
    } else {
      auto& fails = failures_[p.island];
      fails.push_back({p.id, p.parent});
      while (static_cast<int>(fails.size()) > s_.population) fails.pop_front();
    }
  }
  for (auto& island : islands_) island = Survivors(island, s_.population);
  int closed = round_;  // rounds closed so far
  if (s_.migration_interval > 0 && closed % s_.migration_interval == 0 && closed < s_.rounds) {
    for (const std::string& m : MigrateRing(&islands_, s_.elite, s_.population)) {
      migrations_.push_back("after round " + std::to_string(closed - 1) + ": " + m);
    }
  }
  arrived_.clear();
}

}  // namespace akg
