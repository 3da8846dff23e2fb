// Long-lived children ("servers") the agent talks to in lines over pipes: the warm harness
// worker (verify/warm_harness.h). ProcessRunner runs a child to completion; this seam keeps one
// running.
//
//   ProcessSpec ──ServerLauncher::Start──▶ ServerProcess
//       SendLine ──▶ child's stdin        ReadLine ◀── child's stdout (one line at a time)
//       child's stderr ──▶ a capped tail (StderrTail), drained by ReadLine
//
// PosixServerLauncher (this file) is the real launcher; tests that script a server use the real
// one with a small script, since what matters is the pipe and process plumbing.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "env/process_runner.h"

namespace akg {

class ServerProcess {
 public:
  virtual ~ServerProcess();
  virtual int pid() const = 0;
  // Writes `line` and a '\n' to the child's stdin (all of it, blocking). Fails when the child
  // has closed its stdin or died. Safe to call from several threads at once.
  virtual Status SendLine(const std::string& line) = 0;
  // Waits up to timeout_s for the next complete line on the child's stdout (returned without
  // its '\n'); nullopt when none came in time. An error once stdout reached EOF (the child
  // exited or closed it). Meanwhile drains stderr into StderrTail. One caller at a time.
  virtual Result<std::optional<std::string>> ReadLine(double timeout_s) = 0;
  // The last bytes (at most 64 KiB) the child wrote to stderr.
  virtual std::string StderrTail() const = 0;
  // Closes the child's stdin: a well-behaved server finishes and exits. Idempotent.
  virtual void CloseStdin() = 0;
  // Closes stdin, waits up to grace_s for the child to exit, then SIGKILLs its process group
  // and reaps it. Returns how it ended ("exited 0", "killed by signal 9 (SIGKILL)").
  // Idempotent; safe to call while another thread is in ReadLine.
  virtual std::string Stop(double grace_s) = 0;
};

class ServerLauncher {
 public:
  virtual ~ServerLauncher();
  // Starts spec.argv with exactly spec.env in spec.cwd. spec.timeout_s, limits and stdin_data
  // do not apply to a server (it lives until stopped; its own children get limits from it).
  virtual Result<std::unique_ptr<ServerProcess>> Start(const ProcessSpec& spec) = 0;
};

// posix_spawn into a new session (so terminal Ctrl-C reaches only the agent) with default
// signal dispositions, an empty signal mask, and no fds but 0, 1, 2. The child is not tied to
// the starting thread's life (no PDEATHSIG): a server learns of the agent's death from EOF on
// its stdin. The ServerProcess's destructor stops the child (Stop(0)) if still running.
class PosixServerLauncher : public ServerLauncher {
 public:
  Result<std::unique_ptr<ServerProcess>> Start(const ProcessSpec& spec) override;
};

// SIGKILLs (or `sig`s) process group `pgid`, e.g. a child a server reported; no-op if gone.
void SignalProcessGroup(int pgid, int sig);

}  // namespace akg
