// What a profile tells a model that is asked to make the kernel faster (the default workflow's
// optimise steps, workflow/optimise.h), and the log the same lines:
//
//   ProfileResult ──ProfileReport──▶ time against the run's eager baseline and torch.compile,
//                                    the speed of light (its floor, bound and fractions)
//   CountersResult ──CountersReport──▶ ncu's counters of the longest kernels, or the one line
//                                      saying why there are none
//
// Figures are times, ratios and percentages only: no bandwidth or FLOP-rate figure of its own
// (a prompt carries the target's peak rates, and the prompt consistency test holds it to one
// figure per peak).
#pragma once

#include <string>

#include "verify/harness_client.h"
#include "verify/verdict.h"

namespace akg {

// Markdown bullet lines, one per fact; "" for a profile that failed.
std::string ProfileReport(const ProfileResult& p);

// A bullet line with the counters of up to three kernels (duration and its share of the call,
// DRAM and SM throughput as a share of peak, achieved occupancy, the top three stall reasons),
// or "- hardware counters (ncu): not collected: <why>".
std::string CountersReport(const CountersResult& c);

}  // namespace akg
