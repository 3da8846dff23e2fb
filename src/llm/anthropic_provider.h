// The Anthropic Messages provider (provider: anthropic).
//
//   POST {base_url}/v1/messages   x-api-key: <api_key>   anthropic-version: 2023-06-01
//   {model, max_tokens, system?, messages, temperature?, stream} + extra_body (merge patch;
//   e.g. {"thinking": {"type": "enabled", "budget_tokens": 4000}})
//
// System messages go to the top-level "system" field (joined by blank lines); the others keep
// their order. Streamed replies are typed events: message_start (model, input tokens),
// content_block_delta (text_delta → text, thinking_delta → reasoning), message_delta
// (stop_reason, output tokens), message_stop, and "error" (overloaded_error → retried).
// Stop reasons map to the common ones: end_turn/stop_sequence → stop, max_tokens → length.
#pragma once

#include <memory>

#include "llm/http_provider.h"

namespace akg {

std::unique_ptr<ChatDialect> NewAnthropicDialect();

// Checks the spec (ValidateHttpSpec, and an api_key is required) and builds the client.
Result<std::unique_ptr<LlmClient>> MakeAnthropicClient(const ModelSpec& spec, HttpDeps deps = {});

}  // namespace akg
