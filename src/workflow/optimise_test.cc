// The default workflow's optimise steps against a fake harness with scripted timings: when
// they fire (and when not: 0.997x, a noisy measurement, no steps left), what the model is
// told, and that the best passing kernel is the one kept.
#include "workflow/optimise.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "agents/llm_kernel_gen.h"
#include "builtin/kernel_gen.h"
#include "builtin/test_graphs.h"
#include "core/files.h"
#include "env/fake_process_runner.h"
#include "llm/scripted_llm.h"
#include "skills/skills.h"
#include "workflow/search_test_fakes.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

// A number written in the code as "<key>=<x>", or `fallback`.
double Marked(const std::string& code, const std::string& key, double fallback) {
  auto at = code.find(key + "=");
  return at == std::string::npos ? fallback : std::stod(code.substr(at + key.size() + 1));
}

// Plays the harness. Verify: "BAD" is a wrong answer, anything else passes. Profile: the run's
// eager baseline is 1 ms; the kernel's median is "akgms=<x>" in its code, else the next of
// `queued_ms`; torch.compile takes "akgtc=<x>" (default 0.9 ms); "NOISY" marks the spread wide.
// Counters: `counters` is the result.
struct ScriptedTimings {
  std::deque<double> queued_ms;
  Json counters = {{"ok", false}, {"unavailable", "Nsight Compute (ncu) is not installed here"}};
  std::vector<std::string> commands;

  ProcessResult operator()(const ProcessSpec& spec) {
    std::string command = spec.argv.at(3);
    commands.push_back(command);
    Json req = *ParseJson(*ReadFile(ArgAfter(spec, "--request")), "request");
    std::string code = *ReadFile(req["candidate_path"].get<std::string>());
    Json res;
    if (command == "verify") {
      bool good = code.find("BAD") == std::string::npos;
      res = {{"verdict", good ? "passed" : "wrong_answer"},
             {"message", good ? "" : "output 0: 5 of 64 elements differ"}};
    } else if (command == "profile") {
      double ms = Marked(code, "akgms", 0);
      if (ms == 0 && !queued_ms.empty()) {
        ms = queued_ms.front();
        queued_ms.pop_front();
      }
      double tc = Marked(code, "akgtc", 0.9);
      bool noisy = code.find("NOISY") != std::string::npos;
      Json stats = {{"median_ms", ms}, {"p10_ms", ms * 0.98}, {"p90_ms", ms * (noisy ? 3 : 1.02)},
                    {"runs", 20}};
      res = {{"ok", true}, {"timing_method", "cpu_wall"}, {"performance_valid", true},
             {"reference", {{"median_ms", 1.0}, {"runs", 20}}},
             {"eager_baseline", {{"median_ms", 1.0}, {"runs", 40}}},
             {"candidate", stats},
             {"baselines", {{"torch_compile", {{"median_ms", tc}, {"runs", 20}}}}},
             {"speedup_vs_eager", 1.0 / ms}, {"speedup_vs_torch_compile", tc / ms},
             {"noisy", noisy ? Json::array({"candidate p90/p10 3.06 > 1.5"}) : Json::array()},
             {"sol", {{"sol_ms", 0.25}, {"bound", "memory"}, {"bytes", 8388608}, {"flops", 0},
                      {"fraction_of_sol_candidate", 0.25 / ms}, {"fraction_of_sol_eager", 0.25}}},
             {"suspect", Json::array()}};
    } else if (command == "build") {
      res = {{"outcome", "built"}, {"verdict", ""}, {"message", "built"}};
    } else if (command == "counters") {
      res = counters;
    }
    EXPECT_TRUE(WriteFileAtomic(ArgAfter(spec, "--result"), res.dump()).ok());
    return FakeProcessRunner::Exited(0);
  }
};

// KernelGen that answers the scripted codes in order and keeps every request.
class ScriptedKernels : public KernelGen {
 public:
  explicit ScriptedKernels(std::vector<std::string> codes) : codes_(std::move(codes)) {}
  Result<Candidate> Generate(const GenRequest& r) override {
    requests.push_back(r);
    if (r.parent != nullptr) parents.push_back(r.parent->id);
    if (calls_ >= codes_.size()) return UnsupportedError("script exhausted");
    std::string code = codes_[calls_++];
    return Candidate{code, "kernel " + std::to_string(calls_), nullptr};
  }
  std::vector<GenRequest> requests;
  std::vector<std::string> parents;

