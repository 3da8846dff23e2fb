// Worker threads for the searches: jobs (one candidate each: generate, then verify/profile on
// a pooled device) run on `workers` threads; the search's own thread collects results one at
// a time with WaitAny, so the search logic itself stays single-threaded.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "workflow/candidate.h"

namespace akg {

class Executor {
 public:
  using Job = std::function<CandidateRecord()>;

  explicit Executor(int workers);
  // Finishes the jobs already submitted, then joins the threads.
  ~Executor();

  void Submit(Job job);
  // Blocks until some job has finished and returns its record, in completion order.
  // Precondition: outstanding() > 0.
  CandidateRecord WaitAny();
  // Submitted and not yet collected by WaitAny.
  int outstanding() const;
  int running() const;
  int workers() const { return static_cast<int>(threads_.size()); }

 private:
  void Work();

  mutable std::mutex mutex_;
  std::condition_variable work_ready_, result_ready_;
  std::deque<Job> queue_;
  std::deque<CandidateRecord> done_;
  int running_ = 0;
  int outstanding_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace akg
