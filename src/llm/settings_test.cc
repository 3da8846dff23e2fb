#include "llm/settings.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace akg {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(LlmSettings, ParsesModelsLevelsBudgetAndKeyFromEnvVariable) {
  LlmSettings s;
  auto env = FakeEnv({{"DS_KEY", "sk-secret-123"}});
  ASSERT_TRUE(ApplySettingsYaml(R"(
models:
  ds:
    provider: openai
    base_url: https://api.deepseek.com/v1
    api_key_env: DS_KEY
    model: deepseek-chat
    temperature: 0.2
    max_tokens: 4096
    extra_body: {top_p: 0.9, thinking: {type: enabled}}
    timeouts: {connect_s: 5, idle_s: 30}
    retry: {max_retries: 2, base_delay_s: 0.5}
    concurrency: 3
    price: {input_per_mtok: 0.27, output_per_mtok: 1.1}
  local:
    provider: command
    command: [python3, model.py]
levels: {complex: ds, fast: local}
budget: {tokens: 5000000, cost: 2.5, wall_s: 600}
)", "s.yaml", env, &s).ok());
  const ModelSpec& m = s.models.at("ds");
  EXPECT_EQ(m.api_key, "sk-secret-123");
  EXPECT_EQ(m.model, "deepseek-chat");
  EXPECT_DOUBLE_EQ(*m.temperature, 0.2);
  EXPECT_EQ(m.max_tokens, 4096);
  EXPECT_DOUBLE_EQ(m.extra_body["top_p"].get<double>(), 0.9);
  EXPECT_EQ(m.extra_body["thinking"]["type"], "enabled");
  EXPECT_DOUBLE_EQ(m.timeouts.connect_s, 5);
  EXPECT_DOUBLE_EQ(m.timeouts.total_s, 600);
  EXPECT_EQ(m.retry.max_retries, 2);
  EXPECT_EQ(m.concurrency, 3);
  EXPECT_DOUBLE_EQ(m.price->output_per_mtok, 1.1);
  EXPECT_EQ(s.models.at("local").command, (std::vector<std::string>{"python3", "model.py"}));
  EXPECT_EQ(*s.budget.tokens, 5000000);
  EXPECT_DOUBLE_EQ(*s.budget.wall_s, 600);
  // standard is not configured: nearest is complex.
  EXPECT_EQ(ResolveLevel(s, "standard")->name, "ds");
  EXPECT_EQ(ResolveLevel(s, "fast")->name, "local");
}

