// The one seam between the agents and language models.
//
//   agent ──LlmRequest──▶ LlmClient::Complete ──▶ LlmReply (text, usage, finish reason)
//
// Real clients (src/llm/*_provider.*): OpenAI-compatible Chat Completions and Anthropic
// Messages over libcurl with streaming, a `command` provider that runs a local program, and a
// `replay` provider that serves a recorded transcript. ScriptedLlm (scripted_llm.h) answers
// from a list for tests. Every client is safe to call from several threads at once.
//
// Failures are values: Complete returns a Status whose message is one line that names the
// provider, the problem and the fix, and never contains an API key.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "env/cancel.h"

namespace akg {

struct ChatMessage {
  std::string role;     // "system" | "user" | "assistant"
  std::string content;
};

struct LlmRequest {
  std::string agent;                  // "kernel_designer", ... (accounting, transcripts)
  std::vector<ChatMessage> messages;  // a "system" message, if any, comes first
  std::optional<double> temperature;  // absent = the model's configured value
  std::optional<int> max_tokens;      // absent = the model's configured value
  // Sampling seed for providers that take one (openai's `seed`, the command provider's JSON);
  // anthropic has none and ignores it. Absent = none sent.
  std::optional<uint64_t> seed;
  // Called from the calling thread with each piece of streamed text as it arrives (may be
  // empty: no streaming display). Never called after Complete returns.
  std::function<void(const std::string&)> on_delta;
  // The run's token: cancelling it aborts the transfer, a back-off or the wait for a slot, and
  // the call fails with kCancelled. null = the process's root token (env/cancel.h).
  const CancelToken* cancel = nullptr;
};

struct TokenUsage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  TokenUsage& operator+=(const TokenUsage& o) {
    input_tokens += o.input_tokens;
    output_tokens += o.output_tokens;
    return *this;
  }
};

struct LlmReply {
  std::string text;           // the answer (visible content only)
  std::string reasoning;      // separate reasoning/thinking text, if the API returned any
  std::string finish_reason;  // normalised: "stop" | "length" | "refusal" | "content_filter" | ...
  TokenUsage usage;           // as reported by the API (estimated from text length if absent)
  std::string model;          // the model that answered, as the API named it
  int attempts = 1;           // 1 + retries
  double seconds = 0;         // wall time including retries
};

// Why a call failed, for retry decisions and messages. The Status kind is kInternal for all of
// these except kCancelled (ErrorKind::kCancelled) and kAuth/kConfig (ErrorKind::kConfig).
enum class LlmErrorKind {
  kNone,
  kAuth,          // 401/403: wrong or missing key; never retried
  kConfig,        // bad base_url, unknown model (404), bad request (400): never retried
  kRateLimited,   // 429: retried, honouring Retry-After
  kServer,        // 5xx: retried
  kNetwork,       // connect/reset/DNS: retried
  kTimeout,       // connect, total or idle-stream timeout: retried
  kMalformed,     // a reply that is not the API's JSON: retried
  kEmpty,         // no text at all (or reasoning only): retried once, then an error
  kTruncated,     // stopped by max_tokens with no usable text: an error naming max_tokens
  kRefused,       // the model refused or the content filter stopped it
  kBudget,        // the run's token/cost/time budget is spent
  kCancelled,     // the run's token (LlmRequest::cancel) was cancelled, e.g. Ctrl-C
};

const char* LlmErrorKindName(LlmErrorKind kind);

class LlmClient {
 public:
  virtual ~LlmClient() = default;
  // One chat completion, with the client's retry policy applied. `error_kind` (optional)
  // receives the classification of a failure.
  virtual Result<LlmReply> Complete(const LlmRequest& request,
                                    LlmErrorKind* error_kind = nullptr) = 0;
  // "openai-compatible deepseek-chat at https://api.deepseek.com" (never the key).
  virtual std::string Describe() const = 0;
};

}  // namespace akg
