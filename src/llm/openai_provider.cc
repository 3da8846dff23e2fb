#include "llm/openai_provider.h"

namespace akg {
namespace {

std::string NormaliseFinish(const std::string& reason) {
  if (reason == "eos" || reason == "end_turn") return "stop";  // some compatible servers
  if (reason == "max_tokens") return "length";
  return reason;  // stop, length, content_filter, tool_calls, function_call
}

// An "error" object inside a 2xx stream or body (OpenRouter, vLLM and others send these).
void ReadError(const Json& error, ReplyParts* parts) {
  std::string message = error.is_string() ? error.get<std::string>()
                                          : StringOr(error, "message", error.dump());
  std::string code = error.is_object() && error.contains("code") ? error["code"].dump() : "";
  std::string type = StringOr(error, "type", "") + " " + code + " " + message;
  if (type.find("rate") != std::string::npos || code == "429") {
    parts->error_kind = LlmErrorKind::kRateLimited;
  } else if (type.find("auth") != std::string::npos || code == "401") {
    parts->error_kind = LlmErrorKind::kAuth;
  } else {
    parts->error_kind = LlmErrorKind::kServer;
  }
  parts->error_message = message;
}

void ReadUsage(const Json& j, ReplyParts* parts) {
  if (!j.contains("usage") || !j["usage"].is_object()) return;
  const Json& u = j["usage"];
  if (u.contains("prompt_tokens") && u["prompt_tokens"].is_number()) {
    parts->input_tokens = u["prompt_tokens"].get<int64_t>();
  }
  if (u.contains("completion_tokens") && u["completion_tokens"].is_number()) {
    parts->output_tokens = u["completion_tokens"].get<int64_t>();
  }
}

// Text fields of a delta (streamed) or a message (whole reply).
void ReadContent(const Json& m, ReplyParts* parts, std::string* new_text) {
  *new_text = StringOr(m, "content", "");
  parts->text += *new_text;
  parts->reasoning += StringOr(m, "reasoning_content", "");
  parts->reasoning += StringOr(m, "reasoning", "");
  parts->refusal += StringOr(m, "refusal", "");
}

Status ReadChunk(const Json& j, ReplyParts* parts, std::string* new_text) {
  new_text->clear();
  if (!j.is_object()) return InternalError("a reply chunk is not a JSON object");
  if (j.contains("error")) {
    ReadError(j["error"], parts);
    return Status::Ok();
  }
  parts->model = StringOr(j, "model", parts->model);
  ReadUsage(j, parts);
  if (!j.contains("choices") || !j["choices"].is_array()) {
    // The usage-only last chunk has "choices": []; anything without choices is not ours.
    return j.contains("usage") ? Status::Ok() : InternalError("no \"choices\" in the reply");
  }
  if (j["choices"].empty()) return Status::Ok();
  const Json& choice = j["choices"][0];
  if (!choice.is_object()) return InternalError("choices[0] is not an object");
  for (const char* key : {"delta", "message"}) {
    if (choice.contains(key) && choice[key].is_object()) ReadContent(choice[key], parts, new_text);
  }
  std::string finish = StringOr(choice, "finish_reason", "");
  if (!finish.empty()) parts->finish_reason = NormaliseFinish(finish);
  return Status::Ok();
}

class OpenAiDialect final : public ChatDialect {
 public:
  std::string Name() const override { return "openai-compatible"; }
  std::string KeyVariable() const override { return "OPENAI_API_KEY"; }

  Result<HttpRequest> BuildRequest(const ModelSpec& spec,
                                   const LlmRequest& request) const override {
    HttpRequest http;
    std::string base = CleanBaseUrl(spec.base_url);
    http.url = base.ends_with("/chat/completions") ? base : base + "/chat/completions";
    http.headers.emplace_back("Content-Type", "application/json");
    http.headers.emplace_back("Accept", spec.stream ? "text/event-stream" : "application/json");
    if (!spec.api_key.empty()) http.headers.emplace_back("Authorization", "Bearer " + spec.api_key);
    http.timeouts = spec.timeouts;

    Json body = {{"model", spec.model}, {"messages", Json::array()}, {"stream", spec.stream}};
    for (const ChatMessage& m : request.messages) {
      body["messages"].push_back({{"role", m.role}, {"content", m.content}});
    }
    if (auto t = request.temperature ? request.temperature : spec.temperature) {
      body["temperature"] = *t;
    }
    // 31 bits: OpenAI-compatible servers (vLLM, llama.cpp) read the seed as a plain int.
    if (request.seed) body["seed"] = static_cast<int64_t>(*request.seed & 0x7fffffffu);
    bool openai_itself = base.find("://api.openai.com") != std::string::npos;
    body[openai_itself ? "max_completion_tokens" : "max_tokens"] =
        request.max_tokens.value_or(spec.max_tokens);
    if (spec.stream) body["stream_options"] = {{"include_usage", true}};
    MergeExtraBody(spec, &body);
    http.body = DumpBody(body);
    return http;
  }

  Status OnEvent(const SseEvent& event, ReplyParts* parts,
                 const std::function<void(const std::string&)>& on_text) const override {
    if (event.data == "[DONE]") {
      parts->done = true;
      return Status::Ok();
    }
    Result<Json> j = ParseJson(event.data, "a stream event");
    if (!j.ok()) return j.status();
    std::string new_text;
    AKG_RETURN_IF_ERROR(ReadChunk(*j, parts, &new_text));
    on_text(new_text);
    return Status::Ok();
  }

  Status ParseBody(const Json& body, ReplyParts* parts) const override {
    std::string ignored;
    return ReadChunk(body, parts, &ignored);
  }
};

}  // namespace

std::unique_ptr<ChatDialect> NewOpenAiDialect() { return std::make_unique<OpenAiDialect>(); }

Result<std::unique_ptr<LlmClient>> MakeOpenAiClient(const ModelSpec& spec, HttpDeps deps) {
  AKG_RETURN_IF_ERROR(ValidateHttpSpec(spec, "openai"));
  return NewHttpLlmClient(spec, NewOpenAiDialect(), std::move(deps));
}

}  // namespace akg
