#include "llm/registry.h"

#include "llm/anthropic_provider.h"
#include "llm/command_provider.h"
#include "llm/openai_provider.h"

namespace akg {

ModelRegistry::ModelRegistry(LlmSettings settings, LlmDeps deps, Ledger* ledger,
                             std::shared_ptr<TranscriptRecorder> recorder)
    : settings_(std::move(settings)), deps_(deps), ledger_(ledger), recorder_(std::move(recorder)) {}

Result<std::shared_ptr<LlmClient>> ModelRegistry::Build(const ModelSpec& spec) {
  std::shared_ptr<LlmClient> client;
  if (spec.provider == "openai" || spec.provider == "anthropic") {
    HttpDeps http;
    if (deps_.clock) http.clock = std::shared_ptr<Clock>(deps_.clock, [](Clock*) {});
    auto made = spec.provider == "openai" ? MakeOpenAiClient(spec, http)
                                          : MakeAnthropicClient(spec, http);
    if (!made.ok()) return made.status();
    client = std::move(made).value();
  } else if (spec.provider == "command") {
    client = MakeCommandClient(spec, deps_.runner, deps_.clock);
  } else if (spec.provider == "replay") {
    auto replay = ReplayLlm::Load(spec.replay_path);
    if (!replay.ok()) return replay.status();
    client = std::move(replay).value();
  } else {
    return UnsupportedError("model '" + spec.name + "' has provider '" + spec.provider +
                            "', which cannot serve LLM calls");
  }
  if (ledger_) client = std::make_shared<AccountedLlm>(client, spec, ledger_);
  if (recorder_) client = std::make_shared<RecordingLlm>(client, spec.name, recorder_);
  return client;
}

Result<std::shared_ptr<LlmClient>> ModelRegistry::ForLevel(const std::string& level) {
  auto spec = ResolveLevel(settings_, level);
  if (!spec || spec->provider == "builtin") return std::shared_ptr<LlmClient>();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_model_.find(spec->name);
  if (it != by_model_.end()) return it->second;
  AKG_ASSIGN_OR_RETURN(auto client, Build(*spec));
  by_model_[spec->name] = client;
  return client;
}

std::string ModelRegistry::DescribeLevel(const std::string& level) const {
  auto spec = ResolveLevel(settings_, level);
  if (!spec || spec->provider == "builtin") return "builtin";
  std::string where = spec->provider == "command" ? "command " + spec->command.front()
                      : spec->provider == "replay" ? "replay of " + spec->replay_path
                                                   : spec->provider + " " + spec->model + " at " +
                                                         spec->base_url;
  return where + " (model '" + spec->name + "')";
}

}  // namespace akg
