// The island model behind the `evolve` workflow, as ask/tell by rounds.
//
// Round 0 writes `population` candidates per island from scratch (island 0's first with seed
// 0: the plain designed kernel, so a search never does worse than its starting point). Each
// later round builds `population` children per island: the parent by tournament on measured
// fitness among the island's population (migrants included), inspirations drawn by tier from
// the population and the island's remembered failures, and the island's recent failures of
// that parent listed for feedback. When a round closes (all its observations in, in any
// order: they are applied by id, so completion timing never matters), each island keeps its
// best `population` passed members; after every `migration_interval`-th round the best
// `elite` of each island are copied to the next island in a ring.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "search/rng.h"
#include "search/search.h"
#include "search/selection.h"

namespace akg {

struct EvolveSettings {
  int rounds = 4;              // rounds, the first included
  int islands = 2;
  int population = 4;          // members kept per island, and children per island per round
  int elite = 1;               // best members that migrate
  int migration_interval = 2;  // migrate after every this many rounds (0 = never)
  int inspirations = 2;        // inspirations per child
  int tournament = 2;          // tournament size for parent selection
  int failures_fed_back = 2;   // recent failures listed in a proposal
  uint64_t seed = 0;
};

class EvolveSearch {
 public:
  explicit EvolveSearch(EvolveSettings s);

  // All rounds proposed and observed.
  bool done() const { return round_ >= s_.rounds && open_.empty(); }
  bool round_open() const { return !open_.empty(); }
  int round() const { return round_; }  // the next round to propose
  int proposed() const { return next_index_ - 1; }
  int total_planned() const { return s_.rounds * s_.islands * s_.population; }

  // Opens the next round: its proposals in island order, at most `limit` of them (< 0: all).
  // Empty when done or a round is still open.
  std::vector<Proposal> ProposeRound(int limit = -1);
  // An outcome of the open round; false for an id that is not pending. The round closes when
  // the last one arrives.
  bool Observe(const Observation& o);

  const std::vector<std::vector<Member>>& islands() const { return islands_; }
  const std::vector<std::string>& migrations() const { return migrations_; }

 private:
  struct Failure {
    std::string id, parent;
  };
  Proposal Child(int island);
  void CloseRound();

  EvolveSettings s_;
  Rng rng_;
  int round_ = 0;
  int next_index_ = 1;
  std::map<std::string, Proposal> open_;       // pending proposals of the open round
  std::vector<std::pair<Proposal, Observation>> arrived_;
  std::vector<std::vector<Member>> islands_;
  std::vector<std::deque<Failure>> failures_;  // per island, most recent last
  std::vector<std::string> migrations_;
};

}  // namespace akg
