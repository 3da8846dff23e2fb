#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/files.h"
#include "env/fake_process_runner.h"
#include "workflow/device_pool.h"
#include "workflow/search_test_fakes.h"
#include "workflow/workflow.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

class SearchWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("akg_search_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    runner_.SetHandler([h = &harness_](const ProcessSpec& s) { return (*h)(s); });
    config_.search.rounds = 4;
    config_.search.islands = 2;
    config_.search.population = 3;
    config_.search.elite = 1;
    config_.search.migration_interval = 2;
    config_.search.inspirations = 2;
    config_.search.max_candidates = 0;
    config_.search.concurrency = 3;
    config_.search.seed = 5;
  }
  void TearDown() override { fs::remove_all(root_); }

  // A fresh run folder `name` with a pool of `slots` CPU slots.
  WorkflowContext Context(const std::string& name, int slots = 2) {
    runs_.push_back(std::make_unique<RunFolder>(*RunFolder::Create(root_ / name)));
    EXPECT_TRUE(runs_.back()->WriteText("task.py", "class Model: pass\n").ok());
    HarnessOptions ho;
    ho.work_root = root_ / (name + "-work");
    harnesses_.push_back(std::make_unique<HarnessClient>(&runner_, ho));
    pools_.push_back(MakeDevicePool(&runner_, ho, {0}, slots, &clock_));
    WorkflowContext ctx;
    ctx.task = &task_;
    ctx.target = {"torch", "cpu", "x86_64", "cpp"};
    ctx.config = &config_;
    ctx.kernel_gen = &gen_;
    ctx.harness = harnesses_.back().get();
    ctx.pool = pools_.back().pool.get();
    ctx.run = runs_.back().get();
    return ctx;
  }

  // "id<parent/seed=fitness" for every candidate, to compare whole searches.
  static std::vector<std::string> Trace(const WorkflowOutcome& o) {
    std::vector<std::string> t;
    for (const auto& c : o.candidates) {
      t.push_back(fmt::format("{}<{}/{}={:.4f}", c.id, c.parent, c.seed, c.fitness()));
    }
    return t;
  }

  fs::path root_;
  FakeProcessRunner runner_;
  LandscapeHarness harness_;
  LandscapeGen gen_;
  SystemClock clock_;
  DslConfig config_;
  TaskInfo task_;
  std::vector<std::unique_ptr<RunFolder>> runs_;
  std::vector<std::unique_ptr<HarnessClient>> harnesses_;
  std::vector<OwnedDevicePool> pools_;
};

TEST_F(SearchWorkflowTest, EvolveImprovesOnItsFirstKernelAndRecordsLineage) {
  auto out = RunEvolve(Context("run"));
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->candidates.size(), 24u);  // 4 rounds x 2 islands x 3
  EXPECT_EQ(out->candidates[0].seed, 0u);   // the plain kernel first
  ASSERT_NE(out->passing(), nullptr);
  double first = out->candidates[0].fitness();
  const CandidateRecord& best = out->candidates[out->passing_attempt - 1];
  EXPECT_GT(best.fitness(), first * 1.5) << "best " << best.id;
  EXPECT_FALSE(best.parent.empty());  // the best was bred, not written from scratch
  EXPECT_NE(out->stop_reason.find("all 4 rounds done"), std::string::npos);
  EXPECT_FALSE(out->search["migrations"].empty());
  // Every candidate is kept with its lineage.
  for (const auto& c : out->candidates) {
    Json meta = *ParseJson(*ReadFile(runs_[0]->Resolve(c.dir + "/meta.json")), "meta");
    EXPECT_EQ(meta["id"], c.id);
    EXPECT_TRUE(meta.contains("parent") && meta.contains("inspirations") &&
                meta.contains("island") && meta.contains("round") && meta.contains("device"));
    EXPECT_EQ(fs::exists(runs_[0]->Resolve(c.code_path())), c.generation.ok()) << c.id;
    if (c.round > 0) {
      EXPECT_FALSE(c.inspirations.empty()) << c.id;
    }
  }
  EXPECT_TRUE(fs::exists(runs_[0]->Resolve("search_log.jsonl")));
  EXPECT_TRUE(out->device_utilisation.is_object());
}

