// ScriptedLlm: an LlmClient for tests. It answers from a queue of replies (texts, errors or
// functions of the request) and records every request it receives, so a test can check what
// an agent put into its prompts and play a model that first answers badly and then well.
//
//   llm.Enqueue("```python\n...```");                       // next Complete returns this text
//   llm.EnqueueError(InternalError("..."), LlmErrorKind::kServer);
//   llm.Enqueue([](const LlmRequest& r) { ...; return ScriptedLlm::Reply("..."); });
//   llm.SetHandler(...);                                    // once the queue is empty
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "llm/llm.h"

namespace akg {

class ScriptedLlm : public LlmClient {
 public:
  using Handler = std::function<Result<LlmReply>(const LlmRequest&)>;

  ScriptedLlm() = default;
  // Queues each text as one reply, in order.
  explicit ScriptedLlm(const std::vector<std::string>& replies);

  void Enqueue(std::string text, std::string finish_reason = "stop");
  void Enqueue(Handler handler);
  void EnqueueError(Status error, LlmErrorKind kind);
  // Answers every call once the queue is empty. Without one, such a call fails with a
  // kConfig-kind error naming the request number and agent, so the test fails visibly.
  void SetHandler(Handler handler);

  // Records the request (without its on_delta callback), then answers; a text reply is also
  // passed to the request's on_delta in one piece, as a streaming client would.
  Result<LlmReply> Complete(const LlmRequest& request, LlmErrorKind* error_kind = nullptr) override;
  std::string Describe() const override { return "scripted test model"; }

  // Every request received so far, in order (a copy: Complete may run concurrently).
  std::vector<LlmRequest> requests() const;
  size_t pending() const;

  // A reply as a provider would give it: usage estimated at 4 characters a token.
  static LlmReply Reply(std::string text, std::string finish_reason = "stop");

 private:
  struct Answer {
    Handler handler;
    LlmErrorKind kind = LlmErrorKind::kNone;  // for queued errors
  };
  mutable std::mutex mutex_;
  std::vector<LlmRequest> requests_;
  std::deque<Answer> queue_;
  Handler fallback_;
};

}  // namespace akg
