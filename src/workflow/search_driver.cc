#include "workflow/search_driver.h"
#include "store/run_folder.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/files.h"
#include "workflow/core_step.h"
#include "workflow/device_pool.h"
#include "workflow/progress.h"

namespace akg {
namespace {

// One JSON object a line: the header ({workflow, settings}), then one ask/tell call a line,
// appended as it happens (a torn last line from a crash is ignored on resume).
constexpr const char* kLogFile = RunFiles::kSearchLog;
constexpr size_t kFeedbackLogChars = 4000;  // tail of a failure's log shown to KernelGen

// What a worker needs for one candidate; owns what the GenRequest points to.
struct JobInput {
  ScoredKernel parent;
  GenRequest gen;
};

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : "[...]\n" + s.substr(s.size() - n);
}

Clock* ClockOf(const WorkflowContext& ctx) {
  static SystemClock system_clock;
  return ctx.clock ? ctx.clock : &system_clock;
}

}  // namespace

SearchDriver::SearchDriver(const WorkflowContext& ctx, std::string workflow, Json settings)
    : ctx_(ctx), workflow_(std::move(workflow)), settings_(std::move(settings)) {
  // `concurrency` candidates in flight per slot of the pool: with 2 (the default) one is
  // measured while the next is generated and built, so no device waits on the CPU-side steps.
  int workers = ctx.config->search.concurrency;
  if (ctx.pool != nullptr) workers *= std::max<int>(1, static_cast<int>(ctx.pool->size()));
  executor_ = std::make_unique<Executor>(workers);
}

double SearchDriver::elapsed_s() const { return ClockOf(ctx_)->NowSeconds() - start_s_; }

Status SearchDriver::Start() {
  start_s_ = ClockOf(ctx_)->NowSeconds();
  const RunFolder& run = *ctx_.run;
  if (ctx_.designer != nullptr) {
    if (ctx_.resume && std::filesystem::exists(run.Resolve(RunFiles::kDesignHints))) {
      AKG_ASSIGN_OR_RETURN(std::string sketch, ReadFile(run.Resolve(RunFiles::kDesign)));
      AKG_ASSIGN_OR_RETURN(std::string hints, ReadFile(run.Resolve(RunFiles::kDesignHints)));
      AKG_ASSIGN_OR_RETURN(Json h, ParseJson(hints, run.Resolve(RunFiles::kDesignHints).string()));
      design_ = Design{sketch, h};
    } else {
      ctx_.emit(PhaseEvent("design", "KernelDesigner is sketching the kernel"));
      AKG_ASSIGN_OR_RETURN(Design d, ctx_.designer->MakeDesign(
                                         {ctx_.task, ctx_.target, ctx_.cancel,
                                          StreamTail(ctx_.emit, "design", "[design] model")}));
      AKG_RETURN_IF_ERROR(run.WriteText(RunFiles::kDesign, d.sketch));
      AKG_RETURN_IF_ERROR(run.WriteJson(RunFiles::kDesignHints, d.hints));
      design_ = std::move(d);
    }
  }
  if (ctx_.resume) AKG_RETURN_IF_ERROR(ReadLog());
  Json header = {{"workflow", workflow_}, {"settings", settings_}};
  return WriteFileAtomic(run.Resolve(kLogFile), header.dump() + "\n");
}

Status SearchDriver::ReadLog() {
  const RunFolder& run = *ctx_.run;
  auto text = ReadFile(run.Resolve(kLogFile));
  if (!text.ok()) {
    return UsageError("'" + run.path().string() + "' has no " + kLogFile +
                      ": only an evolve or adaptive_search run folder can be resumed");
  }
  std::istringstream lines(*text);
  std::string line;
  std::getline(lines, line);
  auto header = ParseJson(line, run.Resolve(kLogFile).string());
  if (!header.ok() || !header->is_object()) {
    return UsageError("the first line of " + run.Resolve(kLogFile).string() +
                      " is not a search log header; the run cannot be resumed");
  }
  std::string logged = header->value("workflow", std::string("?"));
  if (logged != workflow_) {
    return UsageError("'" + run.path().string() + "' is a " + logged + " run; resume it with "
                      "--workflow " + logged);
  }
  if (header->value("settings", Json()) != settings_) {
    return ConfigError("the search settings differ from those of the run being resumed (" +
                       header->value("settings", Json()).dump() + "); resume with the same "
                       "configuration, or start a new run");
  }
  while (std::getline(lines, line)) {
    auto event = ParseJson(line, "search log");
    if (!event.ok() || !event->is_object()) break;  // a line torn by the interruption
    logged_events_.push_back(std::move(event).value());
  }
  ctx_.emit(PhaseEvent(workflow_, fmt::format("resuming {}: replaying {} logged search steps",
                                              run.path().string(), logged_events_.size())));
  return Status::Ok();
}

