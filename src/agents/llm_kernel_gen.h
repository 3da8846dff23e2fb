// LlmKernelGen: the KernelGen backed by a language model. Each call is one self-contained
// prompt (no hidden conversation), so a run folder's transcripts replay exactly:
//
//   stage: "generate" (first attempt) | "debug" (earlier attempts failed) | "optimise" (a
//          search gave a parent kernel to improve)
//   TaskInfo + Target + Design + skills(stage) + feedback history (verdict, reason, message,
//   log head and tail) + the previous attempt's code + parent/inspirations
//     ──prompts/kernel_gen_{system,user}.md──▶ LlmClient ──reply──▶ ExtractCode ──▶ Candidate
//
// A reply without usable code is answered once in the same conversation with the problem
// stated (prompts/kernel_gen_retry.md); a second bad reply is an error. The previous attempt's
// code is the candidate this generator returned for the same task, seed and attempt - 1
// (GenRequest carries only the feedback).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agents/agents.h"
#include "agents/prompt_context.h"
#include "llm/llm.h"

namespace akg {

class LlmKernelGen : public KernelGen {
 public:
  // `llm` is not owned and must outlive the generator. Thread-safe.
  LlmKernelGen(LlmClient* llm, LlmAgentOptions options);

  // Fails when a prompt template is missing or broken, the model call fails (its message,
  // prefixed with "KernelGen"), or two replies in a row hold no usable code.
  Result<Candidate> Generate(const GenRequest& request) override;

  // Names of the skills put into prompts so far, sorted (for the run folder).
  std::vector<std::string> skills_used() const { return ledger_.names(); }

 private:
  Result<Json> BuildContext(const GenRequest& request, const std::string& stage);
  std::string PreviousCode(const GenRequest& request) const;
  void RememberCode(const GenRequest& request, const std::string& code);

  LlmClient* llm_;
  LlmAgentOptions options_;
  SkillLedger ledger_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> code_by_attempt_;  // "<task path>|<seed>|<attempt>"
};

// "generate", "debug" or "optimise" for a request (see the header comment).
std::string GenStage(const GenRequest& request);

}  // namespace akg
