// Evolve with the LLM KernelGen, the real prompts and skills, and a scripted model that is a
// pure function of its prompt (as a deterministic or cached model is): round 0 must still give
// distinct kernels, and the ranking must follow the kernels' true cost when their work differs
// by 2x or more, whatever the eager timed beside each one does.
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "agents/llm_kernel_gen.h"
#include "builtin/test_graphs.h"
#include "core/files.h"
#include "env/fake_process_runner.h"
#include "llm/scripted_llm.h"
#include "search/rng.h"
#include "skills/skills.h"
#include "store/leaderboard.h"
#include "workflow/device_pool.h"
#include "workflow/search_test_fakes.h"
#include "workflow/workflow.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

constexpr int kWorkLevels = 4;  // work 1, 2, 4 or 8 units: neighbours differ by 2x

// The model: the same prompt always gets the same kernel; its work (the true cost, "WORK=<n>")
// is a function of the prompt as well.
Result<LlmReply> ModelOf(const LlmRequest& r) {
  std::string prompt;
  for (const ChatMessage& m : r.messages) prompt += m.content;
  uint64_t h = std::hash<std::string>{}(prompt);
  int work = 1 << (MixSeed(h) % kWorkLevels);
  return ScriptedLlm::Reply(fmt::format(
      "A kernel.\n\n```python\nclass ModelNew:\n    pass  # prompt {:016x} WORK={}\n```\n", h, work));
}

int WorkOf(const std::string& code) { return std::stoi(code.substr(code.find("WORK=") + 5)); }

// A harness like the real one on a noisy machine: the kernel's time is its work (1 ms a unit)
// give or take 20%; eager timed beside it is anywhere from 0.22 to 8.3 ms (preempted OpenMP
// regions); every speedup divides by the run's one eager baseline (1 ms).
ProcessResult NoisyMachine(const ProcessSpec& spec) {
  std::string command = spec.argv.at(3);
  Json req = *ParseJson(*ReadFile(ArgAfter(spec, "--request")), "request");
  std::string code = *ReadFile(req["candidate_path"].get<std::string>());
  uint64_t h = MixSeed(std::hash<std::string>{}(code));
  Json res;
  if (command == "verify") {
    res = {{"verdict", "passed"}, {"message", ""}};
  } else if (command == "profile") {
    double jitter = 0.8 + 0.4 * static_cast<double>(h % 1000) / 1000;
    double ms = WorkOf(code) * jitter;
    double beside = 0.22 + 8.08 * static_cast<double>((h >> 20) % 1000) / 1000;
    res = {{"ok", true}, {"timing_method", "cpu_wall"}, {"performance_valid", true},
           {"device_name", "test cpu"},
           {"reference", {{"median_ms", beside}, {"runs", 20}}},
           {"eager_baseline", {{"median_ms", 1.0}, {"runs", 40}}},
           {"candidate", {{"median_ms", ms}, {"p10_ms", ms * 0.95}, {"p90_ms", ms * 1.05}, {"runs", 20}}},
           {"speedup_vs_eager", 1.0 / ms}, {"speedup_vs_eager_interleaved", beside / ms},
           {"noisy", Json::array()}, {"suspect", Json::array()}};
  }
  EXPECT_TRUE(WriteFileAtomic(ArgAfter(spec, "--result"), res.dump()).ok());
  return FakeProcessRunner::Exited(0);
}

class SearchGoalsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("akg_search_goals_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    run_ = std::make_unique<RunFolder>(*RunFolder::Create(root_ / "run"));
    ASSERT_TRUE(run_->WriteText("task.py", "class Model: pass\n").ok());
    runner_.SetHandler(NoisyMachine);
    auto skills = LoadSkills({std::string(AKG_SOURCE_DIR) + "/skills"});
    ASSERT_TRUE(skills.ok()) << skills.status().message();
    skills_ = *skills;
    task_.name = "gelu_mul_add";
    task_.task_path = root_ / "gelu_mul_add.py";
    task_.source = "class Model: pass\n";
    task_.inspection = test_graphs::GeluMulAdd({64, 64});
    config_.search.rounds = 3;
    config_.search.islands = 2;
    config_.search.population = 4;
    config_.search.max_candidates = 0;
    config_.search.concurrency = 1;
    config_.search.seed = 11;
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
  std::unique_ptr<RunFolder> run_;
  FakeProcessRunner runner_;
  std::vector<Skill> skills_;
  TaskInfo task_;
  DslConfig config_;
};

TEST_F(SearchGoalsTest, RoundZeroGivesDistinctKernelsAndTheRankingFollowsTheTrueCost) {
  ScriptedLlm llm;
  llm.SetHandler(ModelOf);
  LlmAgentOptions options;
  options.prompts_dir = std::string(AKG_SOURCE_DIR) + "/prompts";
  options.skills = &skills_;
  options.skill_query = {"cpp", "cpu", "x86_64", {}, "", 24000};
  LlmKernelGen gen(&llm, options);
  HarnessOptions ho;
  ho.work_root = root_ / "work";
  HarnessClient harness(&runner_, ho);
  SystemClock clock;
  OwnedDevicePool pool = MakeDevicePool(&runner_, ho, {0}, 1, &clock);
  WorkflowContext ctx;
  ctx.task = &task_;
  ctx.target = {"torch", "cpu", "x86_64", "cpp"};
  ctx.config = &config_;
  ctx.kernel_gen = &gen;
  ctx.harness = &harness;
  ctx.pool = pool.pool.get();
  ctx.run = run_.get();
  auto out = RunEvolve(ctx);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->candidates.size(), 24u);

  std::map<std::string, int> work;
  std::set<std::string> round0;
  int round0_count = 0;
  for (const CandidateRecord& c : out->candidates) {
    std::string code = *ReadFile(run_->Resolve(c.code_path()));
    work[c.id] = WorkOf(code);
    if (c.round == 0) {
      ++round0_count;
      round0.insert(code);
    }
  }
  EXPECT_EQ(round0_count, 8);
  EXPECT_EQ(round0.size(), 8u) << "a deterministic model wrote the same kernel twice in round 0";

  // Fastest first by true work, despite the jitter and the drifting eager beside each kernel.
  std::vector<const CandidateRecord*> board = Leaderboard(*out, out->candidates.size());
  ASSERT_EQ(board.size(), out->candidates.size());
  for (size_t i = 1; i < board.size(); ++i) {
    EXPECT_LE(work[board[i - 1]->id], work[board[i]->id])
        << board[i - 1]->id << " ranked before " << board[i]->id;
  }
  int least = kWorkLevels * 8;
  for (const auto& [id, w] : work) least = std::min(least, w);
  ASSERT_NE(out->passing(), nullptr);
  EXPECT_EQ(work[out->passing()->id], least);  // the search's best is a cheapest kernel
}

}  // namespace
}  // namespace akg
