// Pure search logic for the evolve and adaptive_search workflows: no files, threads, processes
// or clocks, so every decision is unit-tested and replays exactly from a seed.
//
//   Rng (rng.h)            SplitMix64, seeded from search.seed; the only source of randomness
//   selection.h            ranking, tournament selection of parents, tiered sampling of
//                          inspirations (good / middling / poor), survivors, ring migration
//   EvolveSearch           island model, ask/tell by rounds: ProposeRound() -> Observe() x n
//   AdaptiveSearch + Ucb   asynchronous ask/tell: Propose() whenever a slot is free, Observe()
//                          on each completion; a UCB bandit over parents (ucb.h)
//   StopRules              candidates, wall time and patience budgets (stop_rules.h)
//
// The workflows (src/workflow/search_workflows.cc) turn a Proposal into a KernelGen request,
// run generate -> verify -> profile, and hand back an Observation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace akg {

// One candidate to build: improve `parent` ("" = write one from scratch) with `inspirations`
// in view, varying with `seed`; `failures` are earlier failed candidates whose feedback the
// generator should see.
struct Proposal {
  std::string id;  // "c0001", ... in proposal order
  int island = 0;
  int round = 0;
  std::string parent;
  std::vector<std::string> inspirations;
  std::vector<std::string> failures;
  uint64_t seed = 0;
};

// The measured outcome of a proposal.
struct Observation {
  std::string id;
  bool passed = false;  // verified (and, if suspect, re-verified)
  double fitness = 0;   // speedup vs eager of a passed, profiled kernel; 0 otherwise
};

// Candidate ids: "c0001" for index 1.
std::string CandidateId(int index);

}  // namespace akg
