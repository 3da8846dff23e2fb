#include "verify/peaks.h"

#include <unistd.h>

#include <cstdlib>

#include "config/arch_peaks.h"
#include "core/files.h"

namespace akg {
namespace {

constexpr double kMeasureTimeoutS = 300;

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "host";
  return buf;
}

}  // namespace

std::filesystem::path DefaultCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::filesystem::path base = xdg && *xdg ? xdg : (home && *home ? std::filesystem::path(home) / ".cache"
                                                                   : std::filesystem::temp_directory_path());
  return base / "akg";
}

std::filesystem::path DefaultPeaksCacheDir() { return DefaultCacheDir() / "peaks"; }

PeaksLookup ResolvePeaks(const std::filesystem::path& table, const std::string& arch,
                         const std::filesystem::path& cache_dir, HarnessClient* harness,
                         const CancelToken* cancel) {
  PeaksLookup out;
  auto all = LoadArchPeaks(table);
  if (!all.ok()) {
    out.note = all.status().message() + "; speed-of-light figures are left out";
    return out;
  }
  auto it = all->find(arch);
  if (it == all->end()) {
    out.note = "no peak rates for arch '" + arch + "' in " + table.string() +
               "; speed-of-light figures are left out";
    return out;
  }
  if (!it->second.measure) {
    out.peaks = it->second.ToJson();
    return out;
  }
  auto cache = cache_dir / (arch + "-" + HostName() + ".json");
  if (auto text = ReadFile(cache); text.ok()) {
    if (auto j = ParseJson(*text, cache.string()); j.ok()) {
      if (auto p = ArchPeaksFromMeasurement(*j); p.ok()) {
        out.peaks = p->ToJson();
        return out;
      }
    }
  }
  auto measured = harness->MeasurePeaks(kMeasureTimeoutS, cancel);
  if (!measured.ok()) {
    out.note = measured.status().message() + "; speed-of-light figures are left out";
    return out;
  }
  auto p = ArchPeaksFromMeasurement(*measured);
  if (!p.ok()) {
    out.note = p.status().message() + "; speed-of-light figures are left out";
    return out;
  }
  out.peaks = p->ToJson();
  (void)WriteFileAtomic(cache, measured->dump(2));  // a lost cache only costs a re-measure
  out.note = "measured this machine's peak rates once (cached in " + cache.string() + ")";
  return out;
}

}  // namespace akg
