#include "workflow/optimise.h"

#include <exception>

#include <fmt/format.h>

#include "core/files.h"
#include "search/rng.h"
#include "store/run_folder.h"
#include "verify/profile_report.h"
#include "workflow/core_step.h"
#include "workflow/device_pool.h"

namespace akg {
namespace {

// Seeds of the optimise steps (KernelGen's variation, an LLM's own seed): far from a search's.
constexpr uint64_t kOptimiseSeedBase = 0x0917'1600;

std::string Joined(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

double SolFractionOf(const ProfileResult& p) {
  const Json& s = p.sol;
  return s.is_object() && s.contains("fraction_of_sol_candidate") &&
                 s["fraction_of_sol_candidate"].is_number()
             ? s["fraction_of_sol_candidate"].get<double>()
             : -1;
}

// The figures a decision rests on, for a kernel left alone.
std::string Standing(const ProfileResult& p) {
  std::string s = fmt::format("{:.3f}x eager", p.speedup_vs_eager);
  if (p.speedup_vs_torch_compile) s += fmt::format(", {:.3f}x torch.compile", *p.speedup_vs_torch_compile);
  return s;
}

struct StepResult {
  bool stop = false;  // no further step (KernelGen failed, nothing new, interrupted)
  std::string what;   // the step's outcome, one line
};

struct Step {
  int number = 0, of = 0;
  std::string lead() const { return fmt::format("step {}/{}: ", number, of); }
};

void Note(const WorkflowContext& ctx, const std::string& text) { ctx.emit(NoteEvent("optimise", text)); }

Clock* ClockOf(const WorkflowContext& ctx) {
  static SystemClock system_clock;
  return ctx.clock ? ctx.clock : &system_clock;
}

StepResult Interrupted(WorkflowOutcome* out) {
  out->interrupted = true;
  out->stop_reason = "interrupted";
  return {true, "interrupted"};
}

// The best kernel as the parent to improve (and the others as inspirations).
Result<ScoredKernel> Scored(const WorkflowContext& ctx, const CandidateRecord& c) {
  AKG_ASSIGN_OR_RETURN(std::string code, ReadFile(ctx.run->Resolve(c.code_path())));
  ScoredKernel k;
  k.id = c.id;
  k.code = std::move(code);
  k.description = c.description;
  k.hints = c.hints;
  k.verdict = c.passed() ? "passed" : VerdictName(c.verdict.kind);
  k.feedback = c.Summary();
  bool timed = c.passed() && c.profile && c.profile->ok;
  k.speedup_vs_eager = timed ? c.profile->speedup_vs_eager : 0;
  k.median_ms = timed ? c.profile->candidate.median_ms : 0;
  k.noisy = timed && c.profile->noisy_measurement();
  return k;
}

// ncu's counters of the best kernel, on a held device; on the CPU none (the log says so once).
std::string CountersLines(const WorkflowContext& ctx, const CandidateRecord& best) {
  if (!ctx.config->profile_settings.counters) return "";
  if (ctx.harness == nullptr || ctx.harness->options().device == "cpu") {
    Note(ctx, "profile_settings.counters: hardware counters need a GPU; none are taken on the CPU");
    return "";
  }
  CountersRequest req;
  req.task_path = ctx.run->Resolve(RunFiles::kTask);
  req.candidate_path = ctx.run->Resolve(best.code_path());
  req.dsl = ctx.target.dsl;
  req.seed = ctx.config->verify_settings.seed;
  req.timeout_s = ctx.config->profile_timeout;
  req.cancel = ctx.cancel;
  CountersResult c;
  if (ctx.pool != nullptr) {
    DevicePool::Lease lease = ctx.pool->Acquire();
    c = lease.harness()->Counters(req);
  } else {
    c = ctx.harness->Counters(req);
  }
  Note(ctx, c.ok ? fmt::format("ncu measured {} kernels of {}", c.kernels.size(), best.id)
                 : "hardware counters not collected: " + c.unavailable);
  return CountersReport(c);
}

// Equal to the code of a kernel this run already measured: its id, else "".
std::string AlreadyMeasured(const WorkflowContext& ctx, const WorkflowOutcome& out,
                            const std::string& code) {
  for (const CandidateRecord& c : out.candidates) {
    auto old = ReadFile(ctx.run->Resolve(c.code_path()));
    if (old.ok() && *old == code) return c.id;
  }
  return "";
}

// Why `c` does not replace `best`, or "" when it does (passed, trusted and faster by its own
// median time: one run and one device model, so own times compare).
std::string WhyNotBetter(const CandidateRecord& c, const CandidateRecord& best) {
  if (!c.passed()) return "it did not pass (" + c.Summary() + ")";
  if (!c.profile || !c.profile->ok) return "its profile failed";
  if (!c.profile->performance_valid) return "its times are not performance figures";
  if (c.profile->noisy_measurement()) return "its measurement is noisy: " + SpeedupVsEagerText(*c.profile);
  double now = c.profile->candidate.median_ms, was = best.profile->candidate.median_ms;
  if (now >= was) return fmt::format("it is not faster ({:.4f} ms against {:.4f} ms)", now, was);
  return "";
}

StepResult RunStep(const WorkflowContext& ctx, const Step& step, size_t* best,
                   WorkflowOutcome* out) {
  const CandidateRecord best_record = out->candidates[*best];
  auto parent = Scored(ctx, best_record);
  if (!parent.ok()) return {true, "cannot read the kernel to improve: " + parent.status().message()};
  std::vector<ScoredKernel> others;
  for (size_t i = 0; i < out->candidates.size(); ++i) {
    if (i == *best) continue;
    if (auto k = Scored(ctx, out->candidates[i]); k.ok()) others.push_back(std::move(*k));
  }
  int number = static_cast<int>(out->candidates.size()) + 1;
  GenRequest gen;
  gen.task = ctx.task;
  gen.target = ctx.target;
  gen.cancel = ctx.cancel;
  gen.design = out->design ? &*out->design : nullptr;
  gen.attempt = number;
  gen.parent = &*parent;
  gen.inspirations = std::move(others);
  gen.seed = MixSeed(kOptimiseSeedBase + static_cast<uint64_t>(ctx.config->search.seed) * 1000 +
                     static_cast<uint64_t>(step.number));
  gen.profile_report = ProfileReport(*best_record.profile) + CountersLines(ctx, best_record);
  gen.on_text = StreamTail(ctx.emit, "optimise", "[optimise] model");
  Note(ctx, step.lead() + "KernelGen improves " + best_record.id + " from its profile:\n" +
                gen.profile_report);
  double t0 = ClockOf(ctx)->NowSeconds();
  Result<Candidate> made = Status::Ok();
  try {
    made = ctx.kernel_gen->Generate(gen);
  } catch (const std::exception& e) {  // an agent that throws is one failed step
    made = InternalError(std::string("KernelGen threw: ") + e.what());
  }
  double generate_s = ClockOf(ctx)->NowSeconds() - t0;
  if (ctx.cancelled()) return Interrupted(out);
  if (!made.ok()) return {true, "KernelGen failed: " + made.status().message()};
  if (std::string same = AlreadyMeasured(ctx, *out, made->code); !same.empty()) {
    return {true, "KernelGen returned the code of " + same + ", already measured (" +
                      made->description + ")"};
  }
  StepInput in;
  in.record.id = fmt::format("attempt-{:02d}", number);
  in.record.dir = RunFiles::AttemptDir(number);
  in.record.parent = best_record.id;
  in.record.seed = gen.seed;
  in.record.description = "optimise " + best_record.id + ": " + made->description;
  in.record.hints = made->hints;
  in.code = std::move(made->code);
  in.write_meta = false;
  in.on_measure = [&ctx, lead = step.lead(), id = in.record.id](const std::string& device) {
    ctx.emit(PhaseEvent("optimise", lead + "verifying " + id + " on " + device));
  };
  ctx.emit(PhaseEvent("optimise", step.lead() + in.record.id + ": " + in.record.description));
  CandidateRecord c = RunCoreStep(ctx, std::move(in));
  c.generate_s = generate_s;
  if (c.interrupted) return Interrupted(out);
  out->candidates.push_back(c);
  std::string why = WhyNotBetter(c, best_record);
  if (!why.empty()) return {false, c.id + " does not replace " + best_record.id + ": " + why};
  *best = out->candidates.size() - 1;
  return {false, fmt::format("{} is faster ({:.4f} ms against {:.4f} ms, {} eager): the kernel now",
                             c.id, c.profile->candidate.median_ms,
                             best_record.profile->candidate.median_ms,
                             SpeedupVsEagerText(*c.profile))};
}

}  // namespace

OptimiseDecision DecideOptimise(const ProfileResult& p, const OptimiseSettings& s, int steps_left) {
  if (steps_left <= 0) return {false, "no optimise steps left (optimise_steps)"};
  if (!p.ok) return {false, "its profile failed (" + p.error + ")"};
  if (!p.performance_valid) return {false, "its times are not performance figures (Triton interpreter)"};
  if (p.noisy_measurement()) {
    return {false, "its measurement is noisy (" + Joined(p.noisy, "; ") + "): no speedup to act on"};
  }
  std::vector<std::string> slow;
  if (p.speedup_vs_eager > 0 && p.speedup_vs_eager < s.below_baseline) {
    slow.push_back(fmt::format("{:.3f}x eager", p.speedup_vs_eager));
  }
  if (p.speedup_vs_torch_compile && *p.speedup_vs_torch_compile > 0 &&
      *p.speedup_vs_torch_compile < s.below_baseline) {
    slow.push_back(fmt::format("{:.3f}x torch.compile", *p.speedup_vs_torch_compile));
  }
  double sol = SolFractionOf(p);
  if (s.below_sol > 0 && sol >= 0 && sol < s.below_sol) {
    slow.push_back(fmt::format("{:.1f}% of the speed of light (below_sol {:g})", 100 * sol, s.below_sol));
  }
  if (slow.empty()) {
    return {false, fmt::format("not clearly slow ({}; optimise_settings.below_baseline {:g})",
                               Standing(p), s.below_baseline)};
  }
  return {true, fmt::format("clearly slow: {} (below_baseline {:g})", Joined(slow, ", "),
                            s.below_baseline)};
}

void OptimisePassedKernel(const WorkflowContext& ctx, WorkflowOutcome* out) {
  const int steps = ctx.config->optimise_steps;
  if (steps <= 0 || out->passing_attempt == 0) return;
  size_t best = static_cast<size_t>(out->passing_attempt - 1);
  Json log = {{"optimise_steps", steps}, {"first_kernel", out->candidates[best].id},
              {"steps", Json::array()}};
  for (int k = 1;; ++k) {
    const CandidateRecord& b = out->candidates[best];
    OptimiseDecision d = b.profile ? DecideOptimise(*b.profile, ctx.config->optimise_settings, steps - k + 1)
                                   : OptimiseDecision{false, "it was not profiled"};
    Json entry = {{"kernel", b.id}, {"optimise", d.go}, {"why", d.why}};
    if (!d.go) {
      Note(ctx, b.id + " is kept: " + d.why);
      log["stopped"] = d.why;
      log["steps"].push_back(entry);
      break;
    }
    if (ctx.cancelled()) {
      Interrupted(out);
      log["stopped"] = "interrupted";
      break;
    }
    if (std::string why; ctx.budget_exhausted(&why)) {
      entry["why"] = "LLM budget spent: " + why;
      Note(ctx, b.id + " is kept: " + entry["why"].get<std::string>());
      log["stopped"] = entry["why"];
      log["steps"].push_back(entry);
      break;
    }
    Step step{k, steps};
    Note(ctx, step.lead() + b.id + " is " + d.why);
    StepResult r = RunStep(ctx, step, &best, out);
    Note(ctx, step.lead() + r.what);
    entry["outcome"] = r.what;
    log["steps"].push_back(entry);
    if (r.stop) {
      log["stopped"] = r.what;
      break;
    }
  }
  out->passing_attempt = static_cast<int>(best) + 1;
  log["kept"] = out->candidates[best].id;
  out->optimise = log;
}

}  // namespace akg
