#include "llm/http_provider.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <variant>

#include "env/process_runner.h"
#include "llm/curl_transport.h"

namespace akg {
namespace {

constexpr size_t kMaxBody = size_t{32} << 20;  // a non-streamed reply larger than this is junk
constexpr double kSleepSlice = 0.25;            // cancellation latency during back-off

struct Failure {
  LlmErrorKind kind = LlmErrorKind::kNone;
  std::string problem;  // one line, may contain server text (redacted before use)
  std::optional<double> retry_after;
};

bool Retryable(LlmErrorKind kind) {
  switch (kind) {
    case LlmErrorKind::kRateLimited:
    case LlmErrorKind::kServer:
    case LlmErrorKind::kNetwork:
    case LlmErrorKind::kTimeout:
    case LlmErrorKind::kMalformed:
    case LlmErrorKind::kEmpty:
      return true;
    default:
      return false;
  }
}

ErrorKind StatusKind(LlmErrorKind kind) {
  if (kind == LlmErrorKind::kCancelled) return ErrorKind::kCancelled;
  if (kind == LlmErrorKind::kAuth || kind == LlmErrorKind::kConfig) return ErrorKind::kConfig;
  return ErrorKind::kInternal;
}

Failure FromTransport(const HttpResponse& r) {
  switch (r.error) {
    case TransportError::kTimeout:
      return {LlmErrorKind::kTimeout, "timed out: " + r.error_message, {}};
    case TransportError::kIdleTimeout:
      return {LlmErrorKind::kTimeout, "stream stalled: " + r.error_message, {}};
    case TransportError::kCancelled:
      return {LlmErrorKind::kCancelled, "cancelled", {}};
    case TransportError::kBadUrl:
      return {LlmErrorKind::kConfig, "cannot use base_url: " + r.error_message, {}};
    default:
      return {LlmErrorKind::kNetwork, "network error: " + r.error_message, {}};
  }
}

int64_t EstimateTokens(size_t chars) { return static_cast<int64_t>((chars + 3) / 4); }

// Blocks callers beyond ModelSpec::concurrency; gives up when the caller's run is cancelled.
class Slots {
 public:
  explicit Slots(int count) : free_(count) {}
  bool Acquire(const CancelToken* cancel) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (free_ == 0) {
      if (IsCancelled(cancel)) return false;
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    --free_;
    return true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++free_;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int free_;
};

class HttpLlmClient final : public LlmClient {
 public:
  HttpLlmClient(ModelSpec spec, std::unique_ptr<ChatDialect> dialect, HttpDeps deps)
      : spec_(std::move(spec)),
        dialect_(std::move(dialect)),
        transport_(deps.transport ? deps.transport : std::make_shared<CurlTransport>()),
        clock_(deps.clock ? deps.clock : std::make_shared<SystemClock>()),
        rng_(deps.seed ? deps.seed : std::random_device{}()),
        slots_(std::max(1, spec_.concurrency)) {}

  Result<LlmReply> Complete(const LlmRequest& request, LlmErrorKind* error_kind) override;

  std::string Describe() const override {
    return dialect_->Name() + " " + spec_.model + " at " + CleanBaseUrl(spec_.base_url);
  }

 private:
  std::variant<LlmReply, Failure> Attempt(const HttpRequest& http, const LlmRequest& request);
  std::variant<LlmReply, Failure> Check(ReplyParts parts, const LlmRequest& request) const;
  double Delay(int retry, const Failure& failure);
  bool SleepUnlessCancelled(double seconds, const CancelToken* cancel);
  std::string Fix(LlmErrorKind kind, int max_tokens) const;

