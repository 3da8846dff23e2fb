#include "llm/scripted_llm.h"

#include <fmt/format.h>

namespace akg {

ScriptedLlm::ScriptedLlm(const std::vector<std::string>& replies) {
  for (const std::string& r : replies) Enqueue(r);
}

void ScriptedLlm::Enqueue(std::string text, std::string finish_reason) {
  Enqueue([text = std::move(text), finish_reason = std::move(finish_reason)](const LlmRequest&) {
    return Result<LlmReply>(Reply(text, finish_reason));
  });
}

void ScriptedLlm::Enqueue(Handler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back({std::move(handler), LlmErrorKind::kNone});
}

void ScriptedLlm::EnqueueError(Status error, LlmErrorKind kind) {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back({[error](const LlmRequest&) { return Result<LlmReply>(error); }, kind});
}

void ScriptedLlm::SetHandler(Handler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  fallback_ = std::move(handler);
}

Result<LlmReply> ScriptedLlm::Complete(const LlmRequest& request, LlmErrorKind* error_kind) {
  Answer answer;
  size_t number = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    LlmRequest recorded = request;
    recorded.on_delta = nullptr;
    requests_.push_back(std::move(recorded));
    number = requests_.size();
    if (!queue_.empty()) {
      answer = std::move(queue_.front());
      queue_.pop_front();
    } else {
      answer.handler = fallback_;
    }
  }
  if (!answer.handler) {
    if (error_kind != nullptr) *error_kind = LlmErrorKind::kConfig;
    return ConfigError(fmt::format("scripted model: no reply scripted for request {} (agent '{}'); "
                                   "enqueue more replies in the test",
                                   number, request.agent));
  }
  Result<LlmReply> reply = answer.handler(request);  // outside the lock: may be slow
  if (error_kind != nullptr) {
    *error_kind = reply.ok() ? LlmErrorKind::kNone
                             : (answer.kind == LlmErrorKind::kNone ? LlmErrorKind::kServer
                                                                   : answer.kind);
  }
  if (reply.ok() && request.on_delta && !reply->text.empty()) request.on_delta(reply->text);
  return reply;
}

std::vector<LlmRequest> ScriptedLlm::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

size_t ScriptedLlm::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

LlmReply ScriptedLlm::Reply(std::string text, std::string finish_reason) {
  LlmReply r;
  r.usage.output_tokens = static_cast<int64_t>(text.size() / 4 + 1);
  r.text = std::move(text);
  r.finish_reason = std::move(finish_reason);
  r.model = "scripted";
  return r;
}

}  // namespace akg
