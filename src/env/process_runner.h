// The one seam through which the agent runs child processes: the Python harness (which
// executes untrusted generated kernels) and compilers.
//
//   ScrubbedEnvironment(allow-list) ──▶ ProcessSpec.env
//   ProcessSpec ──ProcessRunner::Run──▶ ProcessResult (exit/signal/timeout, output, times)
//
// PosixProcessRunner (this file) is the real runner: fork/execve into a new session, rlimits,
// output drained with poll, the whole process group killed on timeout or cancel.
// FakeProcessRunner (fake_process_runner.h) records specs and answers from a script, so
// workflows are tested without starting anything. ProcessSpec::cancel (env/cancel.h) stops a
// child: the run it belongs to was cancelled, or the whole agent was interrupted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "env/cancel.h"

namespace akg {

// Resource limits applied in the child before execve. A limit can only lower what the agent
// itself has (a request above the agent's hard limit is clamped to it).
struct ProcessLimits {
  // RLIMIT_CPU: CPU seconds (rounded up to whole seconds). The child gets SIGXCPU at the limit
  // and SIGKILL one second later. 0 = no limit.
  double cpu_seconds = 0;
  // RLIMIT_AS: address-space bytes. 0 = no limit. Leave 0 for anything that loads CUDA: the
  // driver reserves huge virtual ranges and fails under RLIMIT_AS.
  uint64_t memory_bytes = 0;
  // RLIMIT_NOFILE: the child may not open an fd numbered this or higher. 0 = inherit.
  int open_files = 0;
  // false (default) = RLIMIT_CORE 0, so crashing kernels leave no core files; true = inherit.
  bool core_dumps = false;
};

struct ProcessSpec {
  // Program and arguments; must not be empty. An argv[0] without '/' is looked up in the PATH
  // of `env` (not the agent's PATH); one with '/' is used as is, relative to `cwd`.
  std::vector<std::string> argv;
  // The COMPLETE environment of the child: nothing is inherited from the agent. Start from
  // ScrubbedEnvironment() and add what the child needs.
  std::map<std::string, std::string> env;
  // Working folder of the child; empty = the agent's current folder.
  std::filesystem::path cwd;
  // Wall-clock limit in seconds; 0 = none. On expiry the process group gets SIGTERM, then
  // SIGKILL after kill_grace_s.
  double timeout_s = 0;
  // Seconds between SIGTERM and SIGKILL when a timeout or cancel stops the child; 0 = SIGKILL
  // at once.
  double kill_grace_s = 1.0;
  ProcessLimits limits;
  // Written to the child's stdin, which is then closed; empty = the child reads EOF at once.
  // If the child exits or closes stdin early, the rest is dropped.
  std::string stdin_data;
  // Cap on captured bytes per stream (stdout, stderr). Beyond it the first and last halves
  // are kept, joined by a "[... N bytes omitted ...]" line, and *_truncated is set. Cuts
  // never split a UTF-8 character.
  size_t max_output_bytes = size_t{4} << 20;
  // Stops the child (SIGTERM, grace, SIGKILL to its group) within about 20 ms of being
  // cancelled; a Run given a cancelled token starts nothing. null = the process's root token.
  // Not owned; must outlive Run.
  const CancelToken* cancel = nullptr;
};

struct ProcessResult {
  bool started = false;       // false: the program never ran (see start_error, cancelled)
  std::string start_error;    // why it did not start: not found, bad cwd, exec failed, ...
  int exit_code = -1;         // exit status if it exited normally; -1 otherwise
  int term_signal = 0;        // signal that ended it; 0 if none
  bool timed_out = false;     // stopped by us because timeout_s passed
  bool cancelled = false;     // stopped (or never started) because spec.cancel was cancelled
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;  // see ProcessSpec::max_output_bytes
  bool stderr_truncated = false;
  double wall_seconds = 0;      // monotonic, from fork to reaping the child
  double user_cpu_seconds = 0;  // from wait4: the child plus descendants it waited for
  double sys_cpu_seconds = 0;

  // Started, exited 0, and neither timed out nor cancelled.
  bool Succeeded() const;
  // One line: "exited 1", "killed by signal 11 (SIGSEGV)", "timed out after 5.0 s",
  // "cancelled after 0.2 s", "failed to start: ...".
  std::string Describe() const;
};

// "SIGSEGV" for 11, ..., "signal N" for one without a known name.
std::string SignalName(int signal);

class ProcessRunner {
 public:
  virtual ~ProcessRunner();
  // Runs the spec to completion and describes what happened. Never throws; failures to start
  // are reported in the result. Safe to call from several threads at once.
  virtual ProcessResult Run(const ProcessSpec& spec) = 0;
};

// The real runner (Linux; POSIX plus pidfd/close_range where available).
//
// The child runs in its own session (setsid), so terminal Ctrl-C reaches only the agent,
// whose handler cancels a token (env/cancel.h). On timeout or cancel the whole process group gets
// SIGTERM, then SIGKILL after the grace period. When the child itself exits, anything it left
// in its group is SIGKILLed: nothing outlives Run. (A descendant that starts its own session
// escapes the group; only cgroups could catch it. If it keeps the output pipes open, Run
// stops reading them one second after the child exits.)
//
// The child gets exactly spec.env, default signal dispositions, an empty signal mask, and no
// fds but 0, 1, 2. The agent must not set SIGCHLD to SIG_IGN or reap children with
// waitpid(-1): Run waits for its own child by pid.
class PosixProcessRunner : public ProcessRunner {
 public:
  ProcessResult Run(const ProcessSpec& spec) override;
};

// True if an environment variable name may hold a credential. The rule, on the upper-cased
// name: it contains KEY, TOKEN, SECRET, PASS (PASSWORD, PASSWD, PASSPHRASE), CREDENTIAL, AUTH,
// COOKIE, PRIVATE or PROXY (proxy URLs embed user:password), or ends in _PAT (personal access
// tokens) or _PWD (MYSQL_PWD; plain PWD, the working folder, is fine). Errs towards dropping:
// a false positive costs a missing variable, a false negative hands a key to untrusted code.
bool LooksSecret(const std::string& name);

// The child environment for ProcessSpec::env: copies from the agent's environment only the
// variables named in `pass_through_names` (an entry ending in '*' is a prefix, e.g. "LC_*"),
// never one for which LooksSecret is true, even if named. Names not set are skipped.
std::map<std::string, std::string> ScrubbedEnvironment(
    const std::vector<std::string>& pass_through_names);

}  // namespace akg
