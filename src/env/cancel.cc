#include "env/cancel.h"

namespace akg {
namespace {

// Both constant-initialised, so a signal handler never meets a guard of a function-local static.
constinit CancelToken g_root;
constinit std::atomic<CancelToken*> g_interrupt_target{nullptr};
static_assert(std::atomic<CancelToken*>::is_always_lock_free,
              "Interrupt must be async-signal-safe");

}  // namespace

bool CancelToken::cancelled() const noexcept {
  for (const CancelToken* t = this; t != nullptr; t = t->parent_) {
    if (t->flag_.load(std::memory_order_relaxed)) return true;
  }
  return false;
}

CancelToken& ProcessCancelToken() { return g_root; }

bool IsCancelled(const CancelToken* token) {
  return (token != nullptr ? token : &ProcessCancelToken())->cancelled();
}

void SetInterruptTarget(CancelToken* token) { g_interrupt_target.store(token); }

void Interrupt() noexcept {
  CancelToken* target = g_interrupt_target.load();
  (target != nullptr ? target : &g_root)->Cancel();
}

}  // namespace akg
