#include "env/cancel.h"

#include <csignal>

#include <gtest/gtest.h>

namespace akg {
namespace {

TEST(CancelTokenTest, ACancelledParentCancelsItsChildrenButNotItsSiblingsParent) {
  CancelToken session;
  CancelToken run_a(&session), run_b(&session);
  run_a.Cancel();
  EXPECT_TRUE(run_a.cancelled());
  EXPECT_FALSE(run_b.cancelled());
  EXPECT_FALSE(session.cancelled());
  session.Cancel();
  EXPECT_TRUE(run_b.cancelled());
  run_b.Reset();  // its own flag only: the session's still holds
  EXPECT_TRUE(run_b.cancelled());
}

TEST(CancelTokenTest, ANullTokenStandsForTheProcessRoot) {
  EXPECT_FALSE(IsCancelled(nullptr));
  ProcessCancelToken().Cancel();
  EXPECT_TRUE(IsCancelled(nullptr));
  CancelToken under_root(&ProcessCancelToken());
  EXPECT_TRUE(under_root.cancelled());
  ProcessCancelToken().Reset();
  EXPECT_FALSE(IsCancelled(nullptr));
}

void OnTestSignal(int) { Interrupt(); }

TEST(CancelTokenTest, AnInterruptCancelsOnlyItsTargetAndTheRootWhenNoneIsSet) {
  CancelToken run;
  SetInterruptTarget(&run);
  auto previous = std::signal(SIGUSR1, OnTestSignal);
  std::raise(SIGUSR1);
  EXPECT_TRUE(run.cancelled());
  EXPECT_FALSE(IsCancelled(nullptr));  // the session (and the agent) go on
  SetInterruptTarget(nullptr);
  std::raise(SIGUSR1);
  std::signal(SIGUSR1, previous);
  EXPECT_TRUE(IsCancelled(nullptr));
  ProcessCancelToken().Reset();
}

}  // namespace
}  // namespace akg