TEST(LlmSettings, ErrorsNameKeyAndFile) {
  LlmSettings s;
  auto env = FakeEnv({});
  auto st = ApplySettingsYaml("models:\n  a:\n    provider: openai\n    modle: x\n", "p.yaml", env, &s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("models.a.modle"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("p.yaml"), std::string::npos);

  st = ApplySettingsYaml("models:\n  a:\n    provider: gemini\n", "p.yaml", env, &s);
  EXPECT_NE(st.message().find("models.a.provider"), std::string::npos) << st.message();

  st = ApplySettingsYaml("models:\n  a:\n    provider: openai\n", "p.yaml", env, &s);
  EXPECT_NE(st.message().find("needs a model id"), std::string::npos) << st.message();

  st = ApplySettingsYaml("levels: {standard: nope}\n", "p.yaml", env, &s);
  EXPECT_NE(st.message().find("'nope'"), std::string::npos) << st.message();

  st = ApplySettingsYaml("models:\n  a:\n    model: m\n    api_key_env: MISSING_VAR\n", "p.yaml",
                         env, &s);
  EXPECT_NE(st.message().find("MISSING_VAR"), std::string::npos) << st.message();

  st = ApplySettingsYaml("models: [1, 2\n", "p.yaml", env, &s);
  EXPECT_NE(st.message().find("cannot parse p.yaml"), std::string::npos) << st.message();
  st = ApplySettingsYaml("models:\n  a:\n    model: m\n    base_url: ftp://x\n", "p.yaml", env, &s);
  EXPECT_NE(st.message().find("ftp://x"), std::string::npos) << st.message();
}

TEST(LlmSettings, EnvironmentDefinesLevelsAndStandardKeysFillIn) {
  LlmSettings s;
  auto env = FakeEnv({{"AKG_STANDARD_MODEL", "qwen-max"},
                      {"AKG_STANDARD_BASE_URL", "http://127.0.0.1:9/v1"},
                      {"AKG_COMPLEX_MODEL", "claude-x"},
                      {"AKG_COMPLEX_BASE_URL", "https://api.anthropic.com"},
                      {"ANTHROPIC_API_KEY", "ak-1234"},
                      {"OPENAI_API_KEY", "sk-9999"}});
  ASSERT_TRUE(ApplySettingsEnv(env, &s).ok());
  auto standard = ResolveLevel(s, "standard");
  ASSERT_TRUE(standard);
  EXPECT_EQ(standard->provider, "openai");
  EXPECT_EQ(standard->api_key, "sk-9999");
  auto complex = ResolveLevel(s, "complex");
  EXPECT_EQ(complex->provider, "anthropic");
  EXPECT_EQ(complex->api_key, "ak-1234");
  EXPECT_EQ(ResolveLevel(s, "fast")->model, "qwen-max");  // nearest: standard

  LlmSettings t;
  ASSERT_TRUE(ApplySettingsEnv(FakeEnv({{"AKG_FAST_API_KEY", "k"}}), &t).ok());
  EXPECT_FALSE(ResolveLevel(t, "fast"));  // a key alone defines no model
}

TEST(LlmSettings, NothingConfiguredMeansBuiltin) {
  LlmSettings s;
  ASSERT_TRUE(ApplySettingsEnv(FakeEnv({{"OPENAI_API_KEY", "sk-1"}}), &s).ok());
  EXPECT_FALSE(ResolveLevel(s, "standard"));
}

TEST(LlmSettings, ProjectFileOverridesUserFile) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("akg-settings-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "home/.config/akg");
  fs::create_directories(root / "proj/.akg");
  std::ofstream(root / "home/.config/akg/settings.yaml")
      << "models:\n  a: {model: user-model}\n  b: {model: other}\nlevels: {standard: a, fast: b}\n";
  std::ofstream(root / "proj/.akg/settings.yaml") << "models:\n  a: {model: project-model}\n";
  auto s = LoadLlmSettings(root / "proj", FakeEnv({{"HOME", (root / "home").string()}}));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(ResolveLevel(*s, "standard")->model, "project-model");
  EXPECT_EQ(ResolveLevel(*s, "fast")->model, "other");
  EXPECT_EQ(s->sources.size(), 2u);
  fs::remove_all(root);
}

TEST(LlmSettings, HistoryDbExpandsHomeAndIsTakenFromTheSettingsFilesFolder) {
  auto env = FakeEnv({{"HOME", "/home/u"}});
  LlmSettings s;
  ASSERT_TRUE(ApplySettingsYaml("history_db: ~/akg/h.db\n", "/x/settings.yaml", env, &s).ok());
  EXPECT_EQ(s.history_db, std::filesystem::path("/home/u/akg/h.db"));
  ASSERT_TRUE(ApplySettingsYaml("history_db: runs.db\n", "/proj/.akg/settings.yaml", env, &s).ok());
  EXPECT_EQ(s.history_db, std::filesystem::path("/proj/.akg/runs.db"));

  auto st = ApplySettingsYaml("history_db: [a, b]\n", "p.yaml", env, &s);
  EXPECT_NE(st.message().find("key 'history_db' in p.yaml must be a file path"), std::string::npos)
      << st.message();
  st = ApplySettingsYaml("history_db: ''\n", "p.yaml", env, &s);
  EXPECT_FALSE(st.ok());
  st = ApplySettingsYaml("histroy_db: x\n", "p.yaml", env, &s);
  EXPECT_NE(st.message().find("history_db"), std::string::npos) << st.message();  // in the known list
}

TEST(LlmSettings, RedactsKeys) {
  EXPECT_EQ(RedactSecrets("key sk-abcdef and sk-abcdef", {"sk-abcdef", "ab"}),
            "key [redacted] and [redacted]");
}

}  // namespace
}  // namespace akg
