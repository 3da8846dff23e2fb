#include "env/server_process.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace akg {
namespace {

using Clock = std::chrono::steady_clock;

ProcessSpec Shell(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", script};
  spec.env = {{"PATH", "/usr/bin:/bin"}, {"GREETING", "hello"}};
  spec.cwd = "/tmp";
  return spec;
}

std::unique_ptr<ServerProcess> Start(const ProcessSpec& spec) {
  PosixServerLauncher launcher;
  auto process = launcher.Start(spec);
  EXPECT_TRUE(process.ok()) << process.status().message();
  return process.ok() ? std::move(process).value() : nullptr;
}

// Reads lines until one arrives or 10 s pass.
std::string NextLine(ServerProcess& p) {
  auto line = p.ReadLine(10);
  if (!line.ok() || !line->has_value()) return "<none>";
  return **line;
}

TEST(ServerProcessTest, EchoesLinesAndKeepsStderrApart) {
  auto p = Start(Shell("while read l; do echo \"got $l $GREETING\"; echo \"err $l\" >&2; done"));
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->SendLine("one").ok());
  ASSERT_TRUE(p->SendLine("two").ok());
  EXPECT_EQ(NextLine(*p), "got one hello");
  EXPECT_EQ(NextLine(*p), "got two hello");
  for (int i = 0; i < 100 && p->StderrTail().find("err two") == std::string::npos; ++i) {
    ASSERT_TRUE(p->ReadLine(0.05).ok());  // stderr is drained while waiting for lines
  }
  EXPECT_NE(p->StderrTail().find("err two"), std::string::npos);
  EXPECT_EQ(p->Stop(5), "exited 0");  // EOF on stdin ends the loop
}

TEST(ServerProcessTest, RunsInItsOwnSessionWithExactlyTheGivenEnvironment) {
  auto p = Start(Shell("echo \"$HOME|$GREETING|$(pwd)\"; read l"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(NextLine(*p), "|hello|/tmp");  // HOME is not passed through from the agent
  EXPECT_EQ(getsid(p->pid()), p->pid());
  EXPECT_NE(getsid(p->pid()), getsid(0));
  p->Stop(5);
}

TEST(ServerProcessTest, ReadLineTimesOutWithoutALineAndFailsAtEof) {
  auto p = Start(Shell("read l; echo last"));
  ASSERT_NE(p, nullptr);
  auto none = p->ReadLine(0.1);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  p->CloseStdin();
  EXPECT_EQ(NextLine(*p), "last");
  auto eof = p->ReadLine(10);
  EXPECT_FALSE(eof.ok());
}

TEST(ServerProcessTest, StopKillsAServerThatIgnoresStdinAndSigterm) {
  auto p = Start(Shell("trap '' TERM; sleep 100 & wait"));
  ASSERT_NE(p, nullptr);
  auto start = Clock::now();
  std::string ending = p->Stop(0.3);
  EXPECT_EQ(ending, "killed by signal 9 (SIGKILL)");
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 5);
  EXPECT_EQ(p->Stop(0), ending);  // idempotent
  EXPECT_FALSE(p->SendLine("late").ok());
}

TEST(ServerProcessTest, AMissingProgramIsAStartError) {
  PosixServerLauncher launcher;
  ProcessSpec spec = Shell("");
  spec.argv = {"no-such-program-akg"};
  auto process = launcher.Start(spec);
  ASSERT_FALSE(process.ok());
  EXPECT_NE(process.status().message().find("not found"), std::string::npos);
}

TEST(ServerProcessTest, SendLineAfterTheServerExitedFailsWithoutSigpipe) {
  auto p = Start(Shell("exit 3"));
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->ReadLine(10).ok());  // EOF once it exited
  // The exiting child releases its stdin a moment after its stdout (the kernel defers the last
  // close of each file), so a write may still succeed just after EOF; soon one must fail, and
  // the agent must not die of SIGPIPE meanwhile.
  Status last = Status::Ok();
  for (int i = 0; i < 200 && last.ok(); ++i) {
    last = p->SendLine("anyone?");
    if (last.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(last.ok());
  EXPECT_EQ(p->Stop(5), "exited 3");
}

}  // namespace
}  // namespace akg
