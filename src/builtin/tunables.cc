#include "builtin/tunables.h"

#include <set>

namespace akg {
namespace {

bool IsPowerOfTwo(int v) { return v > 0 && (v & (v - 1)) == 0; }

Status CheckKeys(const Json& j, const std::set<std::string>& known, const char* what) {
  if (!j.is_object()) return UsageError(std::string(what) + " tunables must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (!known.contains(key)) {
      return UsageError("unknown " + std::string(what) + " tunable '" + key + "'");
    }
  }
  return Status::Ok();
}

Result<int> IntIn(const Json& j, const char* key, int fallback, int lo, int hi, bool pow2) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_number_integer()) return UsageError(std::string("tunable ") + key + " must be an integer");
  int v = j[key].get<int>();
  if (v < lo || v > hi || (pow2 && !IsPowerOfTwo(v))) {
    return UsageError("tunable " + std::string(key) + "=" + std::to_string(v) + " is outside " +
                      std::to_string(lo) + ".." + std::to_string(hi) +
                      (pow2 ? " (a power of two)" : ""));
  }
  return v;
}

}  // namespace

CppTunables DefaultCppTunables(int64_t numel) {
  CppTunables t;
  // 1024 floats are 4 KiB per operand: a few operands' staging buffers stay in L1, and a work
  // item is long enough to hide the per-item index arithmetic.
  t.tile = numel < 4096 ? 256 : 1024;
  return t;
}

TritonTunables DefaultTritonTunables(int64_t numel) {
  TritonTunables t;
  // Small outputs need more programs to occupy the SMs; large ones amortise per-program cost.
  if (numel < (1 << 16)) {
    t.block = 256;
    t.num_warps = 2;
  }
  return t;
}

Json ToJson(const CppTunables& t) {
  return {{"tile", t.tile}, {"schedule", t.schedule}, {"num_threads", t.num_threads}};
}

Json ToJson(const TritonTunables& t) {
  return {{"block", t.block}, {"num_warps", t.num_warps}};
}

Result<CppTunables> CppTunablesFromJson(const Json& j) {
  AKG_RETURN_IF_ERROR(CheckKeys(j, {"tile", "schedule", "num_threads"}, "cpp"));
  CppTunables t;
  AKG_ASSIGN_OR_RETURN(t.tile, IntIn(j, "tile", t.tile, 16, 4096, true));
  AKG_ASSIGN_OR_RETURN(t.num_threads, IntIn(j, "num_threads", t.num_threads, 0, 1024, false));
  if (j.contains("schedule")) {
    if (!j["schedule"].is_string()) return UsageError("tunable schedule must be a string");
    t.schedule = j["schedule"].get<std::string>();
    if (t.schedule != "static" && t.schedule != "dynamic" && t.schedule != "guided") {
      return UsageError("tunable schedule='" + t.schedule +
                        "' is not one of static, dynamic, guided");
    }
  }
  return t;
}

Result<TritonTunables> TritonTunablesFromJson(const Json& j) {
  AKG_RETURN_IF_ERROR(CheckKeys(j, {"block", "num_warps"}, "triton"));
  TritonTunables t;
  AKG_ASSIGN_OR_RETURN(t.block, IntIn(j, "block", t.block, 64, 8192, true));
  AKG_ASSIGN_OR_RETURN(t.num_warps, IntIn(j, "num_warps", t.num_warps, 1, 16, true));
  return t;
}

}  // namespace akg
