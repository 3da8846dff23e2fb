#include "llm/anthropic_provider.h"

namespace akg {
namespace {

constexpr const char* kApiVersion = "2023-06-01";

std::string NormaliseStop(const std::string& reason) {
  if (reason == "end_turn" || reason == "stop_sequence") return "stop";
  if (reason == "max_tokens") return "length";
  return reason;  // refusal, tool_use, pause_turn
}

LlmErrorKind ErrorKindOf(const std::string& type) {
  if (type == "rate_limit_error") return LlmErrorKind::kRateLimited;
  if (type == "authentication_error" || type == "permission_error") return LlmErrorKind::kAuth;
  if (type == "invalid_request_error" || type == "not_found_error") return LlmErrorKind::kConfig;
  return LlmErrorKind::kServer;  // overloaded_error, api_error, timeouts
}

int64_t Count(const Json& usage, const char* key) {
  return usage.contains(key) && usage[key].is_number() ? usage[key].get<int64_t>() : 0;
}

// Cached prompt tokens are counted apart from input_tokens; the prompt is their sum.
void ReadUsage(const Json& usage, ReplyParts* parts) {
  if (!usage.is_object()) return;
  if (usage.contains("input_tokens") && usage["input_tokens"].is_number()) {
    parts->input_tokens = Count(usage, "input_tokens") +
                          Count(usage, "cache_creation_input_tokens") +
                          Count(usage, "cache_read_input_tokens");
  }
  if (usage.contains("output_tokens") && usage["output_tokens"].is_number()) {
    parts->output_tokens = Count(usage, "output_tokens");
  }
}

// A content block (whole reply, or the start of a streamed block); returns new visible text.
std::string ReadBlock(const Json& block, ReplyParts* parts) {
  std::string type = StringOr(block, "type", "");
  if (type == "thinking") parts->reasoning += StringOr(block, "thinking", "");
  if (type != "text") return "";
  std::string text = StringOr(block, "text", "");
  parts->text += text;
  return text;
}

void ReadError(const Json& j, ReplyParts* parts) {
  const Json& error = j.contains("error") ? j["error"] : j;
  parts->error_kind = ErrorKindOf(StringOr(error, "type", ""));
  parts->error_message = StringOr(error, "message", StringOr(error, "type", "unknown error"));
}

Status ReadEvent(const Json& j, ReplyParts* parts, std::string* new_text) {
  std::string type = StringOr(j, "type", "");
  if (type == "message_start") {
    const Json& message = j.contains("message") ? j["message"] : Json::object();
    parts->model = StringOr(message, "model", parts->model);
    if (message.contains("usage")) ReadUsage(message["usage"], parts);
  } else if (type == "content_block_start") {
    if (j.contains("content_block")) *new_text = ReadBlock(j["content_block"], parts);
  } else if (type == "content_block_delta") {
    const Json& delta = j.contains("delta") ? j["delta"] : Json::object();
    std::string delta_type = StringOr(delta, "type", "");
    if (delta_type == "text_delta") *new_text = StringOr(delta, "text", "");
    if (delta_type == "thinking_delta") parts->reasoning += StringOr(delta, "thinking", "");
    parts->text += *new_text;
  } else if (type == "message_delta") {
    if (j.contains("delta")) {
      std::string stop = StringOr(j["delta"], "stop_reason", "");
      if (!stop.empty()) parts->finish_reason = NormaliseStop(stop);
    }
    if (j.contains("usage")) ReadUsage(j["usage"], parts);
  } else if (type == "message_stop") {
    parts->done = true;
  } else if (type == "error") {
    ReadError(j, parts);
  } else if (type.empty()) {
    return InternalError("a stream event without \"type\"");
  }
  return Status::Ok();  // ping, content_block_stop and future event types
}

class AnthropicDialect final : public ChatDialect {
 public:
  std::string Name() const override { return "anthropic"; }
  std::string KeyVariable() const override { return "ANTHROPIC_API_KEY"; }

  Result<HttpRequest> BuildRequest(const ModelSpec& spec,
                                   const LlmRequest& request) const override {
    HttpRequest http;
    std::string base = CleanBaseUrl(spec.base_url);
    if (base.ends_with("/v1/messages")) {
      http.url = base;
    } else {
      http.url = base.ends_with("/v1") ? base + "/messages" : base + "/v1/messages";
    }
    http.headers.emplace_back("Content-Type", "application/json");
    http.headers.emplace_back("Accept", spec.stream ? "text/event-stream" : "application/json");
    http.headers.emplace_back("anthropic-version", kApiVersion);
    http.headers.emplace_back("x-api-key", spec.api_key);
    http.timeouts = spec.timeouts;

    Json body = {{"model", spec.model},
                 {"max_tokens", request.max_tokens.value_or(spec.max_tokens)},
                 {"messages", Json::array()},
                 {"stream", spec.stream}};
    std::string system;
    for (const ChatMessage& m : request.messages) {
      if (m.role == "system") {
        system += (system.empty() ? "" : "\n\n") + m.content;
      } else {
        body["messages"].push_back({{"role", m.role}, {"content", m.content}});
      }
    }
    if (body["messages"].empty()) {
      return ConfigError("anthropic: a request needs a user message besides the system prompt");
    }
    if (!system.empty()) body["system"] = system;
    if (auto t = request.temperature ? request.temperature : spec.temperature) {
      body["temperature"] = *t;
    }
    MergeExtraBody(spec, &body);
    http.body = DumpBody(body);
    return http;
  }

  Status OnEvent(const SseEvent& event, ReplyParts* parts,
                 const std::function<void(const std::string&)>& on_text) const override {
    Result<Json> j = ParseJson(event.data, "a stream event");
    if (!j.ok()) return j.status();
    if (!j->is_object()) return InternalError("a stream event is not a JSON object");
    std::string new_text;
    AKG_RETURN_IF_ERROR(ReadEvent(*j, parts, &new_text));
    on_text(new_text);
    return Status::Ok();
  }

  Status ParseBody(const Json& body, ReplyParts* parts) const override {
    if (!body.is_object()) return InternalError("the reply is not a JSON object");
    if (StringOr(body, "type", "") == "error") {
      ReadError(body, parts);
      return Status::Ok();
    }
    if (!body.contains("content") || !body["content"].is_array()) {
      return InternalError("no \"content\" array in the reply");
    }
    for (const Json& block : body["content"]) ReadBlock(block, parts);
    parts->model = StringOr(body, "model", "");
    parts->finish_reason = NormaliseStop(StringOr(body, "stop_reason", ""));
    if (body.contains("usage")) ReadUsage(body["usage"], parts);
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<ChatDialect> NewAnthropicDialect() {
  return std::make_unique<AnthropicDialect>();
}

Result<std::unique_ptr<LlmClient>> MakeAnthropicClient(const ModelSpec& spec, HttpDeps deps) {
  AKG_RETURN_IF_ERROR(ValidateHttpSpec(spec, "anthropic"));
  if (spec.api_key.empty()) {
    return ConfigError("anthropic model '" + spec.name +
                       "': no API key; set ANTHROPIC_API_KEY or api_key in settings");
  }
  return NewHttpLlmClient(spec, NewAnthropicDialect(), std::move(deps));
}

}  // namespace akg
