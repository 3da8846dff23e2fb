// The default workflow's optimise steps: after a kernel passes, its profile goes back to
// KernelGen with the optimise skills (the optimise stage, the kernel as the parent to improve)
// while the kernel is clearly slow, its measurement can be trusted and steps remain.
//
//   the best passing kernel ──DecideOptimise (pure)──▶ stop, with why
//     └─ go ──[profile_settings.counters: HarnessClient::Counters on a held device, cold child]
//            ──ProfileReport + CountersReport (verify/profile_report.h)──▶ GenRequest (parent =
//            the best kernel, inspirations = the other attempts, a seed per step)
//            ──KernelGen──▶ code ──RunCoreStep (verify, profile)──▶ attempts/NN
//            a pass that is faster by its own median time (not noisy) becomes the best kernel
//
// Nothing is faked: a KernelGen error, a kernel identical to one already measured, a step that
// fails verification, is noisy or is not faster all keep the best kernel, and the log and
// WorkflowOutcome::optimise say which. The steps are attempts of their own, not counted in
// max_steps (the correctness attempts).
#pragma once

#include <string>

#include "config/dsl_config.h"
#include "verify/verdict.h"
#include "workflow/workflow.h"

namespace akg {

struct OptimiseDecision {
  bool go = false;
  std::string why;  // one line: what makes the kernel clearly slow, or why it is left alone
};

// Whether a passed kernel with profile `p` gets an optimise step, `steps_left` remaining: all of
// a trusted measurement (profiled, performance figures, not noisy), steps left, and clearly slow
// (a speedup over eager or torch.compile below settings.below_baseline, or, when
// settings.below_sol > 0, less than that fraction of the speed of light).
OptimiseDecision DecideOptimise(const ProfileResult& p, const OptimiseSettings& settings,
                                int steps_left);

// Runs the optimise steps after out->passing() passed (and any re-verification held): appends
// each step's record to out->candidates, points out->passing_attempt at the best kernel and fills
// out->optimise. An interrupt sets out->interrupted and keeps the best kernel so far. Nothing
// here fails the run: whatever goes wrong in a step ends the steps with the reason logged.
void OptimisePassedKernel(const WorkflowContext& ctx, WorkflowOutcome* out);

}  // namespace akg
