// Distinct directions for the from-scratch candidates of a search (evolve's round 0): without
// them every such prompt is byte-identical, and a deterministic or cached model returns the
// same kernel N times.
//
//   optimise-stage skills of the target ──OptimisationIdeas──▶ ["Vectorise the inner loop: ...", ...]
//   ideas + the search's seed + the candidate's index ──ExplorationDirection──▶ one idea
//
// Pure: the order is a SplitMix64 shuffle of the ideas seeded from the search's seed, so
// candidate k of a run gets idea k of that order (every idea once before any repeats) and a
// seed replays the same directions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "skills/skills.h"

namespace akg {

// The top-level list items of a skill's body ("1. **Title**: text" or "- text"), each as its
// first line with the Markdown emphasis removed.
std::vector<std::string> OptimisationIdeas(const std::string& body);

// The ideas of every skill in `skills`, in order, without duplicates.
std::vector<std::string> OptimisationIdeas(const std::vector<const Skill*>& skills);

// Idea `index` of the seeded order; "" when there are none.
std::string ExplorationDirection(const std::vector<std::string>& ideas, uint64_t seed, int index);

}  // namespace akg
