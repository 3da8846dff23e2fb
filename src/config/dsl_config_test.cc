#include "config/dsl_config.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace akg {
namespace {

TEST(DslConfigTest, ParsesEveryField) {
  DslConfig c;
  Status s = ApplyConfigYaml(R"(
agent_model_config: {kernel_designer: fast, kernel_gen: complex, task_constructor: standard}
log_dir: /tmp/x
default_workflow: coder_only
max_steps: 5
verify_timeout: 12.5
profile_timeout: 30
inspect_timeout: 40
profile_settings: {run_times: 7, warmup_times: 0, baselines: [eager], graph_below_us: 50, suspect_speedup: 20}
verify_settings: {trials: 2, seed: 9, atol: 0.001, rtol: null, policy: partial, shapes: task, reference_cache: false, extra_glue: [torch.cat]}
python: /usr/bin/python3
)", "a.yaml", &c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.agent_model_config["kernel_designer"], "fast");
  EXPECT_EQ(c.agent_model_config["kernel_gen"], "complex");
  EXPECT_EQ(c.log_dir, "/tmp/x");
  EXPECT_EQ(c.default_workflow, "coder_only");
  EXPECT_EQ(c.max_steps, 5);
  EXPECT_DOUBLE_EQ(c.verify_timeout, 12.5);
  EXPECT_DOUBLE_EQ(c.profile_timeout, 30);
  EXPECT_DOUBLE_EQ(c.inspect_timeout, 40);
  EXPECT_EQ(c.profile_settings.run_times, 7);
  EXPECT_EQ(c.profile_settings.warmup_times, 0);
  EXPECT_EQ(c.verify_settings.trials, 2);
  EXPECT_EQ(c.verify_settings.seed, 9);
  ASSERT_TRUE(c.verify_settings.atol.has_value());
  EXPECT_DOUBLE_EQ(*c.verify_settings.atol, 0.001);
  EXPECT_FALSE(c.verify_settings.rtol.has_value());
  EXPECT_EQ(c.python, "/usr/bin/python3");
  EXPECT_EQ(c.profile_settings.baselines, (std::vector<std::string>{"eager"}));
  EXPECT_DOUBLE_EQ(c.profile_settings.graph_below_us, 50);
  EXPECT_DOUBLE_EQ(c.profile_settings.suspect_speedup, 20);
  EXPECT_EQ(c.verify_settings.policy, "partial");
  EXPECT_EQ(c.verify_settings.shapes, "task");
  EXPECT_FALSE(c.verify_settings.reference_cache);
  EXPECT_EQ(c.verify_settings.extra_glue, (std::vector<std::string>{"torch.cat"}));
  EXPECT_EQ(c.sources["profile_settings.run_times"], "a.yaml");
}

TEST(DslConfigTest, UnknownKeyNamesKeyAndFile) {
  DslConfig c;
  Status s = ApplyConfigYaml("profile_settings: {run_time: 3}\n", "my.yaml", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kConfig);
  EXPECT_NE(s.message().find("'profile_settings.run_time'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("my.yaml"), std::string::npos);
  EXPECT_NE(s.message().find("run_times"), std::string::npos);  // lists the known keys
}

TEST(DslConfigTest, WrongTypeNamesKeyAndExpectedType) {
  DslConfig c;
  Status s = ApplyConfigYaml("profile_settings:\n  run_times: many\n", "my.yaml", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'profile_settings.run_times'"), std::string::npos);
  EXPECT_NE(s.message().find("integer"), std::string::npos);
  EXPECT_NE(s.message().find("'many'"), std::string::npos);
}

TEST(DslConfigTest, RejectsUnknownModelLevelAndWorkflow) {
  DslConfig c;
  EXPECT_FALSE(ApplyConfigYaml("agent_model_config: {kernel_gen: huge}\n", "f", &c).ok());
  EXPECT_FALSE(ApplyConfigYaml("agent_model_config: {painter: fast}\n", "f", &c).ok());
  EXPECT_FALSE(ApplyConfigYaml("default_workflow: magic\n", "f", &c).ok());
  EXPECT_FALSE(ApplyConfigYaml("max_steps: 0\n", "f", &c).ok());
  EXPECT_FALSE(ApplyConfigYaml("- a\n- b\n", "f", &c).ok());
  EXPECT_FALSE(ApplyConfigYaml("verify_settings: {policy: lenient}\n", "f", &c).ok());
  EXPECT_FALSE(ApplyConfigYaml("profile_settings: {baselines: [eager, tvm]}\n", "f", &c).ok());
  EXPECT_FALSE(ApplyConfigYaml("verify_settings: {reference_cache: maybe}\n", "f", &c).ok());
}

TEST(DslConfigTest, ShapesDefaultsToVaryAndRejectsOtherValues) {
  DslConfig c;
  EXPECT_EQ(c.verify_settings.shapes, "vary");
  ASSERT_TRUE(ApplyConfigYaml("verify_settings: {shapes: task}\n", "f", &c).ok());
  EXPECT_EQ(c.verify_settings.shapes, "task");
  ASSERT_TRUE(ApplyConfigYaml("verify_settings: {shapes: vary}\n", "f", &c).ok());
  EXPECT_EQ(c.verify_settings.shapes, "vary");
  Status s = ApplyConfigYaml("verify_settings: {shapes: random}\n", "my.yaml", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'verify_settings.shapes'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("task, vary"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'random'"), std::string::npos) << s.message();
  EXPECT_EQ(c.verify_settings.shapes, "vary");  // a rejected value changes nothing
}

TEST(DslConfigTest, TheEagerBaselineAndNoiseSettingsDefaultOnAndCheckTheirRange) {
  DslConfig c;
  EXPECT_TRUE(c.profile_settings.shared_eager_baseline);
  EXPECT_DOUBLE_EQ(c.profile_settings.noisy_spread, 1.5);
  ASSERT_TRUE(ApplyConfigYaml(
      "profile_settings: {shared_eager_baseline: false, noisy_spread: 2.5}\n", "f", &c).ok());
  EXPECT_FALSE(c.profile_settings.shared_eager_baseline);
  EXPECT_DOUBLE_EQ(c.profile_settings.noisy_spread, 2.5);
  Status s = ApplyConfigYaml("profile_settings: {noisy_spread: 1}\n", "my.yaml", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("a number above 1"), std::string::npos) << s.message();
}

TEST(DslConfigTest, TheOptimiseStepsDefaultToTwoBelow095xAndCheckTheirRange) {
  DslConfig c;
  EXPECT_EQ(c.optimise_steps, 2);
  EXPECT_DOUBLE_EQ(c.optimise_settings.below_baseline, 0.95);
  EXPECT_DOUBLE_EQ(c.optimise_settings.below_sol, 0);  // off
  EXPECT_FALSE(c.profile_settings.counters);
  ASSERT_TRUE(ApplyConfigYaml("optimise_steps: 0\noptimise_settings: {below_baseline: 0.8, "
                              "below_sol: 0.3}\nprofile_settings: {counters: true}\n",
                              "f", &c).ok());
  EXPECT_EQ(c.optimise_steps, 0);
  EXPECT_DOUBLE_EQ(c.optimise_settings.below_baseline, 0.8);
  EXPECT_DOUBLE_EQ(c.optimise_settings.below_sol, 0.3);
  EXPECT_TRUE(c.profile_settings.counters);
  for (const char* bad : {"optimise_steps: -1\n", "optimise_settings: {below_baseline: 1.5}\n",
                          "optimise_settings: {below_sol: fast}\n",
                          "optimise_settings: {margin: 0.9}\n", "profile_settings: {counters: 3}\n"}) {
    Status s = ApplyConfigYaml(bad, "my.yaml", &c);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.kind(), ErrorKind::kConfig);
    EXPECT_NE(s.message().find("my.yaml"), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();  // one line
  }
  EXPECT_NE(ApplyConfigYaml("optimise_settings: {below_baseline: 1.5}\n", "my.yaml", &c)
                .message()
                .find("'optimise_settings.below_baseline' in my.yaml must be a number from 0 to 1"),
            std::string::npos);
}

TEST(DslConfigTest, BadYamlReportsLine) {
  DslConfig c;
  Status s = ApplyConfigYaml("log_dir: runs\nprofile_settings: {run_times: [\n", "bad.yaml", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bad YAML in bad.yaml"), std::string::npos) << s.message();
}

TEST(DslConfigTest, OverrideFileChangesOnlyItsKeys) {
  auto dir = std::filesystem::temp_directory_path() / "akg_dsl_config_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "cpp.yaml") << "max_steps: 4\nprofile_settings: {run_times: 20, warmup_times: 2}\n";
  std::ofstream(dir / "user.yaml") << "profile_settings: {run_times: 3}\n";
  auto c = LoadDslConfig(dir, "cpp", dir / "user.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->max_steps, 4);
  EXPECT_EQ(c->profile_settings.run_times, 3);
  EXPECT_EQ(c->profile_settings.warmup_times, 2);
  auto missing = LoadDslConfig(dir, "cpp", dir / "nope.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.yaml"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(DslConfigTest, EveryShippedConfigParsesAndVariesShapes) {
  const std::filesystem::path dir = std::filesystem::path(AKG_SOURCE_DIR) / "configs";
  for (const char* dsl : {"cpp", "cuda", "tilelang_cuda", "triton_ascend", "triton_cuda"}) {
    auto c = LoadDslConfig(dir, dsl, std::nullopt);
    ASSERT_TRUE(c.ok()) << dsl << ": " << c.status().message();
    EXPECT_EQ(c->verify_settings.shapes, "vary") << dsl;
    EXPECT_EQ(c->optimise_steps, 2) << dsl;  // the defaults live in the shipped files too
    EXPECT_EQ(c->sources["optimise_settings.below_baseline"],
              (dir / (std::string(dsl) + ".yaml")).string());
    EXPECT_EQ(c->sources["verify_settings.shapes"], (dir / (std::string(dsl) + ".yaml")).string());
  }
}

}  // namespace
}  // namespace akg