Status SearchDriver::Log(const Json& event) {
  std::ofstream out(ctx_.run->Resolve(kLogFile), std::ios::app | std::ios::binary);
  out << event.dump() << "\n";
  out.flush();
  if (!out) return InternalError("cannot append to " + ctx_.run->Resolve(kLogFile).string());
  return Status::Ok();
}

Result<CandidateRecord> SearchDriver::LoadCompleted(const std::string& id) {
  auto path = ctx_.run->Resolve(RunFiles::In(RunFiles::CandidateDir(id), RunFiles::kMeta));
  AKG_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  AKG_ASSIGN_OR_RETURN(Json j, ParseJson(text, path.string()));
  return CandidateFromJson(j);
}

std::vector<Feedback> SearchDriver::FeedbackOf(const std::vector<std::string>& ids) const {
  std::vector<Feedback> out;
  for (const auto& id : ids) {
    auto it = done_.find(id);
    if (it == done_.end()) continue;
    const CandidateRecord& c = it->second;
    auto log = ReadFile(ctx_.run->Resolve(RunFiles::In(c.dir, RunFiles::kVerifyLog)));
    out.push_back({VerdictName(c.verdict.kind), c.Summary(),
                   Tail(log.ok() ? *log : c.verdict.log, kFeedbackLogChars), c.verdict.reason});
  }
  return out;
}

ScoredKernel SearchDriver::Score(const CandidateRecord& c) const {
  ScoredKernel k;
  k.id = c.id;
  auto code = ReadFile(ctx_.run->Resolve(c.code_path()));
  if (code.ok()) k.code = *code;
  k.description = c.description;
  k.hints = c.hints;
  k.verdict = c.passed() ? "passed"
              : (c.verdict.passed() && c.reverification) ? VerdictName(c.reverification->kind)
                                                         : VerdictName(c.verdict.kind);
  k.feedback = c.Summary();
  k.speedup_vs_eager = c.fitness();
  if (c.passed() && c.profile && c.profile->ok) {
    k.median_ms = c.profile->candidate.median_ms;
    k.noisy = c.profile->noisy_measurement();
  }
  return k;
}

std::shared_ptr<GenRequest> SearchDriver::BuildRequest(const Proposal& p, int explore) {
  auto in = std::make_shared<JobInput>();
  GenRequest& g = in->gen;
  g.task = ctx_.task;
  g.target = ctx_.target;
  g.cancel = ctx_.cancel;
  g.design = design_ ? &*design_ : nullptr;
  g.attempt = std::stoi(p.id.substr(1));
  g.history = FeedbackOf(p.failures);
  if (!p.parent.empty() && scored_.count(p.parent)) {
    in->parent = scored_.at(p.parent);
    g.parent = &in->parent;
  }
  for (const auto& id : p.inspirations) {
    if (scored_.count(id)) g.inspirations.push_back(scored_.at(id));
  }
  g.seed = p.seed;
  g.explore = explore;
  g.explore_seed = static_cast<uint64_t>(ctx_.config->search.seed);
  return std::shared_ptr<GenRequest>(in, &in->gen);  // shares ownership of the parent too
}

void SearchDriver::Submit(const Proposal& p) {
  proposals_[p.id] = p;
  // Counted before a resumed candidate returns, so a resume hands out the same directions.
  int explore = p.parent.empty() ? from_scratch_++ : -1;
  if (ctx_.resume) {
    auto done = LoadCompleted(p.id);
    if (done.ok()) {
      reused_.push_back(*done);
      return;
    }
  }
  CandidateRecord base;
  base.id = p.id;
  base.dir = RunFiles::CandidateDir(p.id);
  base.island = p.island;
  base.round = p.round;
  base.parent = p.parent;
  base.inspirations = p.inspirations;
  base.failures_fed_back = p.failures;
  base.seed = p.seed;
  std::shared_ptr<GenRequest> gen = BuildRequest(p, explore);
  executor_->Submit([this, gen, base]() {
    CandidateRecord r = base;
    if (halted_.load() || ctx_.cancelled()) {
      r.skipped = true;
      return r;
    }
    try {
      StepInput in;
      in.record = base;
      in.gen = *gen;
      return RunCoreStep(ctx_, std::move(in));
    } catch (const std::exception& e) {  // one crashing candidate never stops a search
      r.verdict.kind = VerdictKind::kRuntimeError;
      r.verdict.reason = "agent_error";
      r.verdict.message = std::string("the agent failed while building this candidate: ") + e.what();
      return r;
    }
  });
}

