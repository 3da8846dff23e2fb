// The searches' random generator: SplitMix64, chosen because its output is specified bit for
// bit (std::uniform_int_distribution is not), so a seed replays the same search on every
// platform and standard library. Not thread-safe; each search owns one.
#pragma once

#include <cstddef>
#include <cstdint>

namespace akg {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n); n must be > 0. (Modulo bias is below 2^-40 for the sizes used here.)
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // A seed for a candidate: never 0, since 0 means "no variation" to KernelGen.
  uint64_t NonZeroSeed();

 private:
  uint64_t state_;
};

// One SplitMix64 step of `x` (a pure function; also used to derive sub-seeds).
uint64_t MixSeed(uint64_t x);

}  // namespace akg
