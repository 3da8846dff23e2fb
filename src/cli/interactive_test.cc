#include "cli/interactive.h"

#include <gtest/gtest.h>

#include "env/fake_env.h"

namespace akg {
namespace {

ReadResult Line(const std::string& text) { return {ReadResult::Kind::kLine, text}; }
ReadResult Paste(const std::string& text) { return {ReadResult::Kind::kPaste, text}; }

TEST(ClassifyEntryTest, CommandsSentencesAndCodeAreToldApart) {
  EXPECT_EQ(ClassifyEntry(Line("  ")), EntryKind::kEmpty);
  EXPECT_EQ(ClassifyEntry(Line("/target dsl=cpp")), EntryKind::kCommand);
  EXPECT_EQ(ClassifyEntry(Line("Generate a relu kernel")), EntryKind::kSentence);
  EXPECT_EQ(ClassifyEntry(Line("gelu then multiply by 2")), EntryKind::kSentence);
  // A paste of several lines is code, whatever it opens with; so is one line of Python.
  EXPECT_EQ(ClassifyEntry(Paste("x = 1\nclass Model: pass")), EntryKind::kCode);
  EXPECT_EQ(ClassifyEntry(Line("import torch")), EntryKind::kCode);
  EXPECT_EQ(ClassifyEntry(Paste("/not a command\nsecond line")), EntryKind::kCode);
  // A single pasted sentence is still a sentence.
  EXPECT_EQ(ClassifyEntry(Paste("Generate a softmax kernel")), EntryKind::kSentence);
}

TEST(ConfigSettingTest, KeyEqualsValueOrAMessageNamingTheForm) {
  auto ok = ParseConfigSetting("verify_settings.trials = 3");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->first, "verify_settings.trials");
  EXPECT_EQ(ok->second, "3");
  for (const char* bad : {"max_steps", "=3", "max_steps=", "two words=1"}) {
    auto r = ParseConfigSetting(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("KEY=VALUE"), std::string::npos);
  }
}

TEST(ConfigSettingTest, DottedKeysMergeIntoTheOverrideWithTypedValues) {
  auto merged = MergeConfigOverride("max_steps: 5\nverify_settings:\n  seed: 7\n",
                                    {{"verify_settings.trials", "3"},
                                     {"profile_settings.baselines", "[eager]"},
                                     {"max_steps", "2"}});
  ASSERT_TRUE(merged.ok()) << merged.status().message();
  EXPECT_NE(merged->find("max_steps: 2"), std::string::npos) << *merged;
  EXPECT_NE(merged->find("seed: 7"), std::string::npos) << *merged;
  EXPECT_NE(merged->find("trials: 3"), std::string::npos) << *merged;
  EXPECT_NE(merged->find("eager"), std::string::npos) << *merged;
  EXPECT_FALSE(MergeConfigOverride("- a list\n", {{"k", "1"}}).ok());
}

TEST(TargetArgsTest, KeyValuesOrThreePositionalWords) {
  SessionOptions now;
  now.target = {"torch", "cpu", "x86_64", "cpp"};
  auto kv = ApplyTargetArgs(now, "dsl=triton_cuda backend=cuda arch=h100 devices=0,1");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->target.dsl, "triton_cuda");
  EXPECT_EQ(kv->target.arch, "h100");
  EXPECT_EQ(kv->devices, "0,1");
  auto pos = ApplyTargetArgs(now, "cuda a100 triton_cuda 3");
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(pos->target.backend, "cuda");
  EXPECT_EQ(pos->devices, "3");
  EXPECT_FALSE(ApplyTargetArgs(now, "").ok());
  EXPECT_FALSE(ApplyTargetArgs(now, "colour=blue").ok());
  EXPECT_FALSE(ApplyTargetArgs(now, "cuda h100").ok());
}

TEST(InteractiveHistoryPathTest, StateHomeThenHome) {
  FakeEnv env;
  EXPECT_EQ(InteractiveHistoryPath(env), "");
  env.vars["HOME"] = "/home/u";
  EXPECT_EQ(InteractiveHistoryPath(env), "/home/u/.local/state/akg/history");
  env.vars["XDG_STATE_HOME"] = "/s";
  EXPECT_EQ(InteractiveHistoryPath(env), "/s/akg/history");
}

}  // namespace
}  // namespace akg
