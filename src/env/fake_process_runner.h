// A ProcessRunner for tests: records every spec it receives and answers from a script,
// without starting anything. Workflow tests use it to play compilers and the harness.
//
//   runner.Enqueue(FakeProcessRunner::Exited(0, "ok\n"));       // next Run returns this
//   runner.Enqueue([](const ProcessSpec& spec) { ...; return FakeProcessRunner::Exited(0); });
//   runner.SetHandler(...);                                      // once the queue is empty
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "env/process_runner.h"

namespace akg {

class FakeProcessRunner : public ProcessRunner {
 public:
  using Handler = std::function<ProcessResult(const ProcessSpec&)>;

  // Queued answers are used first, one per Run, in order.
  void Enqueue(ProcessResult result);
  // A queued answer computed from the spec (e.g. writes a result file into spec.cwd or to a
  // path named in spec.argv before returning).
  void Enqueue(Handler handler);
  // Answers every Run once the queue is empty. Without one, such a Run returns a not-started
  // result whose start_error names the unexpected command, so the test fails visibly.
  void SetHandler(Handler handler);

  // Records the spec, then answers. Thread-safe; handlers run outside the lock, so they may
  // run concurrently when Run does.
  ProcessResult Run(const ProcessSpec& spec) override;

  // Every spec received so far, in order (a copy, since Run may be running concurrently).
  std::vector<ProcessSpec> specs() const;
  size_t run_count() const;
  // Queued answers not yet used; a test can expect 0 at its end.
  size_t pending() const;

  // Canned results.
  static ProcessResult Exited(int exit_code, std::string stdout_text = {},
                              std::string stderr_text = {});
  static ProcessResult KilledBySignal(int signal, std::string stderr_text = {});
  static ProcessResult TimedOut(double after_seconds);
  static ProcessResult NotStarted(std::string start_error);

 private:
  mutable std::mutex mutex_;
  std::vector<ProcessSpec> specs_;
  std::deque<Handler> queue_;
  Handler fallback_;
};

}  // namespace akg