TEST_F(SearchWorkflowTest, EvolvesFromScratchCandidatesEachExploreTheirOwnIndexBredOnesNone) {
  auto out = RunEvolve(Context("run"));
  ASSERT_TRUE(out.ok()) << out.status().message();
  std::set<int> indexes;
  int from_scratch = 0;
  for (const auto& e : gen_.explores) {
    EXPECT_EQ(e.seed, 5u);  // the search's seed orders the directions
    if (e.has_parent) {
      EXPECT_EQ(e.index, -1) << e.attempt;
    } else {
      ++from_scratch;
      indexes.insert(e.index);
    }
  }
  EXPECT_EQ(from_scratch, 6);  // round 0: 2 islands x 3
  EXPECT_EQ(indexes, (std::set<int>{0, 1, 2, 3, 4, 5}));
}

TEST_F(SearchWorkflowTest, EvolveIsDeterministicForASeedWhateverTheConcurrency) {
  config_.search.concurrency = 4;
  auto a = RunEvolve(Context("a", 3));
  config_.search.concurrency = 1;
  auto b = RunEvolve(Context("b", 1));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(Trace(*a), Trace(*b));
  config_.search.seed = 6;
  auto c = RunEvolve(Context("c"));
  EXPECT_NE(Trace(*a), Trace(*c));
}

TEST_F(SearchWorkflowTest, FailuresAndCrashesNeverStopASearchAndAreFedBack) {
  config_.search.rounds = 6;
  auto out = RunEvolve(Context("run"));
  ASSERT_TRUE(out.ok()) << out.status().message();
  std::set<std::string> kinds;
  for (const auto& c : out->candidates) {
    if (!c.passed()) kinds.insert(c.verdict.reason.empty() ? VerdictName(c.verdict.kind) : c.verdict.reason);
  }
  // The landscape has wrong answers and (genome 11, 22, ...) SIGSEGV crashes on the way up.
  EXPECT_TRUE(kinds.count("mismatch")) << "no wrong answer was produced";
  EXPECT_EQ(out->candidates.size(), 36u);  // none of them stopped the search
  EXPECT_GT(gen_.calls_with_feedback.load(), 0);  // failures reached KernelGen as feedback
}

TEST_F(SearchWorkflowTest, KernelGenErrorIsOneFailedCandidate) {
  // Seeds whose first step is -2 make KernelGen fail; search over seeds until one does.
  bool saw = false;
  for (int seed = 0; seed < 40 && !saw; ++seed) {
    config_.search.seed = seed;
    config_.search.rounds = 1;
    auto out = RunEvolve(Context("s" + std::to_string(seed)));
    ASSERT_TRUE(out.ok());
    for (const auto& c : out->candidates) {
      if (!c.generation.ok()) {
        saw = true;
        EXPECT_EQ(c.verdict.reason, "generation_failed");
        EXPECT_EQ(out->candidates.size(), 6u);
      }
    }
  }
  EXPECT_TRUE(saw);
}

TEST_F(SearchWorkflowTest, DevicePoolHoldsOneSlotPerVerificationAndKeepsSlotsBusy) {
  LandscapeHarness slow(15);
  runner_.SetHandler([h = &slow](const ProcessSpec& s) { return (*h)(s); });
  config_.search.concurrency = 6;
  config_.search.rounds = 2;
  auto out = RunEvolve(Context("run", 2));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(slow.measuring.most.load(), 2);  // never more than the pool's slots, and both used
  const Json& u = out->device_utilisation;
  ASSERT_EQ(u["devices"].size(), 2u);
  int leases = 0, generated = 0;
  for (const auto& d : u["devices"]) {
    leases += d["leases"].get<int>();
    EXPECT_GT(d["busy_s"].get<double>(), 0);
  }
  for (const auto& c : out->candidates) generated += c.generation.ok();
  // One lease per generated candidate: verify and profile on the same device; a KernelGen
  // failure never takes a device.
  EXPECT_EQ(leases, generated);
  EXPECT_EQ(out->candidates.size(), 12u);
}

TEST_F(SearchWorkflowTest, EachDeviceSlotHasItsNextCandidateGeneratedWhileItMeasures) {
  LandscapeHarness slow(30);
  runner_.SetHandler([h = &slow](const ProcessSpec& s) { return (*h)(s); });
  gen_.sleep_ms = 30;
  config_.search.concurrency = 2;  // per slot: one measured, one being generated and built
  config_.search.rounds = 2;       // rounds of 6 candidates
  auto out = RunEvolve(Context("run", 2));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(slow.measuring.most.load(), 2);  // the pool's two slots, never more
  // 2 x 2 workers: while both slots measure, two more candidates are generated.
  EXPECT_EQ(gen_.generating.most.load(), 4);
  EXPECT_EQ(out->candidates.size(), 12u);
}

