// Turns settings into ready clients: one client per configured model (shared by every agent
// and level that uses it, so its concurrency limit holds across them), each wrapped as
//   provider (openai | anthropic | command | replay) ─▶ AccountedLlm (ledger, budget)
//                                                     ─▶ RecordingLlm (run folder transcript)
// A level that resolves to no model, or to a model with provider `builtin`, gets no client:
// the agent factory then uses the builtin offline model for it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "env/clock.h"
#include "env/process_runner.h"
#include "llm/accounting.h"
#include "llm/llm.h"
#include "llm/settings.h"
#include "llm/transcript.h"

namespace akg {

struct LlmDeps {
  ProcessRunner* runner = nullptr;  // command provider
  Clock* clock = nullptr;           // back-off and budgets
};

class ModelRegistry {
 public:
  ModelRegistry(LlmSettings settings, LlmDeps deps, Ledger* ledger,
                std::shared_ptr<TranscriptRecorder> recorder);
  // The client that serves `level`, or null for the builtin model. Errors are bad settings
  // (e.g. a replay transcript that cannot be read).
  Result<std::shared_ptr<LlmClient>> ForLevel(const std::string& level);
  // "openai-compatible deepseek-chat at https://... (model 'ds')" or "builtin".
  std::string DescribeLevel(const std::string& level) const;
  const LlmSettings& settings() const { return settings_; }

 private:
  Result<std::shared_ptr<LlmClient>> Build(const ModelSpec& spec);
  LlmSettings settings_;
  LlmDeps deps_;
  Ledger* ledger_;
  std::shared_ptr<TranscriptRecorder> recorder_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<LlmClient>> by_model_;
};

}  // namespace akg
