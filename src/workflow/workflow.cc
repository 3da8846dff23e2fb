#include "workflow/workflow.h"

#include <fmt/format.h>

namespace akg {
namespace {

Status RecordAttempt(const WorkflowContext& ctx, const Attempt& a, const std::string& code) {
  std::string dir = fmt::format("attempts/{:02d}/", a.number);
  AKG_RETURN_IF_ERROR(ctx.run->WriteText(dir + "kernel.py", code));
  Json v = a.verdict.details.is_null() ? Json::object() : a.verdict.details;
  v["verdict"] = VerdictName(a.verdict.kind);
  v["message"] = a.verdict.message;
  v["reason"] = a.verdict.reason;
  v["description"] = a.description;
  v.erase("log");
  AKG_RETURN_IF_ERROR(ctx.run->WriteJson(dir + "verify.json", v));
  return ctx.run->WriteText(dir + "verify.log", a.verdict.log);
}

// Seeds for re-verifying a suspect kernel: far from the ones it passed on.
constexpr int kReverifySeedOffset = 1000;

Verdict VerifyCandidate(const WorkflowContext& ctx, const std::string& code_path,
                        bool reverify = false) {
  const auto& vs = ctx.config->verify_settings;
  VerifyRequest req;
  req.task_path = ctx.run->Resolve("task.py");
  req.candidate_path = ctx.run->Resolve(code_path);
  req.dsl = ctx.target.dsl;
  req.seed = vs.seed + (reverify ? kReverifySeedOffset : 0);
  req.trials = vs.trials * (reverify ? 2 : 1);
  req.atol = vs.atol;
  req.rtol = vs.rtol;
  req.policy = vs.policy;
  req.extra_glue = vs.extra_glue;
  req.reference_cache = vs.reference_cache;
  req.timeout_s = ctx.config->verify_timeout * (reverify ? 2 : 1);
  return ctx.harness->Verify(req);
}

// A suspect profile is re-verified; a kernel that fails it is not accepted.
Status ReverifySuspect(const WorkflowContext& ctx, WorkflowOutcome* out) {
  if (!out->profile || !out->profile->ok || out->profile->suspect.empty()) return Status::Ok();
  std::string why;
  for (const auto& s : out->profile->suspect) why += (why.empty() ? "" : "; ") + s;
  ctx.log("[profile] suspect result (" + why + "): re-verifying with twice the trials on new seeds");
  out->reverification = VerifyCandidate(ctx, out->passing()->code_path, /*reverify=*/true);
  Json j = out->reverification->details.is_null() ? Json::object() : out->reverification->details;
  j["verdict"] = VerdictName(out->reverification->kind);
  j.erase("log");
  AKG_RETURN_IF_ERROR(ctx.run->WriteJson("reverify.json", j));
  ctx.log(std::string("[profile] re-verification: ") + VerdictName(out->reverification->kind));
  if (!out->reverification->passed()) {
    out->stop_reason = "the kernel's suspect profile failed re-verification: " +
                       out->reverification->message;
    out->passing_attempt = 0;
  }
  return Status::Ok();
}

Status ProfilePassing(const WorkflowContext& ctx, WorkflowOutcome* out) {
  const Attempt& a = *out->passing();
  const auto& ps = ctx.config->profile_settings;
  ProfileRequest req;
  req.task_path = ctx.run->Resolve("task.py");
  req.candidate_path = ctx.run->Resolve(a.code_path);
  req.dsl = ctx.target.dsl;
  req.seed = ctx.config->verify_settings.seed;
  req.warmup_times = ps.warmup_times;
  req.run_times = ps.run_times;
  req.baselines = ps.baselines;
  req.peaks = ctx.peaks;
  req.graph_below_us = ps.graph_below_us;
  req.suspect_speedup = ps.suspect_speedup;
  req.timeout_s = ctx.config->profile_timeout;
  ctx.log(fmt::format("[profile] {} warmup + {} timed runs of the kernel and the eager reference",
                      ps.warmup_times, ps.run_times));
  out->profile = ctx.harness->Profile(req);
  Json j = out->profile->details.is_null() ? Json::object() : out->profile->details;
  if (!out->profile->ok) j["error"] = out->profile->error;
  AKG_RETURN_IF_ERROR(ctx.run->WriteJson("profile.json", j));
  if (!out->profile->ok) ctx.log("[profile] failed: " + out->profile->error);
  return Status::Ok();
}

}  // namespace

bool WorkflowImplemented(const std::string& name) {
  return name == "default" || name == "coder_only";
}

Result<WorkflowOutcome> RunGenerateVerifyWorkflow(const WorkflowContext& ctx,
                                                  const std::string& workflow) {
  WorkflowOutcome out;
  out.workflow = workflow;
  if (workflow == "default") {
    ctx.log("[design] KernelDesigner is sketching the kernel");
    AKG_ASSIGN_OR_RETURN(Design design, ctx.designer->MakeDesign({ctx.task, ctx.target}));
    AKG_RETURN_IF_ERROR(ctx.run->WriteText("design.md", design.sketch));
    AKG_RETURN_IF_ERROR(ctx.run->WriteJson("design.json", design.hints));
    ctx.log("\n" + design.sketch);
    out.design = std::move(design);
  }
  std::vector<Feedback> history;
  for (int step = 1; step <= ctx.config->max_steps; ++step) {
    if (ctx.cancelled()) {
      out.interrupted = true;
      out.stop_reason = "interrupted";
      return out;
    }
    GenRequest gen{ctx.task, ctx.target, out.design ? &*out.design : nullptr, step, history};
    auto candidate = ctx.kernel_gen->Generate(gen);
    if (!candidate.ok()) {
      if (step == 1) return candidate.status();  // nothing was produced: an error of the agent
      out.stop_reason = "KernelGen failed: " + candidate.status().message();
      return out;
    }
    Attempt a;
    a.number = step;
    a.description = candidate->description;
    a.code_path = fmt::format("attempts/{:02d}/kernel.py", step);
    AKG_RETURN_IF_ERROR(ctx.run->WriteText(a.code_path, candidate->code));
    ctx.log(fmt::format("[attempt {}/{}] {}", step, ctx.config->max_steps, a.description));
    a.verdict = VerifyCandidate(ctx, a.code_path);
    if (a.verdict.kind == VerdictKind::kTimeout && ctx.cancelled()) out.interrupted = true;
    ctx.log(fmt::format("[attempt {}/{}] verdict: {}{}{}", step, ctx.config->max_steps,
                        VerdictName(a.verdict.kind),
                        a.verdict.reason.empty() ? "" : " [" + a.verdict.reason + "]",
                        a.verdict.message.empty() ? "" : " (" + a.verdict.message + ")"));
    AKG_RETURN_IF_ERROR(RecordAttempt(ctx, a, candidate->code));
    out.attempts.push_back(a);
    if (a.verdict.passed()) {
      out.passing_attempt = step;
      break;
    }
    history.push_back({VerdictName(a.verdict.kind), a.verdict.message, a.verdict.log,
                       a.verdict.reason});
  }
  if (!out.passing()) {
    if (out.stop_reason.empty()) {
      out.stop_reason = fmt::format("no attempt passed verification in {} steps (max_steps)",
                                    ctx.config->max_steps);
    }
    return out;
  }
  if (ctx.cancelled()) {
    out.interrupted = true;
    return out;
  }
  AKG_RETURN_IF_ERROR(ProfilePassing(ctx, &out));
  AKG_RETURN_IF_ERROR(ReverifySuspect(ctx, &out));
  return out;
}

}  // namespace akg