 private:
  std::vector<std::string> codes_;
  size_t calls_ = 0;
};

class OptimiseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("akg_optimise_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    run_ = std::make_unique<RunFolder>(*RunFolder::Create(root_ / "run"));
    ASSERT_TRUE(run_->WriteText("task.py", "class Model: pass\n").ok());
    runner_.SetHandler([t = &timings_](const ProcessSpec& s) { return (*t)(s); });
    HarnessOptions ho;
    ho.work_root = root_ / "work";
    harness_ = std::make_unique<HarnessClient>(&runner_, ho);
    task_.name = "t";
  }
  void TearDown() override { fs::remove_all(root_); }

  WorkflowContext Context(KernelGen* gen) {
    WorkflowContext ctx;
    ctx.task = &task_;
    ctx.target = {"torch", "cpu", "x86_64", "cpp"};
    ctx.config = &config_;
    ctx.kernel_gen = gen;
    ctx.harness = harness_.get();
    ctx.run = run_.get();
    ctx.emit = [this](const RunEvent& e) { lines_ += FormatRunEvent(e) + "\n"; };
    return ctx;
  }

  Json TopProfile() { return *ParseJson(*ReadFile(run_->Resolve("profile.json")), "profile"); }
  int Count(const std::string& command) {
    return static_cast<int>(std::count(timings_.commands.begin(), timings_.commands.end(), command));
  }

  fs::path root_;
  std::unique_ptr<RunFolder> run_;
  FakeProcessRunner runner_;
  ScriptedTimings timings_;
  std::unique_ptr<HarnessClient> harness_;
  DslConfig config_;
  TaskInfo task_;
  std::string lines_;
};

ProfileResult Profile(double ms, double eager_ms, std::optional<double> compile_ms = std::nullopt) {
  ProfileResult p;
  p.ok = true;
  p.performance_valid = true;
  p.candidate.median_ms = ms;
  p.speedup_vs_eager = eager_ms / ms;
  if (compile_ms) {
    p.torch_compile = TimingStats{*compile_ms, 0, 0, 0, 20};
    p.speedup_vs_torch_compile = *compile_ms / ms;
  }
  p.sol = {{"sol_ms", 0.1}, {"fraction_of_sol_candidate", 0.1 / ms}};
  return p;
}

TEST(DecideOptimiseTest, OnlyAClearlySlowTrustedKernelWithStepsLeftIsOptimised) {
  OptimiseSettings s;  // below 0.95x of eager or torch.compile
  EXPECT_TRUE(DecideOptimise(Profile(2.0, 1.0), s, 2).go);               // the cumsum at 0.50x
  EXPECT_FALSE(DecideOptimise(Profile(3.05, 3.04), s, 2).go);            // ReLU 3.05 vs 3.04 ms
  EXPECT_FALSE(DecideOptimise(Profile(3.04, 3.05), s, 2).go);            // ... and the other way
  OptimiseDecision at_0997 = DecideOptimise(Profile(1.0, 0.997), s, 2);  // 0.997x
  EXPECT_FALSE(at_0997.go);
  EXPECT_NE(at_0997.why.find("not clearly slow (0.997x eager"), std::string::npos) << at_0997.why;
  EXPECT_TRUE(DecideOptimise(Profile(1.0, 1.2, 0.8), s, 2).go);  // 1.2x eager, 0.8x compile
  OptimiseDecision d = DecideOptimise(Profile(1.0, 1.2, 0.8), s, 2);
  EXPECT_NE(d.why.find("0.800x torch.compile"), std::string::npos) << d.why;

  ProfileResult noisy = Profile(2.0, 1.0);
  noisy.noisy = {"eager drifted from the run's baseline (2.10 ms against 1.00 ms)"};
  EXPECT_FALSE(DecideOptimise(noisy, s, 2).go);
  EXPECT_NE(DecideOptimise(noisy, s, 2).why.find("noisy"), std::string::npos);
  EXPECT_FALSE(DecideOptimise(Profile(2.0, 1.0), s, 0).go);
  ProfileResult interpreted = Profile(2.0, 1.0);
  interpreted.performance_valid = false;
  EXPECT_FALSE(DecideOptimise(interpreted, s, 2).go);
  ProfileResult failed;
  failed.error = "the profiling process died";
  EXPECT_FALSE(DecideOptimise(failed, s, 2).go);

  // The speed-of-light trigger: off by default, a kernel at 10% of it fires when it is on.
  ProfileResult at_eager = Profile(1.0, 1.0);  // 0.1 of the speed of light
  EXPECT_FALSE(DecideOptimise(at_eager, s, 2).go);
  s.below_sol = 0.2;
  OptimiseDecision sol = DecideOptimise(at_eager, s, 2);
  EXPECT_TRUE(sol.go);
  EXPECT_NE(sol.why.find("10.0% of the speed of light"), std::string::npos) << sol.why;
}

