// The agent's own cost of a search: an evolve run of 200 candidates with the scripted
// KernelGen and a fake harness (src/workflow/search_test_fakes.h), so that nothing but the
// agent runs. Prints the peak RSS of the process and the agent's overhead per candidate:
// wall time minus the time spent inside the fake harness (the child's work in a real run) and
// inside KernelGen (the model's), divided by the candidates. Build and run with
// bench/search_overhead.sh.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "env/fake_process_runner.h"
#include "workflow/device_pool.h"
#include "workflow/search_test_fakes.h"
#include "workflow/workflow.h"

namespace {

using Seconds = std::chrono::duration<double>;
double Now() { return Seconds(std::chrono::steady_clock::now().time_since_epoch()).count(); }

struct Timed {
  std::atomic<int64_t> ns{0};
  void Add(double t0) { ns += static_cast<int64_t>((Now() - t0) * 1e9); }
  double seconds() const { return ns.load() / 1e9; }
};

class TimedGen : public akg::KernelGen {
 public:
  akg::Result<akg::Candidate> Generate(const akg::GenRequest& r) override {
    double t0 = Now();
    auto c = inner.Generate(r);
    time.Add(t0);
    return c;
  }
  akg::LandscapeGen inner;
  Timed time;
};

struct RunResult {
  double wall_s, harness_s, gen_s;
  size_t candidates;
  double best;
};

RunResult RunOnce(const std::filesystem::path& root, int concurrency, int slots) {
  namespace fs = std::filesystem;
  fs::remove_all(root);
  akg::FakeProcessRunner runner;
  akg::LandscapeHarness harness;
  Timed harness_time;
  runner.SetHandler([&](const akg::ProcessSpec& s) {
    double t0 = Now();
    auto r = harness(s);
    harness_time.Add(t0);
    return r;
  });
  auto run = *akg::RunFolder::Create(root / "run");
  (void)run.WriteText("task.py", "class Model: pass\n");
  akg::SystemClock clock;
  akg::HarnessOptions ho;
  ho.work_root = root / "work";
  akg::HarnessClient client(&runner, ho);
  akg::OwnedDevicePool pool = akg::MakeDevicePool(&runner, ho, {0}, slots, &clock);
  akg::DslConfig config;
  config.search.rounds = 25;
  config.search.islands = 4;
  config.search.population = 2;
  config.search.max_candidates = 200;
  config.search.concurrency = concurrency;
  config.search.seed = 1;
  akg::TaskInfo task;
  TimedGen gen;
  akg::WorkflowContext ctx;
  ctx.task = &task;
  ctx.target = {"torch", "cpu", "x86_64", "cpp"};
  ctx.config = &config;
  ctx.kernel_gen = &gen;
  ctx.harness = &client;
  ctx.pool = pool.pool.get();
  ctx.run = &run;
  ctx.clock = &clock;
  double t0 = Now();
  auto out = akg::RunEvolve(ctx);
  double wall = Now() - t0;
  if (!out.ok()) {
    std::fprintf(stderr, "evolve failed: %s\n", out.status().message().c_str());
    std::exit(1);
  }
  double best = out->passing() ? out->candidates[out->passing_attempt - 1].fitness() : 0;
  fs::remove_all(root);
  return {wall, harness_time.seconds(), gen.time.seconds(), out->candidates.size(), best};
}

}  // namespace

int main() {
  auto root = std::filesystem::temp_directory_path() / "akg_search_overhead";
  std::printf("{\"runs\": [\n");
  struct Shape { int concurrency, slots; };
  const Shape shapes[] = {{1, 1}, {4, 2}};
  for (size_t i = 0; i < 2; ++i) {
    RunResult r = RunOnce(root, shapes[i].concurrency, shapes[i].slots);
    double overhead = (r.wall_s - r.harness_s - r.gen_s) / r.candidates;
    std::printf("  {\"concurrency\": %d, \"slots\": %d, \"candidates\": %zu, \"wall_s\": %.3f, "
                "\"fake_harness_s\": %.3f, \"kernelgen_s\": %.3f, \"wall_per_candidate_ms\": %.3f, "
                "\"overhead_per_candidate_ms\": %s, \"best_speedup\": %.3f}%s\n",
                shapes[i].concurrency, shapes[i].slots, r.candidates, r.wall_s, r.harness_s,
                r.gen_s, 1e3 * r.wall_s / r.candidates,
                // With work overlapping on several threads, time inside the fakes is not
                // serial, so the subtraction is only meaningful for the serial run.
                shapes[i].concurrency == 1 ? std::to_string(1e3 * overhead).c_str() : "null",
                r.best, i == 0 ? "," : "");
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("], \"peak_rss_mb\": %.1f}\n", usage.ru_maxrss / 1024.0);
  return 0;
}
