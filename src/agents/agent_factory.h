// Chooses the agents for a run. Each agent asks for a model level in agent_model_config
// (complex / standard / fast); the model registry (llm/registry.h) resolves the level to a
// configured model, and the agent is then LLM-backed (llm_designer.h, llm_kernel_gen.h).
// A level with no model gets the builtin offline model for that agent, and the run says so.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agents/agents.h"
#include "config/dsl_config.h"
#include "config/target.h"
#include "core/status.h"
#include "llm/registry.h"
#include "skills/skills.h"

namespace akg {

struct AgentSet {
  std::unique_ptr<KernelDesigner> designer;
  std::unique_ptr<KernelGen> kernel_gen;
  std::map<std::string, std::string> models;  // agent -> "builtin (level complex)" or the model
  std::string notice;                          // one line for the user, or ""
  bool any_llm = false;                        // at least one agent is LLM-backed
  // Names of the skills the LLM agents put into prompts so far (for the run folder).
  std::function<std::vector<std::string>()> skills_used = [] { return std::vector<std::string>(); };
};

struct AgentDeps {
  ModelRegistry* models = nullptr;             // null = builtin for every agent
  const std::vector<Skill>* skills = nullptr;  // loaded skills (not owned)
  std::filesystem::path prompts_dir;           // <AKG home>/prompts
  Json arch_peaks;                             // ArchPeaks::ToJson() of the target, or null
};

// Errors: a model that cannot be built (e.g. an unreadable replay transcript). A builtin agent
// asked for a task or DSL it cannot handle fails later, when it is called, naming the fix.
Result<AgentSet> MakeAgents(const DslConfig& config, const Target& target, const AgentDeps& deps);

// The model level agent_model_config gives `agent` ("standard" when it names none).
std::string AgentLevel(const DslConfig& config, const std::string& agent);

// The builtin-only set (no settings, no LLM): what a fresh machine runs.
AgentSet MakeBuiltinAgents(const DslConfig& config);

}  // namespace akg
