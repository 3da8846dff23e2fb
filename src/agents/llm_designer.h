// LlmDesigner: the KernelDesigner backed by a language model. It asks for a design of the
// kernel before any code is written: the computation, its cost against the target's peak
// rates, the parallel mapping, memory plan, numerics and pitfalls.
//
//   TaskInfo + Target + skills (stage "design") ──prompts/designer_{system,user}.md──▶ LlmClient
//   reply (Markdown) ──▶ Design{sketch = the reply, hints = its ```json block, else null}
//
// See llm_kernel_gen.h for the agent that turns the design into code.
#pragma once

#include <string>
#include <vector>

#include "agents/agents.h"
#include "agents/prompt_context.h"
#include "llm/llm.h"

namespace akg {

class LlmDesigner : public KernelDesigner {
 public:
  // `llm` is not owned and must outlive the designer.
  LlmDesigner(LlmClient* llm, LlmAgentOptions options);

  // Fails when a prompt template is missing or broken, the model call fails (its message,
  // prefixed with "KernelDesigner"), or the reply is empty.
  Result<Design> MakeDesign(const DesignRequest& request) override;

  // Names of the skills put into prompts so far, sorted (for the run folder).
  std::vector<std::string> skills_used() const { return ledger_.names(); }

 private:
  LlmClient* llm_;
  LlmAgentOptions options_;
  SkillLedger ledger_;
};

// The first ```json block of a reply parsed as an object, else null.
Json DesignHintsFromReply(const std::string& reply);

}  // namespace akg
