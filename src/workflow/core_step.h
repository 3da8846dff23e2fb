// The one step every workflow is built on:
//
//   KernelGen::Generate (no device held)  ──▶ <dir>/kernel.py
//   DevicePool::Acquire ──▶ Verify ──pass──▶ Profile ──suspect──▶ re-verify (twice the
//                           trials, other seeds) ──▶ release the device
//   ──▶ <dir>/verify.json, verify.log, profile.json (+ meta.json for searches)
//
// A kernel that fails in any way, and a KernelGen error, become the record's verdict; the
// step itself never fails, so one bad candidate never stops a search.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "agents/agents.h"
#include "workflow/candidate.h"
#include "workflow/workflow.h"

namespace akg {

struct StepInput {
  CandidateRecord record;            // id, dir and lineage filled in by the caller
  GenRequest gen;                    // used when `code` is empty
  std::optional<std::string> code;   // an existing kernel (verifier_only): no generation
  bool profile = true;               // profile (and re-verify) a kernel that passes
  bool write_meta = true;            // meta.json (searches)
  // Progress hooks (may be empty): the kernel exists (generated or given), and a device was
  // taken for its verify (the device's label), so a front end can say what runs now.
  std::function<void(const CandidateRecord&)> on_kernel;
  std::function<void(const std::string& device)> on_measure;
};

CandidateRecord RunCoreStep(const WorkflowContext& ctx, StepInput in);

// The static rules alone (kernelgen_only), through ctx.harness; no device is held.
Verdict StaticCheck(const WorkflowContext& ctx, const std::string& code_path);

// The verify/profile settings of the config as harness requests (exposed for tests).
VerifyRequest MakeVerifyRequest(const WorkflowContext& ctx, const std::string& code_path,
                                bool reverify);
ProfileRequest MakeProfileRequest(const WorkflowContext& ctx, const std::string& code_path);

}  // namespace akg
