// Peak rates for the speed-of-light figures of a run: from configs/arch_peaks.yaml, or, for
// an arch marked `measure: true` (CPUs), measured once on this machine by the harness and
// cached in <cache_dir>/<arch>-<hostname>.json.
#pragma once

#include <filesystem>
#include <string>

#include "core/json.h"
#include "verify/harness_client.h"

namespace akg {

struct PeaksLookup {
  Json peaks;        // ArchPeaks::ToJson(), or null when unknown
  std::string note;  // one line for the user when something was measured or is missing
};

PeaksLookup ResolvePeaks(const std::filesystem::path& table, const std::string& arch,
                         const std::filesystem::path& cache_dir, HarnessClient* harness,
                         const CancelToken* cancel = nullptr);

// ${XDG_CACHE_HOME:-$HOME/.cache}/akg/peaks
std::filesystem::path DefaultPeaksCacheDir();
// The agent's per-user cache folder: $XDG_CACHE_HOME/akg, else ~/.cache/akg.
std::filesystem::path DefaultCacheDir();

}  // namespace akg
