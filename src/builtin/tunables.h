// Tunables of the builtin kernels, one plain struct per DSL. The designer picks them and
// records them in Design::hints; KernelGen reads them back, so a later search can mutate the
// JSON and regenerate. See kernel_gen.h for the map of the area.
#pragma once

#include <cstdint>
#include <string>

#include "core/json.h"
#include "core/status.h"

namespace akg {

struct CppTunables {
  int tile = 1024;                   // elements of the last dim per work item (16..4096, 2^k)
  std::string schedule = "static";   // OpenMP schedule: "static", "dynamic" or "guided"
  int num_threads = 0;               // OpenMP threads; 0 = the runtime's default (all cores)
};

struct TritonTunables {
  int block = 1024;    // elements per program (64..8192, 2^k)
  int num_warps = 4;   // warps per program (1, 2, 4, 8 or 16)
};

// Defaults for an output of `numel` elements (at inspect time).
CppTunables DefaultCppTunables(int64_t numel);
TritonTunables DefaultTritonTunables(int64_t numel);

Json ToJson(const CppTunables& t);
Json ToJson(const TritonTunables& t);
// Missing keys keep their defaults; unknown keys and out-of-range values are errors
// (kUsage), so a search that writes a bad hint hears about it.
Result<CppTunables> CppTunablesFromJson(const Json& j);
Result<TritonTunables> TritonTunablesFromJson(const Json& j);

// Mutation for the search workflows: a variant of `t` that changes one or two parameters by
// one step (tile/block x2 or /2 within range, another OpenMP schedule, a neighbouring thread
// or warp count), drawn deterministically from `seed`. Appends to `what` a description such
// as "tile 1024->2048". The result differs from `t` in at least one parameter.
CppTunables MutateTunables(const CppTunables& t, uint64_t seed, std::string* what);
TritonTunables MutateTunables(const TritonTunables& t, uint64_t seed, std::string* what);
// Crossover: `t` with one parameter (chosen by `seed`) taken from `donor`; `what` says which.
CppTunables CrossTunables(const CppTunables& t, const CppTunables& donor, uint64_t seed,
                          std::string* what);
TritonTunables CrossTunables(const TritonTunables& t, const TritonTunables& donor,
                             uint64_t seed, std::string* what);

}  // namespace akg
