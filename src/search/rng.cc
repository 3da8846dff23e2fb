#include "search/rng.h"

namespace akg {

uint64_t MixSeed(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Rng::Next() {
  uint64_t out = MixSeed(state_);
  state_ += 0x9e3779b97f4a7c15ULL;
  return out;
}

uint64_t Rng::NonZeroSeed() {
  uint64_t s = 0;
  while (s == 0) s = Next();
  return s;
}

}  // namespace akg
