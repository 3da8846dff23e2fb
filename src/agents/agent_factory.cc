#include "agents/agent_factory.h"

#include <algorithm>

#include "agents/llm_designer.h"
#include "agents/llm_kernel_gen.h"
#include "builtin/designer.h"
#include "builtin/kernel_gen.h"

namespace akg {
namespace {

const char* kBuiltinNotice =
    "no LLM is configured: the builtin offline model serves every agent (elementwise chains, "
    "reductions, norms, softmax, scans, losses, pooling, convolutions and matmuls; cpp, "
    "triton_cuda, and cuda without convolutions); configure "
    "models in .akg/settings.yaml "
    "or AKG_STANDARD_MODEL/AKG_STANDARD_BASE_URL/AKG_STANDARD_API_KEY";

}  // namespace

std::string AgentLevel(const DslConfig& config, const std::string& agent) {
  auto it = config.agent_model_config.find(agent);
  return it == config.agent_model_config.end() ? "standard" : it->second;
}

AgentSet MakeBuiltinAgents(const DslConfig& config) {
  AgentSet set;
  set.designer = std::make_unique<BuiltinDesigner>();
  set.kernel_gen = std::make_unique<BuiltinKernelGen>();
  for (const auto& [agent, level] : config.agent_model_config) {
    set.models[agent] = "builtin (level " + level + ")";
  }
  set.notice = kBuiltinNotice;
  return set;
}

Result<AgentSet> MakeAgents(const DslConfig& config, const Target& target, const AgentDeps& deps) {
  if (deps.models == nullptr) return MakeBuiltinAgents(config);
  AgentSet set;
  LlmAgentOptions options;
  options.prompts_dir = deps.prompts_dir;
  options.skills = deps.skills;
  options.skill_query.dsl = target.dsl;
  options.skill_query.backend = target.backend;
  options.skill_query.arch = target.arch;
  options.arch_peaks = deps.arch_peaks;
  options.policy = config.verify_settings.policy;
  options.shapes = config.verify_settings.shapes;
  options.extra_glue = config.verify_settings.extra_glue;

  std::vector<std::string> builtin_agents;
  LlmDesigner* llm_designer = nullptr;
  LlmKernelGen* llm_gen = nullptr;
  for (const std::string agent : {"kernel_designer", "kernel_gen", "task_constructor"}) {
    std::string level = AgentLevel(config, agent);
    AKG_ASSIGN_OR_RETURN(std::shared_ptr<LlmClient> client, deps.models->ForLevel(level));
    if (!client) {
      set.models[agent] = "builtin (level " + level + ")";
      if (agent != "task_constructor") builtin_agents.push_back(agent);
      continue;
    }
    set.any_llm = true;
    set.models[agent] = deps.models->DescribeLevel(level) + " (level " + level + ")";
    // The registry keeps the client alive for the whole run; agents hold a plain pointer.
    if (agent == "kernel_designer") {
      auto d = std::make_unique<LlmDesigner>(client.get(), options);
      llm_designer = d.get();
      set.designer = std::move(d);
    } else if (agent == "kernel_gen") {
      auto g = std::make_unique<LlmKernelGen>(client.get(), options);
      llm_gen = g.get();
      set.kernel_gen = std::move(g);
    }
  }
  if (!set.designer) set.designer = std::make_unique<BuiltinDesigner>();
  if (!set.kernel_gen) set.kernel_gen = std::make_unique<BuiltinKernelGen>();
  if (!set.any_llm) {
    set.notice = kBuiltinNotice;
  } else if (!builtin_agents.empty()) {
    std::string list;
    for (const auto& a : builtin_agents) list += (list.empty() ? "" : ", ") + a;
    set.notice = "no model is configured for the level of " + list +
                 ": the builtin offline model serves it";
  }
  set.skills_used = [llm_designer, llm_gen] {
    std::vector<std::string> names;
    if (llm_designer) {
      for (auto& n : llm_designer->skills_used()) names.push_back(n);
    }
    if (llm_gen) {
      for (auto& n : llm_gen->skills_used()) names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
  };
  return set;
}

}  // namespace akg
