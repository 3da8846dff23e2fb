#include "env/fake_process_runner.h"

#include <signal.h>

#include <utility>

namespace akg {

void FakeProcessRunner::Enqueue(ProcessResult result) {
  Enqueue([result = std::move(result)](const ProcessSpec&) { return result; });
}

void FakeProcessRunner::Enqueue(Handler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back(std::move(handler));
}

void FakeProcessRunner::SetHandler(Handler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  fallback_ = std::move(handler);
}

ProcessResult FakeProcessRunner::Run(const ProcessSpec& spec) {
  Handler handler;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    specs_.push_back(spec);
    if (IsCancelled(spec.cancel)) {  // as the real runner: a cancelled run starts nothing
      ProcessResult result = NotStarted("cancelled before start");
      result.cancelled = true;
      return result;
    }
    if (!queue_.empty()) {
      handler = std::move(queue_.front());
      queue_.pop_front();
    } else {
      handler = fallback_;
    }
  }
  if (handler) return handler(spec);
  std::string command;
  for (const std::string& arg : spec.argv) command += (command.empty() ? "" : " ") + arg;
  return NotStarted("FakeProcessRunner: no scripted result for: " + command);
}

std::vector<ProcessSpec> FakeProcessRunner::specs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return specs_;
}

size_t FakeProcessRunner::run_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return specs_.size();
}

size_t FakeProcessRunner::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

ProcessResult FakeProcessRunner::Exited(int exit_code, std::string stdout_text,
                                        std::string stderr_text) {
  ProcessResult result;
  result.started = true;
  result.exit_code = exit_code;
  result.stdout_text = std::move(stdout_text);
  result.stderr_text = std::move(stderr_text);
  return result;
}

ProcessResult FakeProcessRunner::KilledBySignal(int signal, std::string stderr_text) {
  ProcessResult result;
  result.started = true;
  result.term_signal = signal;
  result.stderr_text = std::move(stderr_text);
  return result;
}

ProcessResult FakeProcessRunner::TimedOut(double after_seconds) {
  ProcessResult result = KilledBySignal(SIGTERM);
  result.timed_out = true;
  result.wall_seconds = after_seconds;
  return result;
}

ProcessResult FakeProcessRunner::NotStarted(std::string start_error) {
  ProcessResult result;
  result.start_error = std::move(start_error);
  return result;
}

}  // namespace akg
