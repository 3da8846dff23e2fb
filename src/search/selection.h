// Selection pieces shared by the searches. Members are ranked passed-first, then by fitness
// (descending), then by id, so every ordering is total and a seed replays exactly.
#pragma once

#include <string>
#include <vector>

#include "search/rng.h"

namespace akg {

struct Member {
  std::string id;
  bool passed = false;
  double fitness = 0;  // speedup vs eager; 0 for a failure
  int home_island = 0; // the island it was built on (differs for a migrant)
};

// True when a ranks before b.
bool RanksBefore(const Member& a, const Member& b);
void SortByRank(std::vector<Member>* members);

// Tournament selection among passed members: `size` draws with replacement, the best ranked
// wins. Returns an index into `members`, or -1 when none passed.
int SelectParent(const std::vector<Member>& members, int size, Rng* rng);

// Up to `count` distinct ids drawn from `members` minus `exclude`, split by rank into thirds
// (good, middling, poor: the poor third holds failures first) and drawn from the tiers in
// turn, good first, so a prompt sees what works, what is average and what to avoid.
std::vector<std::string> SampleTiered(const std::vector<Member>& members, int count,
                                      const std::string& exclude, Rng* rng);

// The best `population` passed members (failures are not kept in a population).
std::vector<Member> Survivors(std::vector<Member> members, int population);

// Ring migration: a copy of each island's best `elite` members goes to the next island
// (island i -> i+1, the last -> 0) unless that island already holds the id; the receiving
// island keeps its best `population`. Returns the moved ids as "id:from->to".
std::vector<std::string> MigrateRing(std::vector<std::vector<Member>>* islands, int elite,
                                     int population);

}  // namespace akg