  const ModelSpec spec_;
  const std::unique_ptr<ChatDialect> dialect_;
  const std::shared_ptr<HttpTransport> transport_;
  const std::shared_ptr<Clock> clock_;
  std::mutex rng_mutex_;
  std::mt19937_64 rng_;
  Slots slots_;
};

Result<LlmReply> HttpLlmClient::Complete(const LlmRequest& request, LlmErrorKind* error_kind) {
  if (error_kind) *error_kind = LlmErrorKind::kNone;
  const double start = clock_->NowSeconds();
  auto fail = [&](const Failure& f, int attempts) -> Status {
    if (error_kind) *error_kind = f.kind;
    std::string message = Describe() + ": " + f.problem;
    if (attempts > 1) message += " (" + std::to_string(attempts) + " attempts)";
    std::string fix = Fix(f.kind, request.max_tokens.value_or(spec_.max_tokens));
    if (!fix.empty()) message += "; " + fix;
    return Status::Error(StatusKind(f.kind), Redact(std::move(message), spec_.api_key));
  };
  Result<HttpRequest> http = dialect_->BuildRequest(spec_, request);
  if (!http.ok()) return fail({LlmErrorKind::kConfig, http.status().message(), {}}, 1);
  if (!spec_.stream) http->timeouts.idle_s = 0;  // a whole reply arrives at once, at the end
  http->cancel = request.cancel;
  if (!slots_.Acquire(request.cancel)) return fail({LlmErrorKind::kCancelled, "cancelled", {}}, 1);
  struct Release {
    Slots* s;
    ~Release() { s->Release(); }
  } release{&slots_};

  bool retried_empty = false;
  for (int attempt = 1;; ++attempt) {
    if (IsCancelled(request.cancel)) {
      return fail({LlmErrorKind::kCancelled, "cancelled", {}}, attempt - 1);
    }
    auto outcome = Attempt(*http, request);
    if (auto* reply = std::get_if<LlmReply>(&outcome)) {
      reply->attempts = attempt;
      reply->seconds = clock_->NowSeconds() - start;
      return std::move(*reply);
    }
    const Failure& failure = std::get<Failure>(outcome);
    bool again = Retryable(failure.kind) && attempt <= spec_.retry.max_retries &&
                 !(failure.kind == LlmErrorKind::kEmpty && retried_empty);
    if (!again) return fail(failure, attempt);
    if (failure.kind == LlmErrorKind::kEmpty) retried_empty = true;
    if (!SleepUnlessCancelled(Delay(attempt, failure), request.cancel)) {
      return fail({LlmErrorKind::kCancelled, "cancelled", {}}, attempt);
    }
  }
}

std::variant<LlmReply, Failure> HttpLlmClient::Attempt(const HttpRequest& http,
                                                       const LlmRequest& request) {
  ReplyParts parts;
  Status bad;
  SseParser sse;
  std::string body;
  auto on_text = [&](const std::string& text) {
    if (request.on_delta && !text.empty()) request.on_delta(text);
  };
  auto take_events = [&](const std::vector<SseEvent>& events) {
    for (const SseEvent& event : events) {
      bad = dialect_->OnEvent(event, &parts, on_text);
      if (!bad.ok() || parts.error_kind != LlmErrorKind::kNone) return false;
    }
    return true;
  };
  HttpSink sink = [&](std::string_view chunk) {
    if (spec_.stream) return take_events(sse.Feed(chunk));
    if (body.size() + chunk.size() > kMaxBody) {
      bad = InternalError("reply larger than " + std::to_string(kMaxBody >> 20) + " MiB");
      return false;
    }
    body.append(chunk);
    return true;
  };
  HttpResponse response = transport_->Post(http, sink);

  if (response.error == TransportError::kCancelled || IsCancelled(request.cancel)) {
    return Failure{LlmErrorKind::kCancelled, "cancelled", {}};
  }
  if (response.status != 0 && (response.status < 200 || response.status >= 300)) {
    return Failure{ClassifyHttpStatus(response.status, response.error_body),
                   "HTTP " + std::to_string(response.status) + ": " +
                       ErrorDetailFromBody(response.error_body),
                   RetryAfterSeconds(response.headers)};
  }
  if (bad.ok() && parts.error_kind == LlmErrorKind::kNone &&
      response.error != TransportError::kNone && response.error != TransportError::kAborted) {
    return FromTransport(response);
  }
  if (bad.ok() && parts.error_kind == LlmErrorKind::kNone) {
    if (spec_.stream) {
      take_events(sse.Finish());
    } else {
      Result<Json> json = ParseJson(body, "the reply");
      bad = json.ok() ? dialect_->ParseBody(*json, &parts) : json.status();
    }
  }
  if (!bad.ok()) return Failure{LlmErrorKind::kMalformed, "malformed reply: " + bad.message(), {}};
  if (parts.error_kind != LlmErrorKind::kNone) {
    return Failure{parts.error_kind, "the API reported an error: " + parts.error_message, {}};
  }
  if (spec_.stream && !parts.done && parts.finish_reason.empty()) {
    return Failure{LlmErrorKind::kNetwork, "the stream ended before the reply was complete", {}};
  }
  return Check(std::move(parts), request);
}

// Turns what the API said into a reply, or into the failure an unusable reply is.
std::variant<LlmReply, Failure> HttpLlmClient::Check(ReplyParts parts,
                                                     const LlmRequest& request) const {
  const std::string& finish = parts.finish_reason;
  if (finish == "refusal" || finish == "content_filter" || !parts.refusal.empty()) {
    std::string why = parts.refusal.empty() ? "finish reason " + finish : parts.refusal;
    return Failure{LlmErrorKind::kRefused, "the model refused: " + why, {}};
  }
  bool blank = std::all_of(parts.text.begin(), parts.text.end(),
                           [](unsigned char c) { return std::isspace(c); });
  if (blank && finish == "length") {
    int max_tokens = request.max_tokens.value_or(spec_.max_tokens);
    return Failure{LlmErrorKind::kTruncated,
                   "the reply reached max_tokens (" + std::to_string(max_tokens) +
                       ") before any text" + (parts.reasoning.empty() ? "" : " (reasoning only)"),
                   {}};
  }
  if (blank) {
    return Failure{LlmErrorKind::kEmpty,
                   std::string("empty reply") + (parts.reasoning.empty() ? "" : " (reasoning only)") +
                       " (finish reason " + (finish.empty() ? "none" : finish) + ")",
                   {}};
  }
  LlmReply reply;
  size_t prompt_chars = 0;
  for (const ChatMessage& m : request.messages) prompt_chars += m.content.size();
  reply.usage.input_tokens = parts.input_tokens.value_or(EstimateTokens(prompt_chars));
  reply.usage.output_tokens = parts.output_tokens.value_or(
      EstimateTokens(parts.text.size() + parts.reasoning.size()));
  reply.text = std::move(parts.text);
  reply.reasoning = std::move(parts.reasoning);
  reply.finish_reason = finish.empty() ? "stop" : finish;
  reply.model = parts.model.empty() ? spec_.model : parts.model;
  return reply;
}

double HttpLlmClient::Delay(int retry, const Failure& failure) {
  const RetryPolicy& p = spec_.retry;
  if (failure.retry_after) return std::min(*failure.retry_after, p.max_delay_s);
  double factor = 1.0;
  if (p.jitter > 0) {
    std::lock_guard<std::mutex> lock(rng_mutex_);
    factor = std::uniform_real_distribution<double>(1 - p.jitter, 1 + p.jitter)(rng_);
  }
  return BackoffDelay(p, retry, factor);
}

bool HttpLlmClient::SleepUnlessCancelled(double seconds, const CancelToken* cancel) {
  while (seconds > 0) {
    if (IsCancelled(cancel)) return false;
    double step = std::min(seconds, kSleepSlice);
    clock_->SleepFor(step);
    seconds -= step;
  }
  return !IsCancelled(cancel);
}

std::string HttpLlmClient::Fix(LlmErrorKind kind, int max_tokens) const {
  switch (kind) {
    case LlmErrorKind::kAuth:
      return "check the API key (api_key in settings, or " + dialect_->KeyVariable() + ")";
    case LlmErrorKind::kConfig:
      return "check base_url, model and extra_body in settings, and the account's quota";
    case LlmErrorKind::kRateLimited:
      return "lower concurrency in settings or try again later";
    case LlmErrorKind::kServer:
      return "the provider's server failed; try again later";
    case LlmErrorKind::kNetwork:
      return "check the network, base_url and proxy variables (https_proxy)";
    case LlmErrorKind::kTimeout:
      return "raise timeouts in settings (connect_s, total_s, idle_s) or check the network";
    case LlmErrorKind::kMalformed:
      return "check that base_url points to the " + dialect_->Name() + " API";
    case LlmErrorKind::kEmpty:
      return "try again or choose another model";
    case LlmErrorKind::kTruncated:
      return "raise max_tokens in settings (now " + std::to_string(max_tokens) + ")";
    case LlmErrorKind::kRefused:
      return "rephrase the task or choose another model";
    default:
      return "";
  }
}

}  // namespace

std::unique_ptr<LlmClient> NewHttpLlmClient(ModelSpec spec, std::unique_ptr<ChatDialect> dialect,
                                            HttpDeps deps) {
  return std::make_unique<HttpLlmClient>(std::move(spec), std::move(dialect), std::move(deps));
}

}  // namespace akg
