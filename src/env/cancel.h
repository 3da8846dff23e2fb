// Cancellation as a tree of tokens, so that stopping one run does not stop the agent.
//
//   ProcessCancelToken()            the root: SIGTERM, and Ctrl-C while no run is the target
//     └─ Session                    (one per akg_cli process)
//          └─ Run's token           Ctrl-C while it runs (SetInterruptTarget), or Run::Cancel
//               └─ ProcessSpec::cancel, WarmRun::cancel, LlmRequest::cancel, HttpRequest::cancel
//
// A token is cancelled when Cancel() was called on it or on any ancestor. Whoever holds a token
// polls it (the process runner every 20 ms, the warm harness every 20 ms, libcurl's progress
// callback, back-off sleeps): a process runner kills the child's process group; the warm
// harness sends the server `cancel` for that call only, so the server stays warm for the next
// run; an LLM transfer is aborted. A null token stands for the root, so a call site that was
// given none still stops on Ctrl-C of the whole process.
#pragma once

#include <atomic>

namespace akg {

class CancelToken {
 public:
  // `parent` (may be null) must outlive this token.
  constexpr explicit CancelToken(const CancelToken* parent = nullptr) : parent_(parent) {}
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  // Async-signal-safe: one lock-free atomic store.
  void Cancel() noexcept { flag_.store(true, std::memory_order_relaxed); }
  // Clears this token's own flag (an ancestor's stays): for tests and for the root after a
  // session has dealt with an interrupt.
  void Reset() noexcept { flag_.store(false, std::memory_order_relaxed); }
  bool cancelled() const noexcept;

 private:
  std::atomic<bool> flag_{false};
  const CancelToken* parent_;
};
static_assert(std::atomic<bool>::is_always_lock_free, "Cancel must be async-signal-safe");

// The process's root token.
CancelToken& ProcessCancelToken();

// True if `token` (the root when null) is cancelled.
bool IsCancelled(const CancelToken* token);

// Where Ctrl-C goes: the token a SIGINT handler cancels through Interrupt(). null = the root.
// The interactive session points it at the running run's token, and back at null between runs.
// The token must stay alive until the target is changed again.
void SetInterruptTarget(CancelToken* token);
// Async-signal-safe: cancels the interrupt target.
void Interrupt() noexcept;

}  // namespace akg
