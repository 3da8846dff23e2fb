#include "workflow/workflow.h"

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "core/files.h"
#include "env/fake_process_runner.h"
#include "env/clock.h"
#include "workflow/core_step.h"
#include "workflow/device_pool.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

class ScriptedDesigner : public KernelDesigner {
 public:
  Result<Design> MakeDesign(const DesignRequest&) override {
    ++calls;
    return Design{"# sketch\nfuse everything", Json{{"block", 1024}}};
  }
  int calls = 0;
};

// Returns the scripted codes in order and remembers the feedback each call received.
class ScriptedGen : public KernelGen {
 public:
  explicit ScriptedGen(std::vector<std::string> codes) : codes_(std::move(codes)) {}
  Result<Candidate> Generate(const GenRequest& r) override {
    feedback_sizes.push_back(r.history.size());
    if (!r.history.empty()) last_feedback = r.history.back().message;
    had_design.push_back(r.design != nullptr);
    if (r.attempt > static_cast<int>(codes_.size())) return UnsupportedError("script exhausted");
    return Candidate{codes_[r.attempt - 1], "variant " + std::to_string(r.attempt), nullptr};
  }
  std::vector<size_t> feedback_sizes;
  std::vector<bool> had_design;
  std::string last_feedback;

 private:
  std::vector<std::string> codes_;
};

std::string ArgAfter(const ProcessSpec& spec, const std::string& flag) {
  for (size_t i = 0; i + 1 < spec.argv.size(); ++i) {
    if (spec.argv[i] == flag) return spec.argv[i + 1];
  }
  return "";
}

// Plays the harness: a candidate whose code contains "GOOD" passes, others are wrong answers;
// "CRASH" dies by SIGSEGV without a result; "HANG" times out. Profile reports `runs`.
ProcessResult FakeHarness(const ProcessSpec& spec) {
  std::string command = spec.argv.at(3);
  Json req = *ParseJson(*ReadFile(ArgAfter(spec, "--request")), "request");
  Json res;
  if (command == "verify") {
    std::string code = *ReadFile(req["candidate_path"].get<std::string>());
    if (code.find("CRASH") != std::string::npos) return FakeProcessRunner::KilledBySignal(11);
    if (code.find("HANG") != std::string::npos) return FakeProcessRunner::TimedOut(5);
    if (code.find("OOM") != std::string::npos) {  // the task's reference did not fit
      return FakeProcessRunner::Exited(
          3, "", "akg_harness verify: the task is broken (out_of_memory): Model.forward ran out "
                 "of memory (the inputs alone are 96.00 GiB); 10.00 GiB free of 140.00 GiB\n");
    }
    bool good = code.find("GOOD") != std::string::npos;
    // A FRAGILE kernel passes the usual seeds but not the re-verification's.
    if (code.find("FRAGILE") != std::string::npos && req["seed"].get<int>() >= 1000) good = false;
    res = {{"verdict", good ? "passed" : "wrong_answer"},
           {"message", good ? "" : "output 0: 12 of 32 elements differ"},
           {"trials", Json::array({{{"seed", req["seed"]}, {"passed", good}}})}};
    // A SPECIFIC kernel passes at the task's sizes only; what the shape trials found and the
    // tolerance rule are reported only by the newer harness, for kernels that reach them.
    if (code.find("SIZED") != std::string::npos) {
      bool vary = req.value("shapes", "") == "vary";
      bool specific = vary && code.find("SPECIFIC") != std::string::npos;
      if (specific) {
        res["verdict"] = "wrong_answer";
        res["reason"] = "shape_specific";
        res["message"] = "passed at the task's sizes, not at n=7: output 0 differs";
      }
      std::string why = !vary ? "verify_settings.shapes is task"
                        : specific ? "output 0 differs at n=7" : "";
      res["shape_general"] = {
          {"status", !vary ? "not_checked" : specific ? "no" : "yes"},
          {"why", why},
          {"sizes", vary ? Json::array({"n=7", "n=5"}) : Json::array()},
          {"constants", {{"n", 16}}}};
      res["tolerance"] = {
          {"rule", "reference_error"}, {"why", ""}, {"k", 16},
          {"outputs", {{{"index", 0}, {"ref_error", 2e-7}, {"atol", 1e-4}, {"rtol", 1e-4}}}}};
    }
  } else if (command == "build") {
    std::string code = *ReadFile(req["candidate_path"].get<std::string>());
    bool broken = code.find("NOBUILD") != std::string::npos;
    bool deferred = code.find("DEFER") != std::string::npos;  // its import needs the device
    res = {{"outcome", broken ? "failed" : deferred ? "deferred" : "built"},
           {"verdict", broken ? "compile_error" : ""},
           {"message", broken     ? "CompileError: error: expected ';'"
                       : deferred ? "the import needs a device: RuntimeError: no CUDA GPUs"
                                  : "built"},
           {"log", broken ? "k.cu:3: error: expected ';'" : ""}};
  } else if (command == "profile") {
    int runs = req["run_times"];
    std::string code = *ReadFile(req["candidate_path"].get<std::string>());
    bool too_fast = code.find("FAST") != std::string::npos;
    res = {{"ok", true}, {"timing_method", "cpu_wall"}, {"performance_valid", true},
           {"reference", {{"median_ms", 2.0}, {"runs", runs}}},
           {"candidate", {{"median_ms", 1.0}, {"runs", runs}}},
           {"baselines", {{"torch_compile", {{"median_ms", 1.5}, {"runs", runs}}}}},
           {"speedup_vs_eager", 2.0}, {"speedup_vs_torch_compile", 1.5},
           {"suspect", too_fast ? Json::array({"faster than the speed of light"}) : Json::array()}};
  }
  EXPECT_TRUE(WriteFileAtomic(ArgAfter(spec, "--result"), res.dump()).ok());
  return FakeProcessRunner::Exited(0);
}

class WorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("akg_workflow_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    run_ = std::make_unique<RunFolder>(*RunFolder::Create(root_ / "run"));
    ASSERT_TRUE(run_->WriteText("task.py", "class Model: pass\n").ok());
    runner_.SetHandler(FakeHarness);
    HarnessOptions ho;
    ho.work_root = root_ / "work";
    harness_ = std::make_unique<HarnessClient>(&runner_, ho);
    config_.max_steps = 3;
    config_.profile_settings.run_times = 17;
  }
  void TearDown() override { fs::remove_all(root_); }

  WorkflowContext Context(KernelGen* gen) {
    WorkflowContext ctx;
    ctx.task = &task_;
    ctx.target = {"torch", "cpu", "x86_64", "cpp"};
    ctx.config = &config_;
    ctx.designer = &designer_;
    ctx.kernel_gen = gen;
    ctx.harness = harness_.get();
    ctx.run = run_.get();
    return ctx;
  }

  fs::path root_;
  std::unique_ptr<RunFolder> run_;
  FakeProcessRunner runner_;
  std::unique_ptr<HarnessClient> harness_;
  DslConfig config_;
  TaskInfo task_;
  ScriptedDesigner designer_;
  FakeClock clock_;
};

TEST_F(WorkflowTest, ATaskThatRunsOutOfMemoryInVerifyStopsTheRunAsAnInputError) {
  ScriptedGen gen({"OOM", "GOOD"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "default");
  ASSERT_FALSE(out.ok());  // no second attempt: no kernel can fix the task's size
  EXPECT_EQ(out.status().kind(), ErrorKind::kInput);
  EXPECT_NE(out.status().message().find("does not fit the device during verification"),
            std::string::npos);
  EXPECT_NE(out.status().message().find("96.00 GiB"), std::string::npos);
}

TEST_F(WorkflowTest, FailedVerificationIsFedBackAndSecondAttemptPasses) {
  ScriptedGen gen({"bad", "GOOD"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "default");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->candidates.size(), 2u);
  EXPECT_EQ(out->candidates[0].verdict.kind, VerdictKind::kWrongAnswer);
  EXPECT_EQ(out->passing_attempt, 2);
  EXPECT_EQ(gen.feedback_sizes, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(gen.last_feedback, "output 0: 12 of 32 elements differ");
  ASSERT_TRUE(out->profile.has_value());
  EXPECT_EQ(out->profile->candidate.runs, 17);  // run_times reaches the profiler
  EXPECT_TRUE(fs::exists(run_->Resolve("design.md")));
  EXPECT_TRUE(fs::exists(run_->Resolve("attempts/01/verify.json")));
  EXPECT_TRUE(fs::exists(run_->Resolve("attempts/02/kernel.py")));
  EXPECT_TRUE(fs::exists(run_->Resolve("profile.json")));
}

TEST_F(WorkflowTest, OnAGpuBackendACompileErrorIsFoundOnTheCpuWithoutTakingADevice) {
  HarnessOptions ho;
  ho.work_root = root_ / "gpu_work";
  ho.device = "cuda";
  ho.visible_devices = "3";
  ho.cuda_arch = "sm_90";
  HarnessClient gpu(&runner_, ho);
  OwnedDevicePool pool = MakeDevicePool(&runner_, ho, {3}, 1, &clock_, &gpu);
  WorkflowContext ctx = Context(nullptr);
  ctx.target = {"torch", "cuda", "h100", "cuda"};
  ctx.harness = &gpu;
  ctx.pool = pool.pool.get();
  ctx.clock = &clock_;
  ScriptedGen gen({"NOBUILD", "GOOD"});
  ctx.kernel_gen = &gen;
  auto out = RunGenerateVerifyWorkflow(ctx, "default");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->candidates.size(), 2u);
  // The first attempt's compile error came from the CPU build: no verify, no lease.
  EXPECT_EQ(out->candidates[0].verdict.kind, VerdictKind::kCompileError);
  EXPECT_NE(gen.last_feedback.find("expected ';'"), std::string::npos);  // fed back as usual
  EXPECT_EQ(out->passing_attempt, 2);
  std::vector<std::string> commands;
  for (const auto& spec : runner_.specs()) {
    commands.push_back(spec.argv.at(3));
    if (spec.argv.at(3) == "build") {
      EXPECT_EQ(spec.env.at("CUDA_VISIBLE_DEVICES"), "");  // nothing on a device
    } else {
      EXPECT_EQ(spec.env.at("CUDA_VISIBLE_DEVICES"), "3");
    }
    EXPECT_EQ(spec.env.at("AKG_CUDA_ARCH"), "sm_90");  // one nvcc target on and off the GPU
  }
  EXPECT_EQ(commands, (std::vector<std::string>{"build", "build", "verify", "profile"}));
  EXPECT_EQ(pool.pool->Utilisation()["devices"][0]["leases"], 1);  // only the second attempt
  Json meta = *ParseJson(*ReadFile(run_->Resolve("attempts/01/verify.json")), "verify.json");
  EXPECT_EQ(meta["verdict"], "compile_error");
  EXPECT_EQ(meta["build"]["outcome"], "failed");
  Json second = *ParseJson(*ReadFile(run_->Resolve("attempts/02/verify.json")), "verify.json");
  EXPECT_EQ(second["build"]["outcome"], "built");
}

TEST_F(WorkflowTest, WithoutADeviceACompileErrorIsFedBackAndABuiltKernelStopsNotVerified) {
  WorkflowContext ctx = Context(nullptr);  // the harness runs on the CPU, as the Session sets it
  ctx.target = {"torch", "cuda", "h100", "cuda"};
  ctx.unverifiable = "not verified: no CUDA device";
  ScriptedGen gen({"NOBUILD", "GOOD", "GOOD"});
  ctx.kernel_gen = &gen;
  auto out = RunGenerateVerifyWorkflow(ctx, "default");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->candidates.size(), 2u);  // stops at the built kernel: no third attempt
  EXPECT_EQ(out->candidates[0].verdict.kind, VerdictKind::kCompileError);
  EXPECT_NE(gen.last_feedback.find("expected ';'"), std::string::npos);
  EXPECT_EQ(out->candidates[1].verdict.kind, VerdictKind::kNotVerified);
  EXPECT_EQ(out->candidates[1].verdict.reason, "no_device");
  EXPECT_EQ(out->passing(), nullptr);
  EXPECT_EQ(out->built(), &out->candidates[1]);
  EXPECT_EQ(out->not_verified, "not verified: no CUDA device");
  std::vector<std::string> commands;
  for (const auto& spec : runner_.specs()) commands.push_back(spec.argv.at(3));
  EXPECT_EQ(commands, (std::vector<std::string>{"build", "build"}));  // never verify or profile
  Json v = *ParseJson(*ReadFile(run_->Resolve("attempts/02/verify.json")), "verify.json");
  EXPECT_EQ(v["verdict"], "not_verified");
}

