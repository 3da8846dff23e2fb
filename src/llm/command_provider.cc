#include "llm/command_provider.h"

#include <semaphore>

#include <fmt/format.h>

extern char** environ;

namespace akg {
namespace {

int64_t EstimateTokens(const std::string& text) { return static_cast<int64_t>(text.size() / 4 + 1); }

std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of(" \n\r\t");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, std::min<size_t>(end - start + 1, 300));
}

class CommandClient : public LlmClient {
 public:
  CommandClient(ModelSpec spec, ProcessRunner* runner, Clock* clock)
      : spec_(std::move(spec)), runner_(runner), clock_(clock), slots_(spec_.concurrency) {}

  Result<LlmReply> Complete(const LlmRequest& request, LlmErrorKind* error_kind) override {
    LlmErrorKind ignored;
    LlmErrorKind& kind = error_kind ? *error_kind : ignored;
    Json messages = Json::array();
    int64_t prompt_chars = 0;
    for (const auto& m : request.messages) {
      messages.push_back({{"role", m.role}, {"content", m.content}});
      prompt_chars += static_cast<int64_t>(m.content.size());
    }
    Json body = {{"agent", request.agent},
                 {"model", spec_.model},
                 {"messages", messages},
                 {"max_tokens", request.max_tokens.value_or(spec_.max_tokens)}};
    if (auto t = request.temperature ? request.temperature : spec_.temperature) body["temperature"] = *t;
    if (request.seed) body["seed"] = static_cast<int64_t>(*request.seed & 0x7fffffffu);

    ProcessSpec ps;
    ps.argv = spec_.command;
    for (char** e = environ; e && *e; ++e) {
      std::string kv = *e;
      size_t eq = kv.find('=');
      if (eq != std::string::npos) ps.env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    ps.stdin_data = body.dump();
    ps.timeout_s = spec_.timeouts.total_s;
    ps.limits.core_dumps = false;
    ps.cancel = request.cancel;

    double start = clock_->NowSeconds();
    std::string last_error;
    for (int attempt = 1; attempt <= spec_.retry.max_retries + 1; ++attempt) {
      if (attempt > 1) {
        clock_->SleepFor(BackoffDelay(spec_.retry, attempt - 1));
      }
      if (IsCancelled(request.cancel)) {
        kind = LlmErrorKind::kCancelled;
        return Status::Error(ErrorKind::kCancelled, "model call cancelled");
      }
      ProcessResult r;
      {
        slots_.acquire();
        r = runner_->Run(ps);
        slots_.release();
      }
      if (r.cancelled) {
        kind = LlmErrorKind::kCancelled;
        return Status::Error(ErrorKind::kCancelled, "model call cancelled");
      }
      if (!r.started) {
        kind = LlmErrorKind::kConfig;
        return ConfigError(fmt::format("model '{}' (command provider): {} could not start: {}; "
                                       "fix 'command' in the settings",
                                       spec_.name, spec_.command.front(), r.start_error));
      }
      if (r.timed_out) {
        kind = LlmErrorKind::kTimeout;
        last_error = fmt::format("timed out after {:.0f} s (timeouts.total_s)", spec_.timeouts.total_s);
        continue;
      }
      if (!r.Succeeded()) {
        kind = LlmErrorKind::kServer;
        last_error = r.Describe();
        std::string tail = LastLine(r.stderr_text);
        if (!tail.empty()) last_error += ": " + tail;
        continue;
      }
      LlmReply reply = ParseCommandReply(r.stdout_text);
      if (reply.text.empty()) {
        kind = LlmErrorKind::kEmpty;
        last_error = "it printed no reply on stdout";
        continue;
      }
      if (reply.usage.input_tokens == 0 && reply.usage.output_tokens == 0) {
        reply.usage.input_tokens = prompt_chars / 4 + 1;
        reply.usage.output_tokens = EstimateTokens(reply.text);
      }
      if (reply.model.empty()) reply.model = spec_.model.empty() ? spec_.command.front() : spec_.model;
      reply.attempts = attempt;
      reply.seconds = clock_->NowSeconds() - start;
      kind = LlmErrorKind::kNone;
      if (request.on_delta) request.on_delta(reply.text);
      return reply;
    }
    return InternalError(fmt::format("model '{}' (command provider: {}) failed after {} attempts: "
                                     "{}; check the program by hand with a request on stdin",
                                     spec_.name, spec_.command.front(),
                                     spec_.retry.max_retries + 1, last_error));
  }

  std::string Describe() const override {
    return "command " + spec_.command.front() + (spec_.model.empty() ? "" : " (" + spec_.model + ")");
  }

 private:
  ModelSpec spec_;
  ProcessRunner* runner_;
  Clock* clock_;
  std::counting_semaphore<4096> slots_;
};

}  // namespace

LlmReply ParseCommandReply(const std::string& stdout_text) {
  LlmReply reply;
  reply.finish_reason = "stop";
  size_t first = stdout_text.find_first_not_of(" \n\r\t");
  if (first != std::string::npos && stdout_text[first] == '{') {
    auto j = ParseJson(stdout_text, "command reply");
    if (j.ok() && j->is_object()) {
      const Json& o = *j;
      if (o.contains("choices") && o["choices"].is_array() && !o["choices"].empty()) {
        const Json& c = o["choices"][0];
        if (c.contains("message")) reply.text = StringOr(c["message"], "content", "");
        reply.finish_reason = StringOr(c, "finish_reason", "stop");
      } else {
        reply.text = StringOr(o, "text", StringOr(o, "content", ""));
        reply.reasoning = StringOr(o, "reasoning", "");
        reply.finish_reason = StringOr(o, "finish_reason", "stop");
      }
      reply.model = StringOr(o, "model", "");
      if (o.contains("usage") && o["usage"].is_object()) {
        const Json& u = o["usage"];
        reply.usage.input_tokens =
            static_cast<int64_t>(NumberOr(u, "input_tokens", NumberOr(u, "prompt_tokens", 0)));
        reply.usage.output_tokens =
            static_cast<int64_t>(NumberOr(u, "output_tokens", NumberOr(u, "completion_tokens", 0)));
      }
      if (reply.finish_reason.empty()) reply.finish_reason = "stop";
      return reply;
    }
  }
  reply.text = stdout_text;
  return reply;
}

std::unique_ptr<LlmClient> MakeCommandClient(const ModelSpec& spec, ProcessRunner* runner,
                                             Clock* clock) {
  return std::make_unique<CommandClient>(spec, runner, clock);
}

}  // namespace akg
