// A synthetic landscape for testing the searches without kernels: a candidate's genome is an
// integer, a child's is its parent's plus a step drawn from its seed (or the best
// inspiration's, now and then), and fitness peaks at kPeak. Genomes divisible by 7 fail.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "search/rng.h"
#include "search/search.h"

namespace akg {

class Landscape {
 public:
  static constexpr int kPeak = 20;
  Observation Build(const Proposal& p) {
    int base = p.parent.empty() ? 0 : genome_.at(p.parent);
    int step = p.seed == 0 ? 0 : static_cast<int>(MixSeed(p.seed) % 7) - 2;  // -2..4
    int g = base + step;
    genome_[p.id] = g;
    Observation o{p.id, g % 7 != 0 || g == 0, 0};
    if (o.passed) o.fitness = Fitness(g);
    return o;
  }
  static double Fitness(int g) {
    double d = (g - kPeak) / 6.0;
    return 1.0 + 5.0 / (1.0 + d * d);
  }
  int genome(const std::string& id) const { return genome_.at(id); }

 private:
  std::map<std::string, int> genome_;
};

}  // namespace akg
