#include "config/target.h"

#include <algorithm>
#include <map>

namespace akg {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

bool Contains(const std::vector<std::string>& items, const std::string& value) {
  return std::find(items.begin(), items.end(), value) != items.end();
}

}  // namespace

const std::vector<TargetRow>& SupportedTargets() {
  static const std::vector<std::string> kCudaArchs = {"h100", "h200", "a100", "l40s", "rtx4090"};
  static const std::vector<TargetRow> kRows = {
      {"torch", "cpu", {"x86_64", "aarch64"}, "cpp", "cpu"},
      {"torch", "cuda", kCudaArchs, "triton_cuda", "cuda"},
      {"torch", "cuda", kCudaArchs, "cuda", "cuda"},
      {"torch", "cuda", kCudaArchs, "tilelang_cuda", "cuda"},
      {"torch", "ascend", {"ascend910b1", "ascend910b2", "ascend910b3", "ascend910b4"},
       "triton_ascend", "npu"},
  };
  return kRows;
}

std::vector<std::string> KnownDsls() {
  std::vector<std::string> dsls;
  for (const auto& row : SupportedTargets()) dsls.push_back(row.dsl);
  return dsls;
}

Result<TargetRow> ValidateTarget(const Target& target) {
  const auto& rows = SupportedTargets();
  if (!Contains(KnownDsls(), target.dsl)) {
    return UsageError("unknown DSL '" + target.dsl + "'; use --dsl with one of: " +
                      Join(KnownDsls()));
  }
  if (target.framework != "torch") {
    return UsageError("unsupported framework '" + target.framework +
                      "'; use --framework torch");
  }
  for (const auto& row : rows) {
    if (row.dsl != target.dsl) continue;
    if (row.backend != target.backend) {
      return UsageError("DSL '" + target.dsl + "' does not run on backend '" + target.backend +
                        "'; use --backend " + row.backend + " with --dsl " + target.dsl);
    }
    if (!Contains(row.archs, target.arch)) {
      return UsageError("arch '" + target.arch + "' is not supported for backend " +
                        row.backend + "; use --arch with one of: " + Join(row.archs));
    }
    return row;
  }
  return UsageError("unsupported combination");  // unreachable: the DSL is known
}

std::string CudaSmOf(const std::string& arch) {
  static const std::map<std::string, std::string> kSm = {
      {"h100", "sm_90"}, {"h200", "sm_90"}, {"a100", "sm_80"}, {"l40s", "sm_89"},
      {"rtx4090", "sm_89"}};
  auto it = kSm.find(arch);
  return it == kSm.end() ? "" : it->second;
}

}  // namespace akg
