#include "workflow/workflow.h"

#include <fmt/format.h>

#include "core/files.h"
#include "workflow/core_step.h"

namespace akg {
namespace {

Attempt AttemptOf(const CandidateRecord& c, int number) {
  Attempt a;
  a.number = number;
  a.description = c.description;
  a.code_path = c.code_path();
  a.verdict = c.verdict;
  return a;
}

std::string VerdictLine(const Verdict& v) {
  return std::string(VerdictName(v.kind)) + (v.reason.empty() ? "" : " [" + v.reason + "]") +
         (v.message.empty() ? "" : " (" + v.message + ")");
}

// The passing attempt's profile (and re-verification) become the run's, at the folder's top.
Status AdoptProfile(const WorkflowContext& ctx, const CandidateRecord& c, WorkflowOutcome* out) {
  if (!c.profile) return Status::Ok();
  const auto& ps = ctx.config->profile_settings;
  ctx.log(fmt::format("[profile] {} warmup + {} timed runs of the kernel and the eager reference",
                      ps.warmup_times, ps.run_times));
  out->profile = c.profile;
  Json j = c.profile->details.is_object() ? c.profile->details : ProfileToJson(*c.profile);
  if (!c.profile->ok) j["error"] = c.profile->error;
  AKG_RETURN_IF_ERROR(ctx.run->WriteJson("profile.json", j));
  if (!c.profile->ok) ctx.log("[profile] failed: " + c.profile->error);
  if (!c.reverification) return Status::Ok();
  std::string why;
  for (const auto& s : c.profile->suspect) why += (why.empty() ? "" : "; ") + s;
  ctx.log("[profile] suspect result (" + why + "): re-verified with twice the trials on new seeds");
  out->reverification = c.reverification;
  Json r = c.reverification->details.is_object() ? c.reverification->details : Json::object();
  r["verdict"] = VerdictName(c.reverification->kind);
  r.erase("log");
  AKG_RETURN_IF_ERROR(ctx.run->WriteJson("reverify.json", r));
  ctx.log(std::string("[profile] re-verification: ") + VerdictName(c.reverification->kind));
  if (!c.reverification->passed()) {
    out->stop_reason = "the kernel's suspect profile failed re-verification: " +
                       c.reverification->message;
    out->passing_attempt = 0;
  }
  return Status::Ok();
}

Status RecordDesign(const WorkflowContext& ctx, WorkflowOutcome* out) {
  ctx.log("[design] KernelDesigner is sketching the kernel");
  AKG_ASSIGN_OR_RETURN(Design design, ctx.designer->MakeDesign({ctx.task, ctx.target, ctx.cancel}));
  AKG_RETURN_IF_ERROR(ctx.run->WriteText("design.md", design.sketch));
  AKG_RETURN_IF_ERROR(ctx.run->WriteJson("design.json", design.hints));
  ctx.log("\n" + design.sketch);
  out->design = std::move(design);
  return Status::Ok();
}

}  // namespace

bool WorkflowImplemented(const std::string& name) {
  return name == "default" || name == "coder_only" || name == "kernelgen_only" ||
         name == "verifier_only" || name == "evolve" || name == "adaptive_search";
}

Result<WorkflowOutcome> RunWorkflow(const WorkflowContext& ctx, const std::string& workflow) {
  if (workflow == "default" || workflow == "coder_only") {
    return RunGenerateVerifyWorkflow(ctx, workflow);
  }
  if (workflow == "kernelgen_only") return RunKernelGenOnly(ctx);
  if (workflow == "verifier_only") return RunVerifierOnly(ctx);
  if (workflow == "evolve") return RunEvolve(ctx);
  if (workflow == "adaptive_search") return RunAdaptiveSearch(ctx);
  return UsageError("unknown workflow '" + workflow +
                    "'; use default, coder_only, kernelgen_only, verifier_only, evolve or "
                    "adaptive_search");
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
    in.record.dir = fmt::format("attempts/{:02d}", step);
    in.gen.task = ctx.task;
    in.gen.target = ctx.target;
    in.gen.cancel = ctx.cancel;
    in.gen.design = out.design ? &*out.design : nullptr;
    in.gen.attempt = step;
    in.gen.history = history;
    in.write_meta = false;
    CandidateRecord c = RunCoreStep(ctx, std::move(in));
    if (!c.generation.ok()) {
      if (step == 1) return c.generation;  // nothing was produced: an error of the agent
      out.stop_reason = "KernelGen failed: " + c.generation.message();
      return out;
    }
    ctx.log(fmt::format("[attempt {}/{}] {}", step, ctx.config->max_steps, c.description));
    if (c.interrupted) {
      out.interrupted = true;
      out.stop_reason = "interrupted";
      return out;
    }
    ctx.log(fmt::format("[attempt {}/{}] verdict: {}", step, ctx.config->max_steps,
                        VerdictLine(c.verdict)));
    if (!c.verdict.task_error.empty()) return InputError(c.verdict.task_error);
    out.attempts.push_back(AttemptOf(c, step));
    if (c.verdict.passed()) {
      out.passing_attempt = step;
      AKG_RETURN_IF_ERROR(AdoptProfile(ctx, c, &out));
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
  Attempt a;
  a.number = 1;
  a.description = c.description;
  a.code_path = "attempts/01/kernel.py";
  AKG_RETURN_IF_ERROR(ctx.run->WriteText(a.code_path, c.code));
  ctx.log("[kernelgen] " + a.description);
  ctx.log("[static] checking the kernel against the static integrity rules (nothing is run)");
  a.verdict = StaticCheck(ctx, a.code_path);
  Json v = a.verdict.details.is_object() ? a.verdict.details : Json::object();
  v["verdict"] = VerdictName(a.verdict.kind);
  v["message"] = a.verdict.message;
  v["unverified"] = true;
  v.erase("log");
  AKG_RETURN_IF_ERROR(ctx.run->WriteJson("attempts/01/static.json", v));
  ctx.log("[static] " + VerdictLine(a.verdict));
  ctx.log("[kernelgen] UNVERIFIED: kernelgen_only never runs the kernel against the reference");
  if (!a.verdict.passed()) out.stop_reason = "the kernel breaks the static rules: " + a.verdict.message;
  out.attempts.push_back(a);
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
  in.record.dir = "attempts/01";
  in.record.description = "the kernel from " + ctx.kernel_file.string();
  in.code = *code;
  in.write_meta = false;
  ctx.log("[verify] " + in.record.description);
  CandidateRecord c = RunCoreStep(ctx, std::move(in));
  if (c.interrupted) {
    out.interrupted = true;
    out.stop_reason = "interrupted";
    return out;
  }
  ctx.log("[verify] verdict: " + VerdictLine(c.verdict));
  if (!c.verdict.task_error.empty()) return InputError(c.verdict.task_error);
  out.attempts.push_back(AttemptOf(c, 1));
  if (c.verdict.passed()) {
    out.passing_attempt = 1;
    AKG_RETURN_IF_ERROR(AdoptProfile(ctx, c, &out));
  } else {
    out.stop_reason = "the kernel did not pass verification";
  }
  return out;
}

}  // namespace akg