CandidateRecord SearchDriver::WaitNext() {
  if (!reused_.empty()) {
    CandidateRecord c = std::move(reused_.front());
    reused_.pop_front();
    return c;
  }
  return executor_->WaitAny();
}

Observation SearchDriver::Complete(const CandidateRecord& c, bool replayed) {
  done_[c.id] = c;
  scored_[c.id] = Score(c);
  if (!c.passed()) ++failed_;
  bool improved = c.passed() && c.fitness() > best_;
  if (improved) best_ = c.fitness();
  if (!replayed) {
    std::string where = workflow_ == "evolve"
                            ? fmt::format("island {}, round {}", c.island, c.round)
                            : fmt::format("after {}", c.round);
    RunEvent e = NoteEvent(workflow_, fmt::format("{} ({}{}) {}{}", c.id, where,
                                                  c.parent.empty() ? "" : ", parent " + c.parent,
                                                  c.Summary(), improved ? " -- new best" : ""));
    e.kind = RunEvent::Kind::kVerdict;
    e.candidate = c.id;
    e.verdict = VerdictName(c.verdict.kind);
    e.reason = c.verdict.reason;
    e.seconds = c.verdict.wall_seconds;
    if (c.passed()) e.speedup = c.fitness();
    ctx_.emit(e);
  }
  return {c.id, c.passed(), c.fitness()};
}

void SearchDriver::Stop(const std::string& why) {
  if (stopping_.exchange(true)) return;
  stop_reason_ = why;
}

void SearchDriver::Halt(const std::string& why) {
  if (halted_.exchange(true)) return;
  stopping_ = true;
  stop_reason_ = why;  // an interrupt or budget overrides a gentler reason
}

bool SearchDriver::CheckStop(double max_wall_s) {
  if (halted_) return true;
  if (ctx_.cancelled()) {
    interrupted_ = true;
    Halt("interrupted; continue with --resume " + ctx_.run->path().string());
    return true;
  }
  if (stopping_) return true;
  if (max_wall_s > 0 && elapsed_s() >= max_wall_s) {
    Halt(fmt::format("wall-time budget reached ({:.0f} s, search.max_wall_s)", max_wall_s));
    return true;
  }
  std::string why;
  if (ctx_.budget_exhausted(&why)) {
    Halt(why.empty() ? "budget exhausted" : why);
    return true;
  }
  return false;
}

void SearchDriver::ShowStatus(const std::string& where, int planned) {
  SearchStatus s;
  s.workflow = workflow_;
  s.where = where;
  s.done = static_cast<int>(done_.size());
  s.running = executor_->running();
  s.failed = failed_;
  s.best = best_;
  s.elapsed_s = elapsed_s();
  if (planned > 0 && s.done > 0) s.eta_s = s.elapsed_s / s.done * std::max(0, planned - s.done);
  RunEvent e = NoteEvent(workflow_, FormatSearchStatus(s));
  e.kind = RunEvent::Kind::kStatus;
  ctx_.emit(e);
}

Result<WorkflowOutcome> SearchDriver::Finish(Json summary) {
  WorkflowOutcome out;
  out.workflow = workflow_;
  out.is_search = true;
  out.design = design_;
  out.interrupted = interrupted_;
  out.stop_reason = stop_reason_;
  int best = -1;
  for (const auto& [id, c] : done_) {
    out.candidates.push_back(c);
    if (c.passed() && (best < 0 || c.fitness() > out.candidates[best].fitness())) {
      best = static_cast<int>(out.candidates.size()) - 1;
    }
  }
  // A task too large for the device fails every candidate alike: the user's error (exit 2).
  for (const auto& c : out.candidates) {
    if (best < 0 && !c.verdict.task_error.empty()) return InputError(c.verdict.task_error);
  }
  if (best >= 0) {
    const CandidateRecord& b = out.candidates[best];
    out.passing_attempt = best + 1;
    out.profile = b.profile;
    out.reverification = b.reverification;
    if (b.profile) AKG_RETURN_IF_ERROR(ctx_.run->WriteJson(RunFiles::kProfile, ProfileFileJson(*b.profile)));
  } else if (out.stop_reason.empty()) {
    out.stop_reason = "no candidate passed verification";
  }
  int failed = 0;
  for (const auto& c : out.candidates) failed += !c.passed();
  summary["candidates"] = out.candidates.size();
  summary["failed"] = failed;
  summary["best"] = best >= 0 ? Json(out.candidates[best].id) : Json(nullptr);
  summary["stop_reason"] = out.stop_reason;
  summary["settings"] = settings_;
  summary["wall_s"] = elapsed_s();
  out.search = summary;
  if (ctx_.pool != nullptr) out.device_utilisation = ctx_.pool->Utilisation();
  return out;
}

}  // namespace akg
