#include "workflow/executor.h"

#include <algorithm>
#include <exception>

namespace akg {

Executor::Executor(int workers) {
  for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { Work(); });
}

Executor::~Executor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void Executor::Submit(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
    ++outstanding_;
  }
  work_ready_.notify_one();
}

CandidateRecord Executor::WaitAny() {
  std::unique_lock<std::mutex> lock(mutex_);
  result_ready_.wait(lock, [this] { return !done_.empty(); });
  CandidateRecord r = std::move(done_.front());
  done_.pop_front();
  --outstanding_;
  return r;
}

int Executor::outstanding() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return outstanding_;
}

int Executor::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

void Executor::Work() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to do
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    CandidateRecord r;
    try {
      r = job();
    } catch (const std::exception& e) {  // one crashing candidate never stops a search
      r.verdict.kind = VerdictKind::kRuntimeError;
      r.verdict.reason = "agent_error";
      r.verdict.message = std::string("the agent failed while building this candidate: ") + e.what();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --running_;
      done_.push_back(std::move(r));
    }
    result_ready_.notify_all();
  }
}

}  // namespace akg
