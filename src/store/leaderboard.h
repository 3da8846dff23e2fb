// The leaderboard of a search: its best kernels by their own time (speedup over the device's
// eager baseline across device models), each with its
// verdict, time, speedups over eager and torch.compile, fraction of the speed of light and
// lineage; plus the device utilisation table. Used by report.json, report.md and the final
// table on the terminal.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "workflow/workflow.h"

namespace akg {

// Passed, profiled candidates, fastest first (ties: the earlier id); at most `limit`. On one
// device model "fastest" is the kernel's own median time; across device models it is the
// speedup over that device's eager baseline.
std::vector<const CandidateRecord*> Leaderboard(const WorkflowOutcome& o, size_t limit);

Json LeaderboardJson(const WorkflowOutcome& o, size_t limit);
// Every candidate with its lineage, verdict and timings (report.json's "candidates").
Json CandidatesJson(const WorkflowOutcome& o);
std::string FormatLeaderboard(const WorkflowOutcome& o, size_t limit);
// "cuda:0 87% (12 leases), cuda:1 91% (11 leases)", or "" when there is no pool.
std::string FormatUtilisation(const Json& utilisation);

}  // namespace akg