TEST_F(SearchWorkflowTest, AdaptiveSearchIsDeterministicWithOneInFlightAndStopsOnPatience) {
  config_.search.concurrency = 1;
  config_.search.max_candidates = 40;
  config_.search.patience = 10;
  auto a = RunAdaptiveSearch(Context("a", 1));
  auto b = RunAdaptiveSearch(Context("b", 1));
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Trace(*a), Trace(*b));
  ASSERT_NE(a->passing(), nullptr);
  double first = a->candidates[0].fitness();
  EXPECT_GT(a->candidates[a->passing_attempt - 1].fitness(), first * 1.5);
  EXPECT_TRUE(a->stop_reason.find("patience") != std::string::npos ||
              a->stop_reason.find("max_candidates") != std::string::npos)
      << a->stop_reason;
  EXPECT_FALSE(a->search["arms"].empty());
}

TEST_F(SearchWorkflowTest, AdaptiveSearchStopsOnTheCandidateBudgetWithConcurrency) {
  config_.search.concurrency = 3;
  config_.search.max_candidates = 7;
  config_.search.patience = 0;
  auto out = RunAdaptiveSearch(Context("run"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->candidates.size(), 7u);
  EXPECT_NE(out->stop_reason.find("max_candidates"), std::string::npos);
}

TEST_F(SearchWorkflowTest, AdaptiveSearchWithoutAnyBudgetIsRefused) {
  config_.search.max_candidates = 0;
  config_.search.patience = 0;
  config_.search.max_wall_s = 0;
  auto out = RunAdaptiveSearch(Context("run"));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("needs a budget"), std::string::npos);
}

TEST_F(SearchWorkflowTest, BudgetHookStopsTheSearch) {
  config_.search.concurrency = 1;
  auto ctx = Context("run", 1);
  int checks = 0;
  ctx.budget_exhausted = [&checks](std::string* why) {
    if (++checks < 4) return false;
    *why = "token budget spent (scripted)";
    return true;
  };
  auto out = RunAdaptiveSearch(ctx);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->stop_reason, "token budget spent (scripted)");
  EXPECT_LE(out->candidates.size(), 4u);
}

// Interrupt a search in the middle, resume it from its folder: the same final result as an
// uninterrupted run with the same seed, and no finished candidate is built again.
void ExpectResumeMatches(SearchWorkflowTest* t, const std::function<Result<WorkflowOutcome>(const WorkflowContext&)>& run,
                         WorkflowContext whole, WorkflowContext part, int stop_after_verifies,
                         LandscapeHarness* harness, LandscapeGen* gen,
                         std::vector<std::string> (*trace)(const WorkflowOutcome&)) {
  auto full = run(whole);
  ASSERT_TRUE(full.ok()) << full.status().message();
  int start = harness->verifies.load();
  CancelToken interrupted;
  harness->CancelAfterVerifies(start + stop_after_verifies, &interrupted);
  part.cancel = &interrupted;
  auto cut = run(part);
  harness->CancelAfterVerifies(0, nullptr);
  ASSERT_TRUE(cut.ok()) << cut.status().message();
  EXPECT_TRUE(cut->interrupted);
  EXPECT_NE(cut->stop_reason.find("--resume"), std::string::npos);
  size_t finished = cut->candidates.size();
  EXPECT_GT(finished, 0u);
  EXPECT_LT(finished, full->candidates.size());
  CancelToken fresh;
  part.cancel = &fresh;
  part.resume = true;
  int calls_before = gen->calls.load();
  auto resumed = run(part);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_FALSE(resumed->interrupted);
  EXPECT_EQ(trace(*resumed), trace(*full));
  EXPECT_EQ(resumed->passing_attempt, full->passing_attempt);
  // Only the unfinished candidates were generated again.
  EXPECT_EQ(gen->calls.load() - calls_before,
            static_cast<int>(full->candidates.size() - finished));
  (void)t;
}

TEST_F(SearchWorkflowTest, EvolveResumedAfterInterruptEndsLikeAnUninterruptedRun) {
  config_.search.concurrency = 2;
  ExpectResumeMatches(this, RunEvolve, Context("whole"), Context("part"), 10, &harness_, &gen_,
                      Trace);
}

