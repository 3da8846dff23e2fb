// LLM settings: which models exist and which model serves each level (complex / standard /
// fast). Agents ask for a level through agent_model_config in the DSL config.
//
//   ~/.config/akg/settings.yaml (user) ─┐
//   .akg/settings.yaml (project, wins) ─┼─LoadLlmSettings──▶ LlmSettings ──ResolveLevel──▶ ModelSpec
//   AKG_<LEVEL>_* / OPENAI_API_KEY / ANTHROPIC_API_KEY (env, win) ─┘
//
// settings.yaml:
//   models:
//     deepseek:                      # any name
//       provider: openai             # openai | anthropic | command | replay | builtin
//       base_url: https://api.deepseek.com/v1
//       api_key_env: DEEPSEEK_API_KEY   # or api_key: ... (kept out of every log and message)
//       model: deepseek-chat
//       temperature: 0.2             # optional
//       max_tokens: 8192
//       stream: true
//       extra_body: {top_p: 0.95}    # merged into the request body
//       command: [python3, my_model.py]   # provider command
//       replay: runs/<run>/llm/transcript.jsonl  # provider replay
//       timeouts: {connect_s: 10, total_s: 600, idle_s: 60}
//       retry: {max_retries: 4, base_delay_s: 1, max_delay_s: 30, jitter: 0.25}
//       concurrency: 8
//       price: {input_per_mtok: 0.27, output_per_mtok: 1.10}
//   levels: {complex: deepseek, standard: deepseek, fast: deepseek}
//   budget: {tokens: 2000000, cost: 5.0, wall_s: 3600}
//   skills_dirs: [~/my-skills]
//   history_db: ~/akg/history.db     # the run history (store/history.h); a relative path is
//                                    # taken from the settings file's folder; default
//                                    # $XDG_DATA_HOME/akg/history.db or ~/.local/share/akg/history.db
//
// Environment, per level L in COMPLEX / STANDARD / FAST: AKG_L_MODEL (defines the level from
// the environment; without it the other AKG_L_* variables are ignored), AKG_L_BASE_URL, AKG_L_API_KEY, AKG_L_PROVIDER (default openai,
// or anthropic when the base URL names api.anthropic.com). OPENAI_API_KEY / ANTHROPIC_API_KEY
// fill in the key of openai / anthropic models that have none. A level with no model falls
// back to the nearest configured one; with none configured at all, every agent uses the
// builtin offline model.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "llm/model_spec.h"

namespace akg {

struct LlmBudget {
  std::optional<long long> tokens;   // input + output tokens of the whole run
  std::optional<double> cost;        // needs prices on the models
  std::optional<double> wall_s;      // wall time of the run
};

struct LlmSettings {
  std::map<std::string, ModelSpec> models;  // by name
  std::map<std::string, std::string> levels;  // level -> model name
  LlmBudget budget;
  std::vector<std::filesystem::path> skills_dirs;
  std::filesystem::path history_db;  // the run history file; "" = DefaultHistoryPath (store/history.h)
  std::vector<std::string> sources;  // files and variables that contributed, for the report
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnvLookup();

// Parses one settings file's text over `settings` (later files win key by key; a model
// redefined by name is replaced). `file` names the source in errors.
Status ApplySettingsYaml(const std::string& yaml_text, const std::string& file,
                         const EnvLookup& env, LlmSettings* settings);

// Applies AKG_<LEVEL>_* variables and the standard key variables.
Status ApplySettingsEnv(const EnvLookup& env, LlmSettings* settings);

// The user file ($XDG_CONFIG_HOME/akg/settings.yaml or ~/.config/akg/settings.yaml), then
// <project>/.akg/settings.yaml, then the environment. Missing files are skipped.
Result<LlmSettings> LoadLlmSettings(const std::filesystem::path& project_dir, const EnvLookup& env);

// The model for a level, falling back to the nearest configured level (complex: standard, fast;
// standard: complex, fast; fast: standard, complex). nullopt = no model at all (builtin).
std::optional<ModelSpec> ResolveLevel(const LlmSettings& settings, const std::string& level);

// Every API key of the configured models (for redaction in transcripts).
std::vector<std::string> ApiKeys(const LlmSettings& settings);

// Replaces every occurrence of each given key (4 characters or longer) with "[redacted]".
std::string RedactSecrets(const std::string& text, const std::vector<std::string>& keys);

}  // namespace akg