TEST_F(OptimiseTest, TheOptimiseStepsImproveASlowFirstKernelWithAScriptedModel) {
  // The model answers a 2 ms kernel first (0.50x eager), then, given its profile, a 0.8 ms one.
  ScriptedLlm llm({"A first kernel.\n\n```python\nclass ModelNew:\n    pass  # akgms=2.0\n```\n",
                   "Fused the passes.\n\n```python\nclass ModelNew:\n    pass  # akgms=0.8\n```\n"});
  task_.inspection = test_graphs::GeluMulAdd({64, 64});
  task_.source = "class Model: pass\n";
  task_.task_path = root_ / "t.py";
  LlmAgentOptions options;
  options.prompts_dir = std::string(AKG_SOURCE_DIR) + "/prompts";
  std::vector<Skill> skills(2);
  skills[0].name = "cpp-first";
  skills[0].stages = {"generate"};
  skills[0].body = "SKILL-GENERATE-BODY";
  skills[1].name = "cpp-faster";
  skills[1].stages = {"optimise"};
  skills[1].body = "SKILL-OPTIMISE-BODY";
  options.skills = &skills;
  LlmKernelGen gen(&llm, options);
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "coder_only");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->candidates.size(), 2u);
  EXPECT_EQ(out->passing_attempt, 2);  // the faster kernel is the run's
  EXPECT_EQ(out->candidates[1].parent, "attempt-01");
  EXPECT_DOUBLE_EQ(TopProfile()["candidate"]["median_ms"], 0.8);
  EXPECT_EQ(out->optimise["kept"], "attempt-02");
  // 1.25x eager and 1.125x torch.compile: not slow any more, so one step was enough.
  EXPECT_NE(out->optimise["stopped"].get<std::string>().find("not clearly slow"), std::string::npos);
  ASSERT_EQ(llm.requests().size(), 2u);
  std::string prompt;
  for (const ChatMessage& m : llm.requests()[1].messages) prompt += m.content;
  EXPECT_NE(prompt.find("Kernel to improve"), std::string::npos);
  EXPECT_NE(prompt.find("akgms=2.0"), std::string::npos);  // its code
  EXPECT_NE(prompt.find("- time: 2.0000 ms"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("0.50x eager"), std::string::npos);
  EXPECT_NE(prompt.find("0.45x torch.compile"), std::string::npos);
  EXPECT_NE(prompt.find("memory-bound"), std::string::npos);
  EXPECT_NE(prompt.find("the kernel reaches 12.5%"), std::string::npos);
  EXPECT_NE(prompt.find("Write a faster version"), std::string::npos);  // the optimise stage
  EXPECT_NE(prompt.find("SKILL-OPTIMISE-BODY"), std::string::npos);      // with its skills
  EXPECT_EQ(prompt.find("SKILL-GENERATE-BODY"), std::string::npos);
  EXPECT_NE(lines_.find("[optimise] step 1/2: attempt-01 is clearly slow: 0.500x eager"),
            std::string::npos) << lines_;
}

