#include "workflow/core_step.h"
#include "store/run_folder.h"

#include <exception>

#include <fmt/format.h>

#include "workflow/device_pool.h"

namespace akg {
namespace {

// Seeds for re-verifying a suspect kernel: far from the ones it passed on.
constexpr int kReverifySeedOffset = 1000;

Clock* ClockOf(const WorkflowContext& ctx) {
  static SystemClock system_clock;
  return ctx.clock ? ctx.clock : &system_clock;
}

Json VerdictFileJson(const Verdict& v, const std::string& description) {
  Json j = v.details.is_object() ? v.details : Json::object();
  j["verdict"] = VerdictName(v.kind);
  j["message"] = v.message;
  j["reason"] = v.reason;
  if (!description.empty()) j["description"] = description;
  j.erase("log");
  return j;
}

// Verify, profile a pass, re-verify a suspect profile: all on one held device.
void Measure(const WorkflowContext& ctx, HarnessClient* harness, bool profile,
             CandidateRecord* c) {
  Clock* clock = ClockOf(ctx);
  double t0 = clock->NowSeconds();
  c->verdict = harness->Verify(MakeVerifyRequest(ctx, c->code_path(), false));
  c->verify_s = clock->NowSeconds() - t0;
  if (!c->verdict.passed() || !profile || ctx.cancelled()) return;
  t0 = clock->NowSeconds();
  c->profile = harness->Profile(MakeProfileRequest(ctx, c->code_path()));
  c->profile_s = clock->NowSeconds() - t0;
  if (c->profile->ok && !c->profile->suspect.empty() && !ctx.cancelled()) {
    c->reverification = harness->Verify(MakeVerifyRequest(ctx, c->code_path(), true));
  }
}

Status WriteRecordFiles(const WorkflowContext& ctx, const CandidateRecord& c, bool meta) {
  const RunFolder& run = *ctx.run;
  if (c.generation.ok()) {
    Json verify = VerdictFileJson(c.verdict, c.description);
    if (!c.build_outcome.empty()) verify["build"] = BuildJson(c);  // why a build was deferred
    AKG_RETURN_IF_ERROR(run.WriteJson(RunFiles::In(c.dir, RunFiles::kVerify), verify));
    AKG_RETURN_IF_ERROR(run.WriteText(RunFiles::In(c.dir, RunFiles::kVerifyLog), c.verdict.log));
  }
  if (c.profile) {
    AKG_RETURN_IF_ERROR(run.WriteJson(RunFiles::In(c.dir, RunFiles::kProfile), ProfileFileJson(*c.profile)));
    if (!c.profile->log.empty()) AKG_RETURN_IF_ERROR(run.WriteText(RunFiles::In(c.dir, RunFiles::kProfileLog), c.profile->log));
  }
  if (c.reverification) {
    AKG_RETURN_IF_ERROR(run.WriteJson(RunFiles::In(c.dir, RunFiles::kReverify), VerdictFileJson(*c.reverification, "")));
  }
  if (meta) AKG_RETURN_IF_ERROR(run.WriteJson(RunFiles::In(c.dir, RunFiles::kMeta), CandidateToJson(c)));
  return Status::Ok();
}

void GenerateInto(const WorkflowContext& ctx, StepInput* in, CandidateRecord* c) {
  Clock* clock = ClockOf(ctx);
  double t0 = clock->NowSeconds();
  Result<Candidate> gen = Status::Ok();
  try {
    gen = ctx.kernel_gen->Generate(in->gen);
  } catch (const std::exception& e) {  // an agent that throws is one failed candidate
    gen = InternalError(std::string("KernelGen threw: ") + e.what());
  }
  c->generate_s = clock->NowSeconds() - t0;
  if (!gen.ok()) {
    c->generation = gen.status();
    c->verdict.kind = VerdictKind::kRuntimeError;
    c->verdict.reason = "generation_failed";
    c->verdict.message = "KernelGen failed: " + gen.status().message();
    c->verdict.shape_general.why = "no kernel was generated";
    return;
  }
  c->description = gen->description;
  c->hints = gen->hints;
  in->code = std::move(gen->code);
}

}  // namespace

VerifyRequest MakeVerifyRequest(const WorkflowContext& ctx, const std::string& code_path,
                                bool reverify) {
  const auto& vs = ctx.config->verify_settings;
  VerifyRequest req;
  req.task_path = ctx.run->Resolve(RunFiles::kTask);
  req.candidate_path = ctx.run->Resolve(code_path);
  req.dsl = ctx.target.dsl;
  req.seed = vs.seed + (reverify ? kReverifySeedOffset : 0);
  req.trials = vs.trials * (reverify ? 2 : 1);
  req.atol = vs.atol;
  req.rtol = vs.rtol;
  req.policy = vs.policy;
  req.shapes = vs.shapes;
  req.extra_glue = vs.extra_glue;
  req.reference_cache = vs.reference_cache;
  req.timeout_s = ctx.config->verify_timeout * (reverify ? 2 : 1);
  req.cancel = ctx.cancel;
  return req;
}

ProfileRequest MakeProfileRequest(const WorkflowContext& ctx, const std::string& code_path) {
  const auto& ps = ctx.config->profile_settings;
  ProfileRequest req;
  req.task_path = ctx.run->Resolve(RunFiles::kTask);
  req.candidate_path = ctx.run->Resolve(code_path);
  req.dsl = ctx.target.dsl;
  req.seed = ctx.config->verify_settings.seed;
  req.warmup_times = ps.warmup_times;
  req.run_times = ps.run_times;
  req.baselines = ps.baselines;
  req.peaks = ctx.peaks;
  req.graph_below_us = ps.graph_below_us;
  req.suspect_speedup = ps.suspect_speedup;
  req.reuse_compile_baseline = ps.reuse_compile_baseline;
  req.shared_eager_baseline = ps.shared_eager_baseline;
  req.noisy_spread = ps.noisy_spread;
  req.timeout_s = ctx.config->profile_timeout;
  req.cancel = ctx.cancel;
  return req;
}

namespace {

// The candidate and the rules it is checked against, for `static` and `build`.
StaticRequest RulesRequest(const WorkflowContext& ctx, const std::string& code_path) {
  StaticRequest req;
  req.candidate_path = ctx.run->Resolve(code_path);
  req.dsl = ctx.target.dsl;
  req.policy = ctx.config->verify_settings.policy;
  req.extra_glue = ctx.config->verify_settings.extra_glue;
  req.cancel = ctx.cancel;
  return req;
}

bool BuildsOffDevice(const WorkflowContext& ctx) {
  if (!ctx.unverifiable.empty()) return ctx.harness != nullptr;  // the build is all there is
  return ctx.config->verify_settings.build_off_device && ctx.harness != nullptr &&
         ctx.harness->options().device != "cpu";
}

// A kernel built on the CPU that no device here can run: the verdict says so, never a pass.
void NotVerified(const WorkflowContext& ctx, CandidateRecord* c) {
  c->verdict.kind = VerdictKind::kNotVerified;
  c->verdict.reason = "no_device";
  c->verdict.message =
      ctx.unverifiable + (c->build_outcome == "built"
                              ? std::string(" (built on the CPU: syntax, static rules and the "
                                            "native compile passed)")
                              : " (the CPU build was " + c->build_outcome + ": " +
                                    c->build_message + ")");
  c->verdict.shape_general.why = "never run: no device";
  c->device = "cpu (build)";
}

// The CPU-side build before a device is taken; true when it settled the verdict (compile_error
// or rejected), so the candidate never holds a device.
bool BuildFirst(const WorkflowContext& ctx, CandidateRecord* c) {
  BuildRequest req = RulesRequest(ctx, c->code_path());
  req.timeout_s = ctx.config->verify_timeout;  // a compile's time
  Clock* clock = ClockOf(ctx);
  double t0 = clock->NowSeconds();
  BuildResult b = ctx.harness->Build(req);
  c->build_s = clock->NowSeconds() - t0;
  c->build_outcome = b.outcome;
  c->build_message = b.message;
  if (!b.settled()) return false;
  c->verdict = b.verdict;
  c->device = "cpu (build)";
  return true;
}

}  // namespace

Verdict StaticCheck(const WorkflowContext& ctx, const std::string& code_path) {
  return ctx.harness->CheckStatic(RulesRequest(ctx, code_path));
}

CandidateRecord RunCoreStep(const WorkflowContext& ctx, StepInput in) {
  CandidateRecord c = std::move(in.record);
  if (!in.code) GenerateInto(ctx, &in, &c);
  if (in.code) {
    if (auto s = ctx.run->WriteText(c.code_path(), *in.code); !s.ok()) {
      c.verdict.kind = VerdictKind::kRuntimeError;
      c.verdict.message = "cannot write the kernel: " + s.message();
      return c;
    }
    if (in.on_kernel) in.on_kernel(c);
    if (ctx.cancelled()) {
      c.interrupted = true;
      return c;
    }
    bool settled = BuildsOffDevice(ctx) && BuildFirst(ctx, &c);
    if (settled || ctx.cancelled()) {
      // decided without a device (or interrupted: marked below)
    } else if (!ctx.unverifiable.empty()) {
      NotVerified(ctx, &c);
    } else if (ctx.pool != nullptr) {
      DevicePool::Lease lease = ctx.pool->Acquire();
      c.device = lease.label();
      c.wait_device_s = lease.waited_s();
      if (in.on_measure) in.on_measure(c.device);
      Measure(ctx, lease.harness(), in.profile, &c);
    } else {
      c.device = ctx.harness->options().device;
      if (in.on_measure) in.on_measure(c.device);
      Measure(ctx, ctx.harness, in.profile, &c);
    }
  }
  // A harness call stopped by Ctrl-C is not a verdict on the kernel: leave it incomplete.
  if (ctx.cancelled()) {
    c.interrupted = true;
    return c;
  }
  if (auto s = WriteRecordFiles(ctx, c, in.write_meta); !s.ok()) {
    c.verdict.kind = VerdictKind::kRuntimeError;
    c.verdict.message = "cannot record the candidate: " + s.message();
  }
  return c;
}

}  // namespace akg
