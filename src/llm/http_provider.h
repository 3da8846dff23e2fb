// The shared half of the HTTP providers: one LlmClient that owns retries, back-off,
// concurrency, cancellation, streaming and error classification, parameterised by a
// ChatDialect that knows one API's wire format.
//
//   LlmRequest ──dialect.BuildRequest──▶ HttpRequest ──HttpTransport::Post──▶ bytes
//   bytes ──SseParser──▶ events ──dialect.OnEvent──▶ ReplyParts ──checks──▶ LlmReply | error
//   (not streaming: bytes ──dialect.ParseBody──▶ ReplyParts)
//
// Dialects: OpenAI-compatible Chat Completions (openai_provider.h) and Anthropic Messages
// (anthropic_provider.h). An attempt fails with an LlmErrorKind; HTTP status, transport errors
// and the reply's content decide which (see ClassifyHttpStatus and the checks in
// http_provider.cc). Rate limits, server errors, network errors, timeouts and malformed
// replies are retried under ModelSpec::retry with exponential back-off and jitter (a
// Retry-After / retry-after-ms header, capped at max_delay_s, replaces the back-off); an empty
// reply is retried once; auth, config, truncation and refusals are not retried. While an
// attempt streams, on_delta receives its text; after a retry it receives the new attempt's
// text from the start.
//
// No message produced here contains the API key: server text is redacted before use.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "env/clock.h"
#include "llm/http_transport.h"
#include "llm/llm.h"
#include "llm/model_spec.h"
#include "llm/sse_parser.h"

namespace akg {

// What a dialect has read from a reply so far (all of a streamed reply's events, or the body).
struct ReplyParts {
  std::string text;
  std::string reasoning;
  std::string refusal;        // a refusal message the API returned instead of text
  std::string finish_reason;  // normalised: "stop" | "length" | "refusal" | "content_filter" | ...
  std::string model;
  std::optional<int64_t> input_tokens;
  std::optional<int64_t> output_tokens;
  bool done = false;  // the stream's terminal event arrived ([DONE], message_stop)
  // An error the API reported inside a 2xx reply (an "error" stream event).
  LlmErrorKind error_kind = LlmErrorKind::kNone;
  std::string error_message;
};

class ChatDialect {
 public:
  virtual ~ChatDialect() = default;
  // "openai-compatible" or "anthropic": the first word of every message.
  virtual std::string Name() const = 0;
  // Where the key usually comes from, for the fix in an auth error: "OPENAI_API_KEY".
  virtual std::string KeyVariable() const = 0;
  // URL, headers and JSON body of one call. `stream` = spec.stream.
  virtual Result<HttpRequest> BuildRequest(const ModelSpec& spec,
                                           const LlmRequest& request) const = 0;
  // One streamed event. Text and reasoning go into `parts`; new visible text also goes to
  // `on_text`. An error Status means the event is not the API's JSON (kMalformed).
  virtual Status OnEvent(const SseEvent& event, ReplyParts* parts,
                         const std::function<void(const std::string&)>& on_text) const = 0;
  // A complete (non-streamed) 2xx body, already parsed.
  virtual Status ParseBody(const Json& body, ReplyParts* parts) const = 0;
};

// The seams an HTTP client runs on. Null members get the real ones (CurlTransport,
// SystemClock); seed 0 seeds the back-off jitter from std::random_device.
struct HttpDeps {
  std::shared_ptr<HttpTransport> transport;
  std::shared_ptr<Clock> clock;
  uint64_t seed = 0;
};

// Checks the parts of a ModelSpec every HTTP provider needs (base_url scheme, model,
// max_tokens, concurrency, timeouts, retry policy). A ConfigError names the setting to fix.
Status ValidateHttpSpec(const ModelSpec& spec, const std::string& provider_name);

// Builds the client. The spec must have passed ValidateHttpSpec.
std::unique_ptr<LlmClient> NewHttpLlmClient(ModelSpec spec, std::unique_ptr<ChatDialect> dialect,
                                            HttpDeps deps);

// Helpers shared by the dialects and the tests.

// The kind of failure an HTTP status means; kNone for 2xx. `body` tells OpenAI's
// insufficient_quota 429 (billing: not retried) from a real rate limit.
LlmErrorKind ClassifyHttpStatus(int status, const std::string& body);
// The API's own message from an error body ({"error": {"message": ...}}, {"error": "..."},
// {"message": ...}, {"detail": ...}), else the body itself; one line, at most 300 chars.
std::string ErrorDetailFromBody(const std::string& body);
// Seconds to wait from retry-after-ms or retry-after (seconds) headers; nullopt if absent or
// not a number (an HTTP date is not honoured: the back-off applies).
std::optional<double> RetryAfterSeconds(const std::map<std::string, std::string>& headers);
// `text` with every occurrence of `secret` replaced by "[redacted]".
std::string Redact(std::string text, const std::string& secret);
// base_url without a trailing '/' and without user:password@.
std::string CleanBaseUrl(const std::string& base_url);
// Serialises a request body; invalid UTF-8 in prompts is replaced instead of throwing.
std::string DumpBody(const Json& body);
// ModelSpec::extra_body merged into `body` as a JSON merge patch (a null removes a key).
void MergeExtraBody(const ModelSpec& spec, Json* body);

}  // namespace akg
