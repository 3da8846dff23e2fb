#include "agents/agent_factory.h"

#include "builtin/designer.h"
#include "builtin/kernel_gen.h"

namespace akg {

AgentSet MakeAgents(const DslConfig& config) {
  AgentSet set;
  set.designer = std::make_unique<BuiltinDesigner>();
  set.kernel_gen = std::make_unique<BuiltinKernelGen>();
  for (const auto& [agent, level] : config.agent_model_config) {
    set.models[agent] = "builtin (level " + level + ")";
  }
  set.notice =
      "no LLM is configured: the builtin offline model serves every agent (elementwise "
      "operators and fused chains, cpp and triton_cuda)";
  return set;
}

}  // namespace akg
