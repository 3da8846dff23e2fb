// Tunables of kernel plans: a named parameter space per launch kind, versioned, so designs,
// searches, --resume and --replay carry them as JSON:
//   {"version": 1, "launches": [{"block_r": 2048, "tile": 4096, "single_max": 16384},
//                               {"bm": 128, "bn": 128, "bk": 32, "num_warps": 8, "num_stages": 3}]}
// Row and pointwise launches: block_r (a looped pass's tile along the row), tile (elements per
// program: rows per program = tile / block_r), single_max (the longest row kept in registers).
// Matmul and conv launches: bm, bn, bk, num_warps, num_stages and dot (the precision of
// float32 products: "ieee" or "tf32x3", three TF32 tensor-core passes; Triton); the
// cpp emitter reads none.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "builtin/plan.h"
#include "core/json.h"
#include "core/status.h"

namespace akg {

inline constexpr int kPlanTunablesVersion = 1;

// The dot precisions the defaults use for float32 operands (see plan_tunables.cc). Measured on
// an H200 (Triton 3.6, bench/results/2026-12-02-h200-dot-precision): ieee is 1.2-1.3x faster
// than tf32x3 for both, so tf32x3 stays a tunable a search may try.
inline constexpr const char* kDefaultMatmulDot = "ieee";
inline constexpr const char* kDefaultConvDot = "ieee";

struct PlanTunables {
  Json value;                   // the object above
  std::vector<PlanKind> kinds;  // per launch: which space its keys come from
};

PlanTunables DefaultPlanTunables(const KernelProgram& program);
// Missing launches or keys keep their defaults; an unknown key, a value outside its range, a
// launch count that does not match or another version are errors (kUsage).
Result<PlanTunables> PlanTunablesFromJson(const KernelProgram& program, const Json& j);
inline Json ToJson(const PlanTunables& t) { return t.value; }

// One or two parameters of one launch, one step along their allowed values.
PlanTunables MutateTunables(const PlanTunables& t, uint64_t seed, std::string* what);
// One launch's parameters taken from `donor`.
PlanTunables CrossTunables(const PlanTunables& t, const PlanTunables& donor, uint64_t seed,
                           std::string* what);

}  // namespace akg