TEST_F(WorkflowTest, ADeferredBuildIsVerifiedOnTheDeviceAndSaysWhyItWasDeferred) {
  HarnessOptions ho;
  ho.work_root = root_ / "gpu_work";
  ho.device = "cuda";
  HarnessClient gpu(&runner_, ho);
  WorkflowContext ctx = Context(nullptr);
  ctx.target = {"torch", "cuda", "h100", "triton_cuda"};
  ctx.harness = &gpu;
  ScriptedGen gen({"DEFER GOOD"});
  ctx.kernel_gen = &gen;
  auto out = RunGenerateVerifyWorkflow(ctx, "default");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->passing_attempt, 1);  // a deferred build is no verdict: verify decides
  Json v = *ParseJson(*ReadFile(run_->Resolve("attempts/01/verify.json")), "verify.json");
  EXPECT_EQ(v["verdict"], "passed");
  EXPECT_EQ(v["build"]["outcome"], "deferred");
  EXPECT_NE(v["build"]["message"].get<std::string>().find("needs a device"), std::string::npos);
}

TEST_F(WorkflowTest, ShapeTrialsAreAskedForAndAShapeSpecificKernelIsFedBackAsSuch) {
  ScriptedGen gen({"GOOD SIZED SPECIFIC", "GOOD SIZED"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "coder_only");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->candidates.size(), 2u);
  const Verdict& first = out->candidates[0].verdict;
  EXPECT_EQ(first.reason, "shape_specific");
  EXPECT_EQ(first.shape_general.status, "no");
  EXPECT_NE(gen.last_feedback.find("not at n=7"), std::string::npos);
  const Verdict& second = out->candidates[1].verdict;
  EXPECT_EQ(second.shape_general.status, "yes");
  EXPECT_EQ(second.shape_general.sizes, (std::vector<std::string>{"n=7", "n=5"}));
  EXPECT_EQ(second.tolerance.rule, "reference_error");
  for (const auto& spec : runner_.specs()) {
    if (spec.argv.at(3) != "verify") continue;
    Json req = *ParseJson(*ReadFile(ArgAfter(spec, "--request")), "request");
    EXPECT_EQ(req["shapes"], "vary");  // the config's default
  }
  Json v = *ParseJson(*ReadFile(run_->Resolve("attempts/02/verify.json")), "verify.json");
  EXPECT_EQ(v["shape_general"]["status"], "yes");
  EXPECT_EQ(v["tolerance"]["k"], 16);
}

