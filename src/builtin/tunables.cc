#include "builtin/tunables.h"

#include <algorithm>
#include <set>
#include <vector>

#include "search/rng.h"

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

// One step along an ordered list of allowed values, never off either end.
template <typename T>
T StepIn(const std::vector<T>& values, const T& current, Rng* rng) {
  auto it = std::find(values.begin(), values.end(), current);
  if (it == values.end()) return values[rng->Below(values.size())];
  size_t i = static_cast<size_t>(it - values.begin());
  bool up = rng->Below(2) == 1;
  if (i == 0) up = true;
  if (i + 1 == values.size()) up = false;
  return up ? values[i + 1] : values[i - 1];
}

std::vector<int> Powers(int lo, int hi) {
  std::vector<int> v;
  for (int x = lo; x <= hi; x *= 2) v.push_back(x);
  return v;
}

void Note(std::string* what, const std::string& name, const std::string& from,
          const std::string& to) {
  if (what == nullptr) return;
  *what += (what->empty() ? "" : ", ") + name + " " + from + "->" + to;
}

// 1 parameter changes, or 2 (one seed in three).
int ChangeCount(Rng* rng) { return rng->Below(3) == 0 ? 2 : 1; }

const std::vector<std::string> kSchedules = {"static", "dynamic", "guided"};
const std::vector<int> kThreads = {0, 1, 2, 4, 8, 16, 32, 64};  // 0 = the runtime's default

}  // namespace

CppTunables MutateTunables(const CppTunables& t, uint64_t seed, std::string* what) {
  Rng rng(MixSeed(seed));
  CppTunables out = t;
  std::vector<int> params = {0, 1, 2};
  for (int n = ChangeCount(&rng); n > 0; --n) {
    size_t k = rng.Below(params.size());
    int param = params[k];
    params.erase(params.begin() + static_cast<long>(k));
    if (param == 0) {
      out.tile = StepIn(Powers(16, 4096), t.tile, &rng);
      Note(what, "tile", std::to_string(t.tile), std::to_string(out.tile));
    } else if (param == 1) {
      std::vector<std::string> others;
      for (const auto& s : kSchedules) if (s != t.schedule) others.push_back(s);
      out.schedule = others[rng.Below(others.size())];
      Note(what, "schedule", t.schedule, out.schedule);
    } else {
      out.num_threads = StepIn(kThreads, t.num_threads, &rng);
      auto name = [](int v) { return v == 0 ? std::string("all") : std::to_string(v); };
      Note(what, "threads", name(t.num_threads), name(out.num_threads));
    }
  }
  return out;
}

TritonTunables MutateTunables(const TritonTunables& t, uint64_t seed, std::string* what) {
  Rng rng(MixSeed(seed));
  TritonTunables out = t;
  int n = ChangeCount(&rng);
  size_t first = rng.Below(2);
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    if ((first + i) % 2 == 0) {
      out.block = StepIn(Powers(64, 8192), t.block, &rng);
      Note(what, "BLOCK", std::to_string(t.block), std::to_string(out.block));
    } else {
      out.num_warps = StepIn(Powers(1, 16), t.num_warps, &rng);
      Note(what, "num_warps", std::to_string(t.num_warps), std::to_string(out.num_warps));
    }
  }
  return out;
}

CppTunables CrossTunables(const CppTunables& t, const CppTunables& donor, uint64_t seed,
                          std::string* what) {
  Rng rng(MixSeed(seed ^ 0x5bd1e995ULL));
  CppTunables out = t;
  switch (rng.Below(3)) {
    case 0: out.tile = donor.tile; Note(what, "tile", std::to_string(t.tile), std::to_string(out.tile)); break;
    case 1: out.schedule = donor.schedule; Note(what, "schedule", t.schedule, out.schedule); break;
    default:
      out.num_threads = donor.num_threads;
      Note(what, "threads", std::to_string(t.num_threads), std::to_string(out.num_threads));
  }
  return out;
}

TritonTunables CrossTunables(const TritonTunables& t, const TritonTunables& donor,
                             uint64_t seed, std::string* what) {
  Rng rng(MixSeed(seed ^ 0x5bd1e995ULL));
  TritonTunables out = t;
  if (rng.Below(2) == 0) {
    out.block = donor.block;
    Note(what, "BLOCK", std::to_string(t.block), std::to_string(out.block));
  } else {
    out.num_warps = donor.num_warps;
    Note(what, "num_warps", std::to_string(t.num_warps), std::to_string(out.num_warps));
  }
  return out;
}

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
