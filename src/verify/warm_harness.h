// The warm harness: one long-lived `python -m akg_harness.server` that imported torch and the
// harness once and forks a child per call (docs/HARNESS_PROTOCOL.md, "Warm server"). A call
// costs a fork instead of an interpreter start plus `import torch`, and comes back as the same
// ProcessResult a cold `python -m akg_harness CMD` child would give, so HarnessClient's verdict
// parsing does not know the difference.
//
//   WarmHarness::Run ──run line──▶ server ──fork──▶ child (own session, limits, cwd, env)
//                    ◀─result line── (exit/signal/timeout, output, times)
//   reader thread: server stdout lines ──▶ the waiting Run; EOF = the server died
//
// Concurrency: Run may be called from several threads at once; their children run side by
// side in the one server. Failure handling: a server that dies while calls are in flight (a
// candidate may kill its parent) takes its children's groups down; each such call is retried
// once on a fresh server, and reported as the child's death if that one dies too. Later calls
// start a new server. A call whose WarmRun::cancel token is cancelled (its run was cancelled,
// or Ctrl-C) sends the server `cancel` for that call: the server stops that child's group
// (SIGTERM, grace, SIGKILL) and answers `cancelled`, and stays warm for other calls and runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/json.h"
#include "core/status.h"
#include "env/cancel.h"
#include "env/process_runner.h"
#include "env/server_process.h"

namespace akg {

// One harness command for the warm server: the cold child's ProcessSpec, minus argv.
struct WarmRun {
  std::string command;                         // inspect | verify | profile | peaks
  std::filesystem::path request_path;          // absolute
  std::filesystem::path result_path;           // absolute
  std::filesystem::path cwd;                   // the call's own folder
  std::map<std::string, std::string> env;      // the child's complete environment
  double timeout_s = 0;                        // 0 = none
  double kill_grace_s = 1.0;                   // SIGTERM .. SIGKILL on timeout or cancel
  ProcessLimits limits;
  size_t max_output_bytes = size_t{4} << 20;   // per stream, as ProcessSpec's
  const CancelToken* cancel = nullptr;         // as ProcessSpec's (null = the root token)
};

struct WarmHarnessOptions {
  // How the server is started: argv {python, "-m", "akg_harness.server"}, the scrubbed
  // environment of a harness child, its own folder as cwd.
  ProcessSpec server;
  double start_timeout_s = 180;  // for the server's ready line (imports torch and triton)
  // Extra seconds past a call's timeout + grace before an unanswering server is presumed hung
  // (it is then killed and the call reported as timed out).
  double hung_margin_s = 15;
};

class WarmHarness {
 public:
  WarmHarness(ServerLauncher* launcher, WarmHarnessOptions options);
  ~WarmHarness();  // stops the server (its children first)
  WarmHarness(const WarmHarness&) = delete;
  WarmHarness& operator=(const WarmHarness&) = delete;

  // Runs one command in a forked child of the server. An error only when no server could be
  // started (the message says why; the caller then runs cold); everything a child does is in
  // the ProcessResult.
  Result<ProcessResult> Run(const WarmRun& run);

  // Starts the server now (if none runs) and waits for its ready line, so the first Run does
  // not pay for the imports; the same error as Run's when it cannot start.
  Status Start();
  // Makes a start in progress (and later ones) give up at once: for an owner that is closing
  // while a background Start still waits for the server's imports.
  void AbortStart();

  // Stops the current server, if any; the next Run starts a fresh one.
  void Shutdown();

  // The ready line of the server now running (pid, versions, warm-up seconds), or null.
  Json ServerInfo();
  // Servers started so far (1 after the first call; more after deaths or cancels).
  int servers_started();

  class Session;  // one server process and its reader thread (warm_harness.cc)

 private:
  Result<std::shared_ptr<Session>> CurrentSession();
  void Retire(const std::shared_ptr<Session>& session);

  ServerLauncher* launcher_;
  WarmHarnessOptions options_;
  std::mutex start_mu_;  // held while a server starts, so only one starts at a time
  std::atomic<bool> abort_start_{false};
  std::mutex mu_;        // current_, servers_started_, next_id_ (held briefly)
  std::shared_ptr<Session> current_;
  int servers_started_ = 0;
  int64_t next_id_ = 0;
};

// Decodes standard base64 (with or without padding); false on a bad character.
bool DecodeBase64(const std::string& text, std::string* out);

}  // namespace akg