TEST_F(WorkflowTest, ShapesTaskReachesTheHarnessAndIsReportedAsNotChecked) {
  config_.verify_settings.shapes = "task";
  EXPECT_EQ(MakeVerifyRequest(Context(nullptr), "attempts/01/kernel.py", false).shapes, "task");
  ScriptedGen gen({"GOOD SIZED SPECIFIC"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "coder_only");
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->passing_attempt, 1);  // not tried at other sizes, so not caught
  EXPECT_EQ(out->candidates[0].verdict.shape_general.status, "not_checked");
  EXPECT_EQ(out->candidates[0].verdict.shape_general.why, "verify_settings.shapes is task");
}

TEST_F(WorkflowTest, AVerdictWithoutAResultSaysWhyShapesWereNotChecked) {
  ScriptedGen gen({"HANG", "GOOD"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "coder_only");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->candidates[0].verdict.shape_general.status, "not_checked");
  EXPECT_EQ(out->candidates[0].verdict.shape_general.why, "verification did not finish");
  // An older harness's result without the keys.
  EXPECT_EQ(out->candidates[1].verdict.shape_general.why, "not reported by the harness");
  EXPECT_FALSE(out->candidates[1].verdict.tolerance.reported());
}

TEST(CandidateJsonTest, ShapeGeneralityAndToleranceSurviveMetaJson) {
  CandidateRecord c;
  c.id = "c0003";
  c.verdict.kind = VerdictKind::kWrongAnswer;
  c.verdict.reason = "shape_specific";
  c.verdict.shape_general = ShapeGeneralityFromJson({{"status", "no"},
                                                     {"why", "output 0 differs at n=7"},
                                                     {"sizes", {"n=7"}},
                                                     {"constants", {{"n", 16}}}});
  c.verdict.tolerance = ToleranceRuleFromJson({{"rule", "dtype_default"},
                                               {"why", "forward casts dtypes"},
                                               {"k", 16},
                                               {"outputs", Json::array()}});
  Json j = CandidateToJson(c);
  EXPECT_EQ(j["shape_general"]["status"], "no");
  auto back = CandidateFromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->verdict.reason, "shape_specific");
  EXPECT_EQ(back->verdict.shape_general.sizes, (std::vector<std::string>{"n=7"}));
  EXPECT_EQ(back->verdict.shape_general.constants["n"], 16);
  EXPECT_EQ(back->verdict.tolerance.why, "forward casts dtypes");
  j.erase("shape_general");  // a meta.json written before the key existed
  j.erase("tolerance");
  back = CandidateFromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->verdict.shape_general.why, "not reported by the harness");
  EXPECT_FALSE(back->verdict.tolerance.reported());
}

