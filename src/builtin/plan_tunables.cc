#include "builtin/plan_tunables.h"

#include <algorithm>
#include <map>
#include <vector>

#include "search/rng.h"

namespace akg {
namespace {

using Space = std::map<std::string, std::vector<Json>>;

std::vector<Json> Powers(int lo, int hi) {
  std::vector<Json> v;
  for (int x = lo; x <= hi; x *= 2) v.push_back(x);
  return v;
}

const Space& SpaceOf(PlanKind kind) {
  static const Space kRow = {{"block_r", Powers(256, 8192)},
                             {"tile", Powers(1024, 16384)},
                             {"single_max", Powers(1024, 32768)}};
  // "dot": how float32 operands meet in tl.dot (plan_triton.cc, EmitTileDot): exact ieee, or
  // tf32x3, three TF32 tensor-core passes at float32's accuracy. Plain tf32 is not in the
  // space: on an H200 it failed the verifier's float32 tolerance for every conv and matmul.
  static const Space kMatmul = {{"bm", Powers(16, 256)},   {"bn", Powers(16, 256)},
                                {"bk", Powers(16, 128)},   {"num_warps", {2, 4, 8}},
                                {"num_stages", {1, 2, 3, 4, 5}},
                                {"dot", {"ieee", "tf32x3"}}};
  static const Space kPool = {{"block", Powers(128, 2048)}, {"num_warps", {2, 4, 8}}};
  if (kind == PlanKind::kMatmul || kind == PlanKind::kConv) return kMatmul;
  return kind == PlanKind::kPool ? kPool : kRow;
}

Json Defaults(PlanKind kind) {
  if (kind == PlanKind::kConv) {
    return {{"bm", 64}, {"bn", 64}, {"bk", 32}, {"num_warps", 4}, {"num_stages", 3},
            {"dot", kDefaultConvDot}};
  }
  if (kind == PlanKind::kMatmul) {
    return {{"bm", 128}, {"bn", 128}, {"bk", 32}, {"num_warps", 8}, {"num_stages", 3},
            {"dot", kDefaultMatmulDot}};
  }
  if (kind == PlanKind::kPool) return {{"block", 512}, {"num_warps", 4}};
  return {{"block_r", 2048}, {"tile", 4096}, {"single_max", 32768}};
}

// 64 and tf32x3, not "tf32x3"
std::string Plain(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

PlanTunables DefaultPlanTunables(const KernelProgram& program) {
  Json launches = Json::array();
  std::vector<PlanKind> kinds;
  for (const Launch& l : program.launches) {
    launches.push_back(Defaults(l.kind));
    kinds.push_back(l.kind);
  }
  return {{{"version", kPlanTunablesVersion}, {"launches", launches}}, kinds};
}

Result<PlanTunables> PlanTunablesFromJson(const KernelProgram& program, const Json& j) {
  if (!j.is_object()) return UsageError("plan tunables must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "version" && key != "launches") return UsageError("unknown plan tunable '" + key + "'");
  }
  if (j.value("version", 0) != kPlanTunablesVersion) {
    return UsageError("plan tunables of version " + j.value("version", Json()).dump() +
                      "; this build reads version " + std::to_string(kPlanTunablesVersion));
  }
  PlanTunables t = DefaultPlanTunables(program);
  const Json& launches = j.value("launches", Json::array());
  if (!launches.is_array() || launches.size() != program.launches.size()) {
    return UsageError("plan tunables name " + std::to_string(launches.is_array() ? launches.size() : 0) +
                      " launches; the plan has " + std::to_string(program.launches.size()));
  }
  for (size_t k = 0; k < launches.size(); ++k) {
    const Space& space = SpaceOf(program.launches[k].kind);
    if (!launches[k].is_object()) return UsageError("plan tunables: launch entries are objects");
    for (const auto& [key, value] : launches[k].items()) {
      auto it = space.find(key);
      if (it == space.end()) return UsageError("unknown plan tunable '" + key + "'");
      if (std::find(it->second.begin(), it->second.end(), value) == it->second.end()) {
        return UsageError("plan tunable " + key + "=" + value.dump() + " is not an allowed value");
      }
      t.value["launches"][k][key] = value;
    }
  }
  return t;
}

PlanTunables MutateTunables(const PlanTunables& t, uint64_t seed, std::string* what) {
  Rng rng(MixSeed(seed));
  PlanTunables out = t;
  Json& launches = out.value["launches"];
  if (!launches.is_array() || launches.empty()) return out;
  size_t k = rng.Below(launches.size());
  Json& l = launches[k];
  const Space& space = SpaceOf(k < t.kinds.size() ? t.kinds[k] : PlanKind::kRow);
  std::vector<std::string> keys;
  for (const auto& [key, values] : space) keys.push_back(key);
  int changes = rng.Below(3) == 0 ? 2 : 1;
  for (int c = 0; c < changes && !keys.empty(); ++c) {
    size_t pick = rng.Below(keys.size());
    std::string key = keys[pick];
    keys.erase(keys.begin() + static_cast<long>(pick));
    const std::vector<Json>& values = space.at(key);
    Json current = l.value(key, values.front());
    auto it = std::find(values.begin(), values.end(), current);
    size_t i = it == values.end() ? 0 : static_cast<size_t>(it - values.begin());
    bool up = rng.Below(2) == 1;
    if (i == 0) up = true;
    if (i + 1 == values.size()) up = false;
    const Json& next = values[up ? i + 1 : i - 1];
    l[key] = next;
    if (what) {
      *what += (what->empty() ? "" : ", ") + ("launch " + std::to_string(k) + " " + key + " " +
                                               Plain(current) + "->" + Plain(next));
    }
  }
  return out;
}

PlanTunables CrossTunables(const PlanTunables& t, const PlanTunables& donor, uint64_t seed,
                           std::string* what) {
  Rng rng(MixSeed(seed ^ 0x5bd1e995ULL));
  PlanTunables out = t;
  const Json& mine = t.value.value("launches", Json::array());
  const Json& theirs = donor.value.value("launches", Json::array());
  if (mine.empty() || mine.size() != theirs.size()) return out;
  size_t k = rng.Below(mine.size());
  out.value["launches"][k] = theirs[k];
  if (what) *what += (what->empty() ? "" : ", ") + ("launch " + std::to_string(k) + "'s tiles");
  return out;
}

}  // namespace akg
