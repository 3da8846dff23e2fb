// One candidate kernel as the workflows record it: its lineage (parent, inspirations, island,
// round, seed), what KernelGen said, the verdict, the profile and where and how long each
// phase ran. Searches keep each under candidates/<id>/:
//
//   kernel.py     the code            verify.json, verify.log   the verdict
//   profile.json  the profile         meta.json                 everything else, written last
//
// meta.json is the completion mark: a resumed search reuses a candidate that has one and
// builds again one that does not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "store/run_folder.h"
#include "verify/verdict.h"

namespace akg {

struct CandidateRecord {
  std::string id;   // "c0001" (searches), "attempt-01", "kernel"
  std::string dir;  // folder relative to the run folder, e.g. "candidates/c0001"
  int island = 0;
  int round = 0;
  std::string parent;                     // "" = written from scratch
  std::vector<std::string> inspirations;
  std::vector<std::string> failures_fed_back;
  uint64_t seed = 0;

  std::string description;
  Json hints;                             // tunables (builtin), or null
  Status generation;                      // KernelGen's error, if it failed
  Verdict verdict;                        // runtime_error "generation_failed" when it did
  std::optional<ProfileResult> profile;   // passed candidates
  std::optional<Verdict> reverification;  // suspect profiles
  std::string device;                     // the pool slot that verified it
  // The CPU-side build before the device (GPU backends): built, failed, deferred or error, and
  // the harness's one line on it (why a build was left to verify, or could not run); empty
  // when no build ran.
  std::string build_outcome, build_message;
  double generate_s = 0, build_s = 0, wait_device_s = 0, verify_s = 0, profile_s = 0;
  bool interrupted = false;               // stopped by Ctrl-C: not complete
  bool skipped = false;                   // never started (the search had stopped)

  std::string code_path() const { return RunFiles::In(dir, RunFiles::kKernel); }
  // Verified, and re-verified if its profile was suspect.
  bool passed() const;
  // Speedup vs eager of a passed, profiled kernel; 0 otherwise.
  double fitness() const;
  // One line for prompts and logs: the failure, or the profile's numbers.
  std::string Summary() const;
};

// meta.json of a completed candidate, and back. The profile is kept as the numbers the
// leaderboard needs (times, speedups, speed of light, suspect); the verdict as its kind,
// reason, message and time, with its "shape_general" and "tolerance" beside it.
Json CandidateToJson(const CandidateRecord& c);
// {"outcome", "message"} of the CPU-side build, or null when none ran.
Json BuildJson(const CandidateRecord& c);
Result<CandidateRecord> CandidateFromJson(const Json& j);

Json ProfileToJson(const ProfileResult& p);
// What a profile.json holds, in a candidate's folder and at the run's top, for every workflow:
// the harness's own result (every figure it measured), else ProfileToJson; with "error" when
// the profile failed.
Json ProfileFileJson(const ProfileResult& p);
ProfileResult ProfileFromJson(const Json& j);

}  // namespace akg