TEST_F(OptimiseTest, AKernelAt0997xOfEagerIsNotOptimised) {
  ScriptedKernels gen({"akgms=1.003 akgtc=1.1", "akgms=0.5"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "coder_only");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(gen.requests.size(), 1u);  // no second call
  ASSERT_EQ(out->candidates.size(), 1u);
  EXPECT_NE(out->optimise["stopped"].get<std::string>().find("not clearly slow (0.997x eager"),
            std::string::npos) << out->optimise.dump();
  EXPECT_NE(lines_.find("attempt-01 is kept: not clearly slow"), std::string::npos) << lines_;
}

TEST_F(OptimiseTest, TheStepsStopAtOptimiseStepsAndTheFastestPassingKernelIsKept) {
  // Every kernel is still slow: two steps, then none left.
  ScriptedKernels gen({"akgms=2.0", "akgms=1.5", "akgms=1.8", "akgms=0.1"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "coder_only");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(gen.requests.size(), 3u);
  ASSERT_EQ(out->candidates.size(), 3u);
  EXPECT_EQ(out->passing_attempt, 2);  // 1.5 ms; the 1.8 ms step does not replace it
  EXPECT_EQ(gen.parents, (std::vector<std::string>{"attempt-01", "attempt-02"}));
  EXPECT_EQ(out->optimise["stopped"], "no optimise steps left (optimise_steps)");
  EXPECT_DOUBLE_EQ(TopProfile()["candidate"]["median_ms"], 1.5);
  EXPECT_NE(out->optimise["steps"][1]["outcome"].get<std::string>().find(
                "attempt-03 does not replace attempt-02: it is not faster"),
            std::string::npos) << out->optimise.dump();
  // The steps are their own attempts, beyond max_steps' correctness attempts.
  EXPECT_TRUE(fs::exists(run_->Resolve("attempts/03/kernel.py")));

  config_.optimise_steps = 0;  // off: the first pass is the run's, as before
  ScriptedKernels again({"akgms=2.0", "akgms=0.5"});
  run_ = std::make_unique<RunFolder>(*RunFolder::Create(root_ / "run0"));
  ASSERT_TRUE(run_->WriteText("task.py", "class Model: pass\n").ok());
  auto off = RunGenerateVerifyWorkflow(Context(&again), "coder_only");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->candidates.size(), 1u);
  EXPECT_TRUE(off->optimise.is_null());
}

TEST_F(OptimiseTest, ANoisyMeasurementDoesNotTriggerAStep) {
  ScriptedKernels gen({"akgms=2.0 NOISY", "akgms=0.5"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "coder_only");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(gen.requests.size(), 1u);
  EXPECT_EQ(out->candidates.size(), 1u);
  EXPECT_NE(out->optimise["stopped"].get<std::string>().find("noisy"), std::string::npos);
}

TEST_F(OptimiseTest, AStepThatFailsOrIsNoisyNeverReplacesTheBestAndTheFailureIsShown) {
  ScriptedKernels gen({"akgms=2.0", "BAD akgms=0.1", "akgms=0.2 NOISY"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "coder_only");
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->candidates.size(), 3u);
  EXPECT_EQ(out->passing_attempt, 1);
  EXPECT_DOUBLE_EQ(TopProfile()["candidate"]["median_ms"], 2.0);
  EXPECT_NE(out->optimise["steps"][0]["outcome"].get<std::string>().find("it did not pass"),
            std::string::npos);
  EXPECT_NE(out->optimise["steps"][1]["outcome"].get<std::string>().find("noisy"),
            std::string::npos);
  // The second step saw the failed one among the kernels tried.
  ASSERT_EQ(gen.requests[2].inspirations.size(), 1u);
  EXPECT_EQ(gen.requests[2].inspirations[0].verdict, "wrong_answer");
}

TEST_F(OptimiseTest, AKernelGenThatRepeatsAMeasuredKernelOrFailsEndsTheSteps) {
  ScriptedKernels same({"akgms=2.0", "akgms=2.0"});
  auto out = RunGenerateVerifyWorkflow(Context(&same), "coder_only");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->candidates.size(), 1u);  // not measured again
  EXPECT_NE(out->optimise["stopped"].get<std::string>().find("the code of attempt-01, already measured"),
            std::string::npos);
  EXPECT_EQ(Count("verify"), 1);
}

TEST_F(OptimiseTest, OnAGpuTheCountersOrWhyThereAreNoneGoToTheModel) {
  config_.profile_settings.counters = true;
  HarnessOptions ho;
  ho.work_root = root_ / "gpu_work";
  ho.device = "cuda";
  HarnessClient gpu(&runner_, ho);
  WorkflowContext ctx = Context(nullptr);
  ctx.target = {"torch", "cuda", "h100", "triton_cuda"};
  ctx.harness = &gpu;
  ScriptedKernels gen({"akgms=2.0", "akgms=1.9", "akgms=1.0"});
  ctx.kernel_gen = &gen;
  timings_.counters = {{"ok", false},
                       {"unavailable", "ncu: ERR_NVGPUCTRPERM - The user does not have permission"}};
  auto out = RunGenerateVerifyWorkflow(ctx, "coder_only");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(gen.requests.size(), 3u);
  EXPECT_NE(gen.requests[1].profile_report.find(
                "- hardware counters (ncu): not collected: ncu: ERR_NVGPUCTRPERM"),
            std::string::npos) << gen.requests[1].profile_report;
  EXPECT_NE(out->candidates.size(), 0u);  // the run goes on without them
  // The second step's kernel had counters.
  timings_.counters = {
      {"ok", true},
      {"kernels", Json::array({{{"name", "k_fused"}, {"duration_us", 900.0}, {"dram_pct", 41.0},
                                {"sm_pct", 12.0}, {"occupancy_pct", 48.0},
                                {"stalls", {{"long_scoreboard", 12.1}, {"barrier", 0.4},
                                            {"lg_throttle", 3.2}, {"wait", 1.0}}}}})}};
  ScriptedKernels gen2({"akgms=2.0", "akgms=1.0 akgtc=1.5"});
  run_ = std::make_unique<RunFolder>(*RunFolder::Create(root_ / "run2"));
  ASSERT_TRUE(run_->WriteText("task.py", "class Model: pass\n").ok());
  ctx.run = run_.get();
  ctx.kernel_gen = &gen2;
  ASSERT_TRUE(RunGenerateVerifyWorkflow(ctx, "coder_only").ok());
  ASSERT_EQ(gen2.requests.size(), 2u);
  const std::string& report = gen2.requests[1].profile_report;
  EXPECT_NE(report.find("`k_fused`: 900.0 us (100% of the call); DRAM throughput 41% of peak, SM "
                        "throughput 12% of peak, achieved occupancy 48%; stalls (cycles per "
                        "issued instruction): long_scoreboard 12.1, lg_throttle 3.2, wait 1.0"),
            std::string::npos) << report;
}

TEST_F(OptimiseTest, OnTheCpuCountersAreNotAskedForAndTheLogSaysWhy) {
  config_.profile_settings.counters = true;
  ScriptedKernels gen({"akgms=2.0", "akgms=1.0"});
  ASSERT_TRUE(RunGenerateVerifyWorkflow(Context(&gen), "coder_only").ok());
  EXPECT_EQ(Count("counters"), 0);
  EXPECT_NE(lines_.find("hardware counters need a GPU"), std::string::npos);
  EXPECT_EQ(gen.requests[1].profile_report.find("hardware counters"), std::string::npos);
}

TEST_F(OptimiseTest, TheBuiltinModelMutatesTheTunablesOfTheKernelToImprove) {
  task_.inspection = test_graphs::GeluMulAdd({64, 64});
  timings_.queued_ms = {2.0, 0.7};  // its first kernel is slow; the variant is faster
  BuiltinKernelGen gen;
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "coder_only");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->candidates.size(), 2u);
  EXPECT_EQ(out->passing_attempt, 2);
  const std::string& d = out->candidates[1].description;
  EXPECT_NE(d.find("optimise attempt-01: "), std::string::npos) << d;
  EXPECT_NE(d.find("variant of attempt-01: "), std::string::npos) << d;
  EXPECT_NE(out->candidates[1].hints, out->candidates[0].hints);
}

}  // namespace
}  // namespace akg
