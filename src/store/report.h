// Reports of a finished run: report.json (machine-readable, the full record) and report.md
// (for people), plus the final table printed on the terminal.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "agents/agents.h"
#include "config/dsl_config.h"
#include "core/json.h"
#include "workflow/workflow.h"

namespace akg {

struct RunSummary {
  const TaskInfo* task = nullptr;
  Target target;
  const DslConfig* config = nullptr;
  const WorkflowOutcome* outcome = nullptr;
  std::map<std::string, std::string> models;  // agent -> model that served it
  std::string run_folder;
  std::string final_kernel;      // relative path of the final kernel, "" if none
  std::string command_line;
  std::string started_utc;
  double wall_seconds = 0;
  bool triton_interpreter = false;
  Json llm;                        // Ledger::ToJson() of the LLM calls, null when none were made
  std::vector<std::string> skills;  // skills the LLM agents put into prompts
};

Json BuildReportJson(const RunSummary& s);
std::string BuildReportMarkdown(const RunSummary& s);
// The final table: one row per attempt plus the profile of the passing kernel.
std::string FormatFinalTable(const RunSummary& s);

}  // namespace akg
