// The OpenAI-compatible Chat Completions provider (provider: openai): OpenAI itself and the
// many servers that speak its dialect (DeepSeek, Qwen/DashScope, Moonshot, OpenRouter, vLLM,
// SGLang, Ollama, llama.cpp server).
//
//   POST {base_url}/chat/completions   Authorization: Bearer <api_key> (omitted when empty)
//   {model, messages, temperature?, max_tokens | max_completion_tokens, stream,
//    stream_options: {include_usage: true}} + extra_body (merge patch; null removes a key)
//
// Streamed replies are `data: {chunk}` events ending in `data: [DONE]`; text comes from
// choices[0].delta.content, reasoning from delta.reasoning_content (DeepSeek, Qwen) or
// delta.reasoning (OpenRouter, vLLM), a refusal from delta.refusal, usage from the last chunk.
// api.openai.com gets max_completion_tokens (its reasoning models reject max_tokens); every
// other server gets max_tokens.
#pragma once

#include <memory>

#include "llm/http_provider.h"

namespace akg {

std::unique_ptr<ChatDialect> NewOpenAiDialect();

// Checks the spec (ValidateHttpSpec) and builds the client; an empty api_key is allowed for
// local servers.
Result<std::unique_ptr<LlmClient>> MakeOpenAiClient(const ModelSpec& spec, HttpDeps deps = {});

}  // namespace akg
