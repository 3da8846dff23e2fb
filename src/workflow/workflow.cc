#include "workflow/workflow.h"
#include "store/run_folder.h"

#include <fmt/format.h>

#include "core/files.h"
#include "workflow/core_step.h"
#include "workflow/optimise.h"

namespace akg {
namespace {

std::string VerdictLine(const Verdict& v) {
  return std::string(VerdictName(v.kind)) + (v.reason.empty() ? "" : " [" + v.reason + "]") +
         (v.message.empty() ? "" : " (" + v.message + ")");
}

// "[phase] <lead>passed [reason] (message)", with the verdict's fields typed.
RunEvent VerdictEvent(const std::string& phase, const Verdict& v, const std::string& lead) {
  RunEvent e = NoteEvent(phase, lead + VerdictLine(v));
  e.kind = RunEvent::Kind::kVerdict;
  e.verdict = VerdictName(v.kind);
  e.reason = v.reason;
  e.seconds = v.wall_seconds;
  return e;
}

// The passing attempt's profile (and re-verification) become the run's, at the folder's top.
Status AdoptProfile(const WorkflowContext& ctx, const CandidateRecord& c, WorkflowOutcome* out) {
  if (!c.profile) return Status::Ok();
  const auto& ps = ctx.config->profile_settings;
  ctx.emit(PhaseEvent("profile",
                      fmt::format("{} warmup + {} timed runs of the kernel and the eager reference",
                                  ps.warmup_times, ps.run_times)));
  out->profile = c.profile;
  AKG_RETURN_IF_ERROR(ctx.run->WriteJson(RunFiles::kProfile, ProfileFileJson(*c.profile)));
  if (!c.profile->ok) ctx.emit(NoteEvent("profile", "failed: " + c.profile->error));
  if (c.profile->ok) {
    RunEvent timing = NoteEvent("profile", fmt::format("{:.4f} ms, {} eager",
                                                       c.profile->candidate.median_ms,
                                                       SpeedupVsEagerText(*c.profile)));
    timing.kind = RunEvent::Kind::kTiming;
    timing.speedup = c.profile->speedup_vs_eager;
    timing.seconds = c.profile->candidate.median_ms / 1000;
    ctx.emit(timing);
  }
  if (!c.reverification) return Status::Ok();
  std::string why;
  for (const auto& s : c.profile->suspect) why += (why.empty() ? "" : "; ") + s;
  ctx.emit(NoteEvent("profile", "suspect result (" + why +
                                    "): re-verified with twice the trials on new seeds"));
  out->reverification = c.reverification;
  Json r = c.reverification->details.is_object() ? c.reverification->details : Json::object();
  r["verdict"] = VerdictName(c.reverification->kind);
  r.erase("log");
  AKG_RETURN_IF_ERROR(ctx.run->WriteJson(RunFiles::kReverify, r));
  ctx.emit(VerdictEvent("profile", *c.reverification, "re-verification: "));
  if (!c.reverification->passed()) {
    out->stop_reason = "the kernel's suspect profile failed re-verification: " +
                       c.reverification->message;
    out->passing_attempt = 0;
  }
  return Status::Ok();
}

Status RecordDesign(const WorkflowContext& ctx, WorkflowOutcome* out) {
  ctx.emit(PhaseEvent("design", "KernelDesigner is sketching the kernel"));
  AKG_ASSIGN_OR_RETURN(Design design, ctx.designer->MakeDesign(
                                        {ctx.task, ctx.target, ctx.cancel,
                                         StreamTail(ctx.emit, "design", "[design] model")}));
  AKG_RETURN_IF_ERROR(ctx.run->WriteText(RunFiles::kDesign, design.sketch));
  AKG_RETURN_IF_ERROR(ctx.run->WriteJson(RunFiles::kDesignHints, design.hints));
  RunEvent sketch = NoteEvent("design", design.sketch);
  sketch.kind = RunEvent::Kind::kDesign;
  ctx.emit(sketch);
  out->design = std::move(design);
  return Status::Ok();
}

}  // namespace

const std::vector<WorkflowInfo>& Workflows() {
  static const std::vector<WorkflowInfo> table = {
      // name             runner                                        resume kernel verify search
      {"default", [](const WorkflowContext& c) { return RunGenerateVerifyWorkflow(c, "default"); },
       false, false, true, false},
      {"coder_only",
       [](const WorkflowContext& c) { return RunGenerateVerifyWorkflow(c, "coder_only"); },
       false, false, true, false},
      {"kernelgen_only", RunKernelGenOnly, false, false, false, false},
      {"verifier_only", RunVerifierOnly, false, true, true, false},
      {"evolve", RunEvolve, true, false, true, true},
      {"adaptive_search", RunAdaptiveSearch, true, false, true, true},
  };
  return table;
}

const WorkflowInfo* FindWorkflow(const std::string& name) {
  for (const WorkflowInfo& w : Workflows()) {
    if (name == w.name) return &w;
  }
  return nullptr;
}

std::string WorkflowNames() {
  std::string names;
  for (const WorkflowInfo& w : Workflows()) names += (names.empty() ? "" : ", ") + std::string(w.name);
  return names;
}

std::string ResumableWorkflowNames() {
  std::string names;
  for (const WorkflowInfo& w : Workflows()) {
    if (w.resumable) names += (names.empty() ? "" : " and ") + std::string(w.name);
  }
  return names;
}

Result<WorkflowOutcome> RunWorkflow(const WorkflowContext& ctx, const std::string& workflow) {
  const WorkflowInfo* w = FindWorkflow(workflow);
  if (w == nullptr) return UsageError("unknown workflow '" + workflow + "'; use " + WorkflowNames());
  return w->run(ctx);
}

Result<WorkflowOutcome> RunGenerateVerifyWorkflow(const WorkflowContext& ctx,
                                                  const std::string& workflow) {
  WorkflowOutcome out;
  out.workflow = workflow;
  if (workflow == "default") AKG_RETURN_IF_ERROR(RecordDesign(ctx, &out));
  std::vector<Feedback> history;
  for (int step = 1; step <= ctx.config->max_steps; ++step) {
    if (ctx.cancelled()) {
      out.interrupted = true;
      out.stop_reason = "interrupted";
      return out;
    }
    // A spent LLM budget ends the loop with what it has (the attempts so far stay recorded).
    if (std::string why; step > 1 && ctx.budget_exhausted(&why)) {
      out.stop_reason = "LLM budget spent: " + why;
      return out;
    }
    StepInput in;
    in.record.id = fmt::format("attempt-{:02d}", step);
    in.record.dir = RunFiles::AttemptDir(step);
    in.gen.task = ctx.task;
    in.gen.target = ctx.target;
    in.gen.cancel = ctx.cancel;
    in.gen.on_text = StreamTail(ctx.emit, "attempt",
                                fmt::format("[attempt {}/{}] model", step, ctx.config->max_steps));
    in.gen.design = out.design ? &*out.design : nullptr;
    in.gen.attempt = step;
    in.gen.history = history;
    in.write_meta = false;
    auto attempt_event = [&ctx, step](RunEvent::Kind kind, std::string text) {
      RunEvent e = NoteEvent("attempt", std::move(text));
      e.kind = kind;
      e.attempt = step;
      e.of = ctx.config->max_steps;
      ctx.emit(e);
    };
    in.on_kernel = [&](const CandidateRecord& r) { attempt_event(RunEvent::Kind::kAttempt, r.description); };
    in.on_measure = [&](const std::string& device) {
      attempt_event(RunEvent::Kind::kPhase, "verifying on " + device);
    };
    CandidateRecord c = RunCoreStep(ctx, std::move(in));
    if (!c.generation.ok()) {
      if (step == 1) return c.generation;  // nothing was produced: an error of the agent
      out.stop_reason = "KernelGen failed: " + c.generation.message();
      return out;
    }
    if (c.interrupted) {
      out.interrupted = true;
      out.stop_reason = "interrupted";
      return out;
    }
    RunEvent verdict = VerdictEvent("attempt", c.verdict, "verdict: ");
    verdict.attempt = step;
    verdict.of = ctx.config->max_steps;
    ctx.emit(verdict);
    if (!c.verdict.task_error.empty()) return InputError(c.verdict.task_error);
    out.candidates.push_back(c);
    if (c.verdict.kind == VerdictKind::kNotVerified) {  // built; nothing here can run it
      out.not_verified = ctx.unverifiable;
      out.stop_reason = ctx.unverifiable;
      ctx.emit(NoteEvent("attempt", ctx.unverifiable));
      return out;
    }
    if (c.verdict.passed()) {
      out.passing_attempt = step;
      // While it is clearly slow, its profile goes back to KernelGen (optimise.h); the best
      // passing kernel is the run's.
      if (c.passed()) OptimisePassedKernel(ctx, &out);
      AKG_RETURN_IF_ERROR(AdoptProfile(ctx, *out.passing(), &out));
      return out;
    }
    history.push_back({VerdictName(c.verdict.kind), c.verdict.message, c.verdict.log,
                       c.verdict.reason});
  }
  out.stop_reason = fmt::format("no attempt passed verification in {} steps (max_steps)",
                                ctx.config->max_steps);
  return out;
}

Result<WorkflowOutcome> RunKernelGenOnly(const WorkflowContext& ctx) {
  WorkflowOutcome out;
  out.workflow = "kernelgen_only";
  out.unverified = true;
  GenRequest gen;
  gen.task = ctx.task;
  gen.cancel = ctx.cancel;
  gen.target = ctx.target;
  AKG_ASSIGN_OR_RETURN(Candidate c, ctx.kernel_gen->Generate(gen));
  CandidateRecord a;
  a.id = "attempt-01";
  a.dir = RunFiles::AttemptDir(1);
  a.description = c.description;
  AKG_RETURN_IF_ERROR(ctx.run->WriteText(a.code_path(), c.code));
  RunEvent generated = NoteEvent("kernelgen", a.description);
  generated.kind = RunEvent::Kind::kAttempt;
  ctx.emit(generated);
  ctx.emit(PhaseEvent("static",
                      "checking the kernel against the static integrity rules (nothing is run)"));
  a.verdict = StaticCheck(ctx, a.code_path());
  Json v = a.verdict.details.is_object() ? a.verdict.details : Json::object();
  v["verdict"] = VerdictName(a.verdict.kind);
  v["message"] = a.verdict.message;
  v["unverified"] = true;
  v.erase("log");
  AKG_RETURN_IF_ERROR(ctx.run->WriteJson(RunFiles::In(RunFiles::AttemptDir(1), RunFiles::kStatic), v));
  ctx.emit(VerdictEvent("static", a.verdict, ""));
  ctx.emit(NoteEvent("kernelgen",
                     "UNVERIFIED: kernelgen_only never runs the kernel against the reference"));
  if (!a.verdict.passed()) out.stop_reason = "the kernel breaks the static rules: " + a.verdict.message;
  out.candidates.push_back(a);
  return out;
}

Result<WorkflowOutcome> RunVerifierOnly(const WorkflowContext& ctx) {
  WorkflowOutcome out;
  out.workflow = "verifier_only";
  if (ctx.kernel_file.empty()) {
    return UsageError("verifier_only needs the kernel to check: pass --kernel FILE");
  }
  auto code = ReadFile(ctx.kernel_file);
  if (!code.ok()) {
    return InputError("kernel file '" + ctx.kernel_file.string() +
                      "' cannot be read; check the --kernel path");
  }
  StepInput in;
  in.record.id = "attempt-01";
  in.record.dir = RunFiles::AttemptDir(1);
  in.record.description = "the kernel from " + ctx.kernel_file.string();
  in.code = *code;
  in.write_meta = false;
  ctx.emit(PhaseEvent("verify", in.record.description));
  CandidateRecord c = RunCoreStep(ctx, std::move(in));
  if (c.interrupted) {
    out.interrupted = true;
    out.stop_reason = "interrupted";
    return out;
  }
  ctx.emit(VerdictEvent("verify", c.verdict, "verdict: "));
  if (!c.verdict.task_error.empty()) return InputError(c.verdict.task_error);
  out.candidates.push_back(c);
  if (c.verdict.kind == VerdictKind::kNotVerified) {
    out.not_verified = ctx.unverifiable;
    out.stop_reason = ctx.unverifiable;
  } else if (c.verdict.passed()) {
    out.passing_attempt = 1;
    AKG_RETURN_IF_ERROR(AdoptProfile(ctx, c, &out));
  } else {
    out.stop_reason = "the kernel did not pass verification";
  }
  return out;
}

}  // namespace akg
