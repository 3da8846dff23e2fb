// Peak rates per architecture (configs/arch_peaks.yaml), for speed-of-light figures. An entry
// may ask to be measured on this machine instead (`measure: true`); the agent then runs the
// harness's `peaks` command once and caches the result.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "core/json.h"
#include "core/status.h"

namespace akg {

struct ArchPeaks {
  double bandwidth_gbs = 0;              // bytes read + written per second, in GB/s
  std::map<std::string, double> tflops;  // dtype ("fp32", "tf32", "bf16", "fp16") -> TFLOP/s
  std::string source;                    // where the numbers come from
  bool measure = false;                  // measure on this machine instead of using numbers

  // {"bandwidth_gbs": ..., "tflops": {...}, "source": ...} as the harness expects.
  Json ToJson() const;
};

Result<std::map<std::string, ArchPeaks>> ParseArchPeaks(const std::string& yaml_text,
                                                        const std::string& file);
Result<std::map<std::string, ArchPeaks>> LoadArchPeaks(const std::filesystem::path& file);
// Reads the harness's `peaks` result (or a cached copy of it).
Result<ArchPeaks> ArchPeaksFromMeasurement(const Json& measured);

}  // namespace akg
