// The machinery the two searches share (search_workflows.cc holds their loops):
//
//   Proposal ──Submit──▶ worker thread: RunCoreStep (generate, then verify/profile on a pooled
//                        device) ──▶ WaitNext ──▶ Complete: record, log line, status line
//   search_log.jsonl: every ask/tell call in order, rewritten after each; --resume replays it
//   through the (deterministic) search, reuses every candidate that has its meta.json, and
//   builds again only the ones that never finished.
//
// All search state is touched only from the thread that runs the workflow; worker threads
// see a candidate's own inputs and the read-only context.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "search/search.h"
#include "workflow/candidate.h"
#include "workflow/executor.h"
#include "workflow/workflow.h"

namespace akg {

class SearchDriver {
 public:
  SearchDriver(const WorkflowContext& ctx, std::string workflow, Json settings);

  // Design phase (or, on resume, the design already in the run folder), then the search log:
  // a fresh one, or the one to replay.
  Status Start();
  const Json& LoggedEvents() const { return logged_events_; }
  bool resuming() const { return ctx_.resume; }

  // Appends an ask/tell call to the log.
  Status Log(const Json& event);
  // Queues a proposal: reused when its meta.json exists (resume), else built on a worker.
  void Submit(const Proposal& p);
  // Remembers a proposal replayed from the log without submitting it yet.
  void Remember(const Proposal& p) { proposals_[p.id] = p; }
  // A completed candidate replayed from the log (its meta.json), without building it.
  Result<CandidateRecord> LoadCompleted(const std::string& id);
  // The next finished candidate (reused ones first). Precondition: outstanding() > 0.
  CandidateRecord WaitNext();
  int outstanding() const { return static_cast<int>(reused_.size()) + executor_->outstanding(); }
  int workers() const { return executor_->workers(); }

  // Records a finished candidate and prints its line; returns its observation.
  Observation Complete(const CandidateRecord& c, bool replayed = false);

  // Cancel, wall time and the budget hook: Halt when one fires.
  bool CheckStop(double max_wall_s);
  // No further proposals; what is already queued still runs (candidate budget, patience).
  void Stop(const std::string& why);
  // No further proposals, and queued candidates not yet started are skipped (Ctrl-C, wall
  // time, LLM budget); they stay unobserved, so --resume builds them.
  void Halt(const std::string& why);
  bool stopping() const { return stopping_.load(); }
  const std::string& stop_reason() const { return stop_reason_; }
  double elapsed_s() const;

  void ShowStatus(const std::string& where, int planned);
  // The outcome: every candidate, the best as the passing attempt, utilisation.
  Result<WorkflowOutcome> Finish(Json search_summary);

 private:
  Status ReadLog();
  std::shared_ptr<GenRequest> BuildRequest(const Proposal& p, int explore);
  ScoredKernel Score(const CandidateRecord& c) const;
  std::vector<Feedback> FeedbackOf(const std::vector<std::string>& ids) const;

  WorkflowContext ctx_;
  std::string workflow_;
  Json settings_;
  Json logged_events_ = Json::array();  // read back on resume
  std::optional<Design> design_;
  std::deque<CandidateRecord> reused_;
  std::map<std::string, Proposal> proposals_;
  std::map<std::string, CandidateRecord> done_;
  std::map<std::string, ScoredKernel> scored_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> halted_{false};
  std::string stop_reason_;
  double start_s_ = 0;
  int failed_ = 0;
  int from_scratch_ = 0;  // proposals without a parent so far (each explores its own direction)
  double best_ = 0;
  bool interrupted_ = false;
  std::unique_ptr<Executor> executor_;  // last: its threads stop before the rest goes
};

}  // namespace akg