TEST(CandidateJsonTest, TheBuildOutcomeSurvivesMetaJson) {
  CandidateRecord c;
  c.id = "c0007";
  c.build_outcome = "deferred";
  c.build_message = "the import needs a device";
  Json j = CandidateToJson(c);
  EXPECT_EQ(j["build"]["outcome"], "deferred");
  auto back = CandidateFromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->build_outcome, "deferred");
  EXPECT_EQ(back->build_message, "the import needs a device");
  c.build_outcome.clear();  // no build ran (CPU backend, or switched off)
  EXPECT_TRUE(CandidateToJson(c)["build"].is_null());
}

TEST_F(WorkflowTest, TheBuildStepCanBeSwitchedOffAndNeverRunsOnTheCpuBackend) {
  ScriptedGen gen({"GOOD"});
  ASSERT_TRUE(RunGenerateVerifyWorkflow(Context(&gen), "default").ok());  // cpu backend
  HarnessOptions ho;
  ho.work_root = root_ / "gpu_work";
  ho.device = "cuda";
  HarnessClient gpu(&runner_, ho);
  WorkflowContext ctx = Context(nullptr);
  ctx.harness = &gpu;
  config_.verify_settings.build_off_device = false;
  ScriptedGen gen2({"GOOD"});
  ctx.kernel_gen = &gen2;
  ASSERT_TRUE(RunGenerateVerifyWorkflow(ctx, "default").ok());
  for (const auto& spec : runner_.specs()) EXPECT_NE(spec.argv.at(3), "build");
}

TEST_F(WorkflowTest, TorchCompileMeasurementsAreSharedThroughTheRunsCacheUnlessSwitchedOff) {
  auto profile_request = [this]() -> Json {  // the latest profile call's request
    Json last;
    for (const auto& spec : runner_.specs()) {
      if (spec.argv.at(3) == "profile") last = *ParseJson(*ReadFile(ArgAfter(spec, "--request")), "r");
    }
    return last;
  };
  ScriptedGen gen({"GOOD"});
  ASSERT_TRUE(RunGenerateVerifyWorkflow(Context(&gen), "default").ok());
  EXPECT_EQ(profile_request().value("baseline_cache_dir", ""),
            (root_ / "work" / "baseline_cache").string());
  config_.profile_settings.reuse_compile_baseline = false;
  ScriptedGen gen2({"GOOD"});
  ASSERT_TRUE(RunGenerateVerifyWorkflow(Context(&gen2), "default").ok());
  Json req = profile_request();
  ASSERT_TRUE(req.is_object());
  EXPECT_FALSE(req.contains("baseline_cache_dir"));
}