TEST_F(SearchWorkflowTest, AdaptiveResumedAfterInterruptEndsLikeAnUninterruptedRun) {
  config_.search.concurrency = 1;
  config_.search.max_candidates = 20;
  config_.search.patience = 0;
  ExpectResumeMatches(this, RunAdaptiveSearch, Context("whole", 1), Context("part", 1), 9,
                      &harness_, &gen_, Trace);
}

TEST_F(SearchWorkflowTest, ResumeIgnoresALogLineTornByACrash) {
  config_.search.concurrency = 1;
  auto whole = RunEvolve(Context("whole"));
  auto part = Context("part");
  CancelToken interrupted;
  harness_.CancelAfterVerifies(24 + 5, &interrupted);  // whole took 24
  part.cancel = &interrupted;
  ASSERT_TRUE(RunEvolve(part).ok());
  harness_.CancelAfterVerifies(0, nullptr);
  {
    std::ofstream log(runs_[1]->Resolve("search_log.jsonl"), std::ios::app);
    log << "{\"observe\": \"c00";  // the agent died in the middle of a line
  }
  CancelToken fresh;
  part.cancel = &fresh;
  part.resume = true;
  auto resumed = RunEvolve(part);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(Trace(*resumed), Trace(*whole));
}

TEST_F(SearchWorkflowTest, ResumeWithOtherSettingsIsRefused) {
  auto ctx = Context("run");
  ASSERT_TRUE(RunEvolve(ctx).ok());
  config_.search.seed = 99;
  ctx.resume = true;
  auto out = RunEvolve(ctx);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("same configuration"), std::string::npos);
  ctx.resume = true;
  EXPECT_FALSE(RunAdaptiveSearch(ctx).ok());  // an evolve folder is not an adaptive run
}

TEST_F(SearchWorkflowTest, KernelGenOnlyRunsTheStaticRulesButNeverVerifies) {
  auto out = RunKernelGenOnly(Context("run"));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(out->unverified);
  ASSERT_EQ(out->candidates.size(), 1u);
  EXPECT_TRUE(out->candidates[0].verdict.passed());
  EXPECT_EQ(out->passing(), nullptr);  // nothing is claimed verified
  EXPECT_EQ(harness_.statics.load(), 1);
  EXPECT_EQ(harness_.verifies.load(), 0);
  EXPECT_TRUE(fs::exists(runs_[0]->Resolve("attempts/01/static.json")));
}

TEST_F(SearchWorkflowTest, VerifierOnlyVerifiesAndProfilesTheGivenKernel) {
  auto ctx = Context("run");
  fs::path kernel = root_ / "mine.py";
  ASSERT_TRUE(WriteFileAtomic(kernel, "SPEED=2.5\n").ok());
  ctx.kernel_file = kernel;
  auto out = RunVerifierOnly(ctx);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_NE(out->passing(), nullptr);
  EXPECT_DOUBLE_EQ(out->profile->speedup_vs_eager, 2.5);
  EXPECT_EQ(gen_.calls.load(), 0);
  EXPECT_EQ(*ReadFile(runs_[0]->Resolve("attempts/01/kernel.py")), "SPEED=2.5\n");

  ASSERT_TRUE(WriteFileAtomic(kernel, "SPEED=2.5\nFAIL\n").ok());
  auto bad = RunVerifierOnly(Context("run2"));
  EXPECT_FALSE(bad.ok());  // no --kernel given
  auto ctx2 = Context("run3");
  ctx2.kernel_file = kernel;
  auto failed = RunVerifierOnly(ctx2);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->passing(), nullptr);
  EXPECT_FALSE(failed->profile.has_value());
}

}  // namespace
}  // namespace akg

namespace akg {
namespace {

// One record shape for every workflow: a search's top-level profile.json is its best
// candidate's own file (the harness's figures), as a default run's is its passing attempt's.
TEST_F(SearchWorkflowTest, TheTopProfileJsonIsTheBestCandidatesOwn) {
  auto out = RunEvolve(Context("whole"));
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_GT(out->passing_attempt, 0);
  const CandidateRecord& best = out->candidates[out->passing_attempt - 1];
  auto top = ReadFile(runs_[0]->Resolve(RunFiles::kProfile));
  auto own = ReadFile(runs_[0]->Resolve(RunFiles::In(best.dir, RunFiles::kProfile)));
  ASSERT_TRUE(top.ok() && own.ok());
  EXPECT_EQ(*top, *own);
  EXPECT_NE(top->find("timing_method"), std::string::npos);  // the harness's keys
}

}  // namespace
}  // namespace akg
