// Chooses the agents for a run. Each agent asks for a model level in agent_model_config
// (complex / standard / fast); a level resolves to a configured model. This build has no LLM
// providers yet, so every level resolves to the builtin offline model, and the run says so.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "agents/agents.h"
#include "config/dsl_config.h"

namespace akg {

struct AgentSet {
  std::unique_ptr<KernelDesigner> designer;
  std::unique_ptr<KernelGen> kernel_gen;
  std::map<std::string, std::string> models;  // agent -> "builtin (level complex)"
  std::string notice;                          // one line for the user, or ""
};

AgentSet MakeAgents(const DslConfig& config);

}  // namespace akg