TEST_F(WorkflowTest, TheEagerBaselineIsSharedThroughTheRunsCacheUnlessSwitchedOff) {
  auto profile_request = [this]() -> Json {
    Json last;
    for (const auto& spec : runner_.specs()) {
      if (spec.argv.at(3) == "profile") last = *ParseJson(*ReadFile(ArgAfter(spec, "--request")), "r");
    }
    return last;
  };
  config_.profile_settings.noisy_spread = 2.0;
  ScriptedGen gen({"GOOD"});
  ASSERT_TRUE(RunGenerateVerifyWorkflow(Context(&gen), "default").ok());
  EXPECT_EQ(profile_request().value("eager_baseline_dir", ""),
            (root_ / "work" / "baseline_cache").string());
  EXPECT_EQ(profile_request().value("noisy_spread", 0.0), 2.0);
  config_.profile_settings.shared_eager_baseline = false;
  ScriptedGen gen2({"GOOD"});
  ASSERT_TRUE(RunGenerateVerifyWorkflow(Context(&gen2), "default").ok());
  EXPECT_FALSE(profile_request().contains("eager_baseline_dir"));
}

TEST_F(WorkflowTest, SuspectProfileIsReverifiedWithMoreTrialsOnNewSeeds) {
  config_.verify_settings.trials = 4;
  ScriptedGen gen({"GOOD FAST"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "default");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out->reverification.has_value());
  EXPECT_TRUE(out->reverification->passed());
  EXPECT_EQ(out->passing_attempt, 1);
  ProcessSpec last = runner_.specs().back();
  Json req = *ParseJson(*ReadFile(ArgAfter(last, "--request")), "request");
  EXPECT_EQ(req["trials"], 8);
  EXPECT_GE(req["seed"].get<int>(), 1000);
  EXPECT_TRUE(out->profile->torch_compile.has_value());
  EXPECT_DOUBLE_EQ(*out->profile->speedup_vs_torch_compile, 1.5);
}

TEST_F(WorkflowTest, SuspectKernelFailingReverificationIsNotAccepted) {
  ScriptedGen gen({"GOOD FAST FRAGILE"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "default");
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(out->reverification.has_value());
  EXPECT_FALSE(out->reverification->passed());
  EXPECT_EQ(out->passing(), nullptr);
  EXPECT_NE(out->stop_reason.find("re-verification"), std::string::npos);
}

TEST_F(WorkflowTest, UnsuspiciousProfileIsNotReverified) {
  ScriptedGen gen({"GOOD"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "default");
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->reverification.has_value());
}

TEST_F(WorkflowTest, CrashAndHangBecomeVerdictsNotErrors) {
  ScriptedGen gen({"CRASH", "HANG", "GOOD"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "default");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->candidates[0].verdict.kind, VerdictKind::kRuntimeError);
  EXPECT_NE(out->candidates[0].verdict.message.find("SIGSEGV"), std::string::npos);
  EXPECT_EQ(out->candidates[1].verdict.kind, VerdictKind::kTimeout);
  EXPECT_EQ(out->passing_attempt, 3);
}

TEST_F(WorkflowTest, StopsAfterMaxStepsWithoutProfiling) {
  config_.max_steps = 2;
  ScriptedGen gen({"bad", "bad", "GOOD"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "default");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->candidates.size(), 2u);
  EXPECT_EQ(out->passing(), nullptr);
  EXPECT_FALSE(out->profile.has_value());
  EXPECT_NE(out->stop_reason.find("max_steps"), std::string::npos);
}

TEST_F(WorkflowTest, SpentLlmBudgetStopsCleanlyWithTheAttemptsSoFar) {
  ScriptedGen gen({"bad", "GOOD"});
  WorkflowContext ctx = Context(&gen);
  ctx.budget_exhausted = [](std::string* why) {
    *why = "token budget of 100 reached (120 used)";
    return true;
  };
  auto out = RunGenerateVerifyWorkflow(ctx, "default");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->candidates.size(), 1u);  // the first attempt runs; the budget is checked after
  EXPECT_EQ(out->passing(), nullptr);
  EXPECT_NE(out->stop_reason.find("LLM budget spent: token budget of 100"), std::string::npos);
  EXPECT_TRUE(fs::exists(run_->Resolve("attempts/01/verify.json")));
}

