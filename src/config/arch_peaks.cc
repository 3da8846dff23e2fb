#include "config/arch_peaks.h"

#include <yaml-cpp/yaml.h>

#include "core/files.h"

namespace akg {
namespace {

Result<double> Positive(const YAML::Node& node, const std::string& where) {
  try {
    double v = node.as<double>();
    if (v > 0) return v;
  } catch (const YAML::Exception&) {
  }
  return ConfigError(where + " must be a positive number");
}

Result<ArchPeaks> ParseEntry(const std::string& arch, const YAML::Node& node,
                             const std::string& file) {
  ArchPeaks p;
  std::string where = "key '" + arch + "' in " + file;
  if (!node.IsMap()) return ConfigError(where + " must be a mapping");
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    std::string at = "key '" + arch + "." + key + "' in " + file;
    if (key == "bandwidth_gbs") {
      AKG_ASSIGN_OR_RETURN(p.bandwidth_gbs, Positive(kv.second, at));
    } else if (key == "source") {
      p.source = kv.second.as<std::string>();
    } else if (key == "measure") {
      p.measure = kv.second.as<bool>();
    } else if (key == "tflops") {
      if (!kv.second.IsMap()) return ConfigError(at + " must be a mapping of dtype to TFLOP/s");
      for (const auto& t : kv.second) {
        std::string dtype = t.first.as<std::string>();
        AKG_ASSIGN_OR_RETURN(p.tflops[dtype], Positive(t.second, at + "." + dtype));
      }
    } else {
      return ConfigError("unknown " + at + "; known keys: bandwidth_gbs, tflops, source, measure");
    }
  }
  if (!p.measure && p.bandwidth_gbs <= 0) {
    return ConfigError(where + " needs bandwidth_gbs (or measure: true)");
  }
  return p;
}

}  // namespace

Json ArchPeaks::ToJson() const {
  return {{"bandwidth_gbs", bandwidth_gbs}, {"tflops", tflops}, {"source", source}};
}

Result<std::map<std::string, ArchPeaks>> ParseArchPeaks(const std::string& yaml_text,
                                                        const std::string& file) {
  std::map<std::string, ArchPeaks> out;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    if (!root.IsMap()) return ConfigError(file + " must map arch names to peak rates");
    for (const auto& kv : root) {
      std::string arch = kv.first.as<std::string>();
      AKG_ASSIGN_OR_RETURN(out[arch], ParseEntry(arch, kv.second, file));
    }
  } catch (const YAML::Exception& e) {
    return ConfigError("bad YAML in " + file + ": " + e.what());
  }
  return out;
}

Result<std::map<std::string, ArchPeaks>> LoadArchPeaks(const std::filesystem::path& file) {
  auto text = ReadFile(file);
  if (!text.ok()) return ConfigError("missing peak table '" + file.string() + "'");
  return ParseArchPeaks(*text, file.string());
}

Result<ArchPeaks> ArchPeaksFromMeasurement(const Json& m) {
  ArchPeaks p;
  if (!m.is_object() || !m.contains("bandwidth_gbs") || !m["bandwidth_gbs"].is_number()) {
    return InternalError("the peaks measurement has no bandwidth_gbs");
  }
  p.bandwidth_gbs = m["bandwidth_gbs"].get<double>();
  if (m.contains("tflops") && m["tflops"].is_object()) {
    for (const auto& [dtype, v] : m["tflops"].items()) {
      if (v.is_number()) p.tflops[dtype] = v.get<double>();
    }
  }
  p.source = m.value("source", std::string("measured on this machine by the harness"));
  // torch's fp16/bf16 matmul on a CPU runs far below fp32 (0.0024 TFLOP/s measured on x86),
  // yet a kernel may compute such data in fp32: that rate is the floor's real peak.
  auto fp32 = p.tflops.find("fp32");
  std::string raised;
  for (auto& [dtype, rate] : p.tflops) {
    if (fp32 != p.tflops.end() && dtype != "fp32" && dtype != "tf32" && rate < fp32->second) {
      rate = fp32->second;
      raised += (raised.empty() ? "" : ", ") + dtype;
    }
  }
  if (!raised.empty()) p.source += "; " + raised + " raised to the fp32 rate (measured lower)";
  return p;
}

}  // namespace akg
