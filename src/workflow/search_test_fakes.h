// Fakes for the search workflow tests: a scripted KernelGen over a synthetic landscape and a
// fake harness that reads the verdict and the speed out of the generated code.
//
// A kernel's genome g is its parent's (hints["g"]) plus a step drawn from the seed; the code
// says "SPEED=<x>" with x peaking at g = 12, "FAIL" when g % 7 == 0 (a wrong answer), "CRASH"
// when g % 11 == 0 (the verify child dies by SIGSEGV); KernelGen itself fails for g == -2.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "agents/agents.h"
#include "core/files.h"
#include "env/fake_process_runner.h"
#include "search/rng.h"

namespace akg {

// Counts calls in flight and the most at once (shared by the fakes below).
struct InFlightCounter {
  std::atomic<int> now{0}, most{0};
  void Enter() {
    int n = ++now;
    int seen = most.load();
    while (n > seen && !most.compare_exchange_weak(seen, n)) {}
  }
  void Leave() { --now; }
};

class LandscapeGen : public KernelGen {
 public:
  static double Speed(int g) { return 1.0 + 4.0 / (1.0 + (g - 12) * (g - 12) / 4.0); }

  Result<Candidate> Generate(const GenRequest& r) override {
    ++calls;
    {
      std::lock_guard<std::mutex> lock(explore_mu);
      explores.push_back({r.attempt, r.explore, r.explore_seed, r.parent != nullptr});
    }
    generating.Enter();
    if (sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    generating.Leave();
    int base = r.parent && r.parent->hints.is_object() ? r.parent->hints.value("g", 0) : 0;
    int step = r.seed == 0 ? 0 : static_cast<int>(MixSeed(r.seed) % 7) - 2;  // -2..4
    int g = base + step;
    if (!r.history.empty()) ++calls_with_feedback;
    if (g == -2) return UnsupportedError("the scripted model cannot write g=-2");
    std::string code = fmt::format("# g={}\nSPEED={:.6f}\n", g, Speed(g));
    if (g != 0 && g % 7 == 0) code += "FAIL\n";
    if (g != 0 && g % 11 == 0) code += "CRASH\n";
    return Candidate{code, fmt::format("genome {}", g), Json{{"g", g}}};
  }
  std::atomic<int> calls{0};
  std::atomic<int> calls_with_feedback{0};
  struct Explore {
    int attempt, index;
    uint64_t seed;
    bool has_parent;
  };
  std::mutex explore_mu;
  std::vector<Explore> explores;  // per call: its exploration index and seed
  InFlightCounter generating;  // generations at once
  int sleep_ms = 0;             // a model's latency
};

inline std::string ArgAfter(const ProcessSpec& spec, const std::string& flag) {
  for (size_t i = 0; i + 1 < spec.argv.size(); ++i) {
    if (spec.argv[i] == flag) return spec.argv[i + 1];
  }
  return "";
}

// Plays the harness for LandscapeGen's kernels; counts calls and the most at once.
class LandscapeHarness {
 public:
  explicit LandscapeHarness(int sleep_ms = 0) : sleep_ms_(sleep_ms) {}

  ProcessResult operator()(const ProcessSpec& spec) {
    measuring.Enter();
    if (sleep_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
    ProcessResult r = Answer(spec);
    measuring.Leave();
    return r;
  }

  InFlightCounter measuring;  // harness calls at once
  std::atomic<int> verifies{0}, profiles{0}, statics{0};

  // Cancels `token` once `total` verifies have been answered (a user's Ctrl-C mid-search);
  // null stops doing so.
  void CancelAfterVerifies(int total, CancelToken* token) {
    cancel_at_ = total;
    cancel_token_ = token;
  }

 private:
  ProcessResult Answer(const ProcessSpec& spec) {
    std::string command = spec.argv.at(3);
    Json req = *ParseJson(*ReadFile(ArgAfter(spec, "--request")), "request");
    std::string code = *ReadFile(req["candidate_path"].get<std::string>());
    Json res;
    if (command == "verify") {
      if (++verifies >= cancel_at_ && cancel_token_ != nullptr) cancel_token_.load()->Cancel();
      if (code.find("CRASH") != std::string::npos) return FakeProcessRunner::KilledBySignal(11);
      bool good = code.find("FAIL") == std::string::npos;
      res = {{"verdict", good ? "passed" : "wrong_answer"},
             {"reason", good ? "" : "mismatch"},
             {"message", good ? "" : "output 0: 3 of 64 elements differ"}};
    } else if (command == "profile") {
      ++profiles;
      double speed = std::stod(code.substr(code.find("SPEED=") + 6));
      res = {{"ok", true}, {"timing_method", "cpu_wall"}, {"performance_valid", true},
             {"reference", {{"median_ms", 2.0}, {"runs", 3}}},
             {"candidate", {{"median_ms", 2.0 / speed}, {"runs", 3}}},
             {"baselines", {{"torch_compile", {{"median_ms", 1.0}, {"runs", 3}}}}},
             {"speedup_vs_eager", speed}, {"speedup_vs_torch_compile", speed / 2},
             {"suspect", Json::array()}};
    } else if (command == "static") {
      ++statics;
      bool ok = code.find("SPEED=") != std::string::npos;
      res = {{"verdict", ok ? "passed" : "rejected"}, {"reason", ok ? "" : "no_kernel"},
             {"message", ok ? "" : "no cpp kernel is defined"}, {"violations", Json::array()}};
    }
    (void)WriteFileAtomic(ArgAfter(spec, "--result"), res.dump());
    return FakeProcessRunner::Exited(0);
  }
  int sleep_ms_;
  std::atomic<int> cancel_at_{0};
  std::atomic<CancelToken*> cancel_token_{nullptr};
};

}  // namespace akg