TEST_F(WorkflowTest, CoderOnlySkipsTheDesigner) {
  ScriptedGen gen({"GOOD"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "coder_only");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(designer_.calls, 0);
  EXPECT_EQ(gen.had_design, (std::vector<bool>{false}));
  EXPECT_FALSE(out->design.has_value());
}

TEST_F(WorkflowTest, FirstGenerationFailureIsAnError) {
  ScriptedGen gen({});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "default");
  EXPECT_FALSE(out.ok());
}

TEST_F(WorkflowTest, ACallOfACancelledRunIsInterruptedNotAFailureToStartPython) {
  CancelToken cancelled;
  cancelled.Cancel();
  auto inspected = harness_->Inspect(root_ / "task.py", 0, 10, &cancelled);
  ASSERT_FALSE(inspected.ok());
  EXPECT_EQ(inspected.status().kind(), ErrorKind::kCancelled) << inspected.status().message();
  EXPECT_EQ(inspected.status().message(), "interrupted");
}

TEST_F(WorkflowTest, CancelBeforeAttemptStopsCleanly) {
  ScriptedGen gen({"GOOD"});
  auto ctx = Context(&gen);
  CancelToken cancelled;
  cancelled.Cancel();
  ctx.cancel = &cancelled;
  auto out = RunGenerateVerifyWorkflow(ctx, "default");
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->interrupted);
  EXPECT_TRUE(out->candidates.empty());
}

TEST_F(WorkflowTest, HarnessChildGetsScrubbedEnvironmentAndOwnFolder) {
  setenv("OPENAI_API_KEY", "sk-should-not-leak", 1);
  ScriptedGen gen({"GOOD"});
  auto out = RunGenerateVerifyWorkflow(Context(&gen), "coder_only");
  unsetenv("OPENAI_API_KEY");
  ASSERT_TRUE(out.ok());
  for (const auto& spec : runner_.specs()) {
    EXPECT_EQ(spec.env.count("OPENAI_API_KEY"), 0u);
    EXPECT_EQ(spec.env.at("HOME"), spec.cwd.string());
    EXPECT_GT(spec.timeout_s, 0);
  }
}

}  // namespace
}  // namespace akg

namespace akg {
namespace {

// A KernelGen whose model streams its answer in pieces.
class StreamingGen : public KernelGen {
 public:
  Result<Candidate> Generate(const GenRequest& r) override {
    if (r.on_text) {
      r.on_text("first line\nsecond ");
      r.on_text("and the end");
    }
    return Candidate{"GOOD", "streamed", nullptr};
  }
};

TEST(StreamTailTest, StreamedModelTextBecomesOneLiveStatusLineOfItsTail) {
  std::vector<RunEvent> events;
  auto tail = StreamTail([&](const RunEvent& e) { events.push_back(e); }, "attempt",
                         "[attempt 1/3] model", 12);
  tail("first line\nsecond ");
  tail("and the end");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, RunEvent::Kind::kStatus);
  EXPECT_EQ(events[1].text, "[attempt 1/3] model: ... and the end");  // the last 12
}

TEST_F(WorkflowTest, TheDefaultWorkflowShowsTheModelsStreamAsAStatusTail) {
  StreamingGen gen;
  auto ctx = Context(&gen);
  std::vector<RunEvent> events;
  ctx.emit = [&](const RunEvent& e) { events.push_back(e); };
  ASSERT_TRUE(RunGenerateVerifyWorkflow(ctx, "coder_only").ok());
  bool tail = false;
  for (const RunEvent& e : events) {
    tail |= e.kind == RunEvent::Kind::kStatus &&
            e.text.find("model: ...") != std::string::npos &&
            e.text.find("and the end") != std::string::npos;
  }
  EXPECT_TRUE(tail);
}

}  // namespace
}  // namespace akg
