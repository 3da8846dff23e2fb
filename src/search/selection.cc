#include "search/selection.h"

#include <algorithm>

namespace akg {

bool RanksBefore(const Member& a, const Member& b) {
  if (a.passed != b.passed) return a.passed;
  if (a.fitness != b.fitness) return a.fitness > b.fitness;
  return a.id < b.id;
}

void SortByRank(std::vector<Member>* members) {
  std::sort(members->begin(), members->end(), RanksBefore);
}

int SelectParent(const std::vector<Member>& members, int size, Rng* rng) {
  std::vector<int> passed;
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i].passed) passed.push_back(static_cast<int>(i));
  }
  if (passed.empty()) return -1;
  int best = -1;
  for (int draw = 0; draw < std::max(1, size); ++draw) {
    int pick = passed[rng->Below(passed.size())];
    if (best < 0 || RanksBefore(members[pick], members[best])) best = pick;
  }
  return best;
}

std::vector<std::string> SampleTiered(const std::vector<Member>& members, int count,
                                      const std::string& exclude, Rng* rng) {
  std::vector<Member> ranked;
  for (const Member& m : members) {
    if (m.id != exclude) ranked.push_back(m);
  }
  SortByRank(&ranked);
  size_t n = ranked.size();
  size_t good_end = (n + 2) / 3, mid_end = good_end + (n - good_end + 1) / 2;
  std::vector<std::vector<std::string>> tiers(3);
  for (size_t i = 0; i < n; ++i) tiers[i < good_end ? 0 : i < mid_end ? 1 : 2].push_back(ranked[i].id);
  std::vector<std::string> out;
  for (size_t t = 0; static_cast<int>(out.size()) < count && out.size() < n; t = (t + 1) % 3) {
    auto& tier = tiers[t];
    if (tier.empty()) continue;
    size_t k = rng->Below(tier.size());
    out.push_back(tier[k]);
    tier.erase(tier.begin() + static_cast<long>(k));
  }
  return out;
}

std::vector<Member> Survivors(std::vector<Member> members, int population) {
  std::erase_if(members, [](const Member& m) { return !m.passed; });
  SortByRank(&members);
  if (static_cast<int>(members.size()) > population) members.resize(population);
  return members;
}

std::vector<std::string> MigrateRing(std::vector<std::vector<Member>>* islands, int elite,
                                     int population) {
  size_t n = islands->size();
  std::vector<std::string> moved;
  if (n < 2 || elite <= 0) return moved;
  // Take every island's elites first, so an elite that arrives is not sent on in the same step.
  std::vector<std::vector<Member>> outgoing(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<Member> best = Survivors((*islands)[i], elite);
    outgoing[i] = best;
  }
  for (size_t i = 0; i < n; ++i) {
    size_t to = (i + 1) % n;
    auto& dest = (*islands)[to];
    for (const Member& m : outgoing[i]) {
      bool present = std::any_of(dest.begin(), dest.end(),
                                 [&](const Member& d) { return d.id == m.id; });
      if (present) continue;
      dest.push_back(m);
      moved.push_back(m.id + ":" + std::to_string(i) + "->" + std::to_string(to));
    }
    dest = Survivors(dest, population);
  }
  return moved;
}

}  // namespace akg
