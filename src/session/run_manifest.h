// run.json: what --resume needs to continue a run (the target, devices, workflow, task name,
// and whether a --config override was copied beside it as config_override.yaml). Written when
// a run's folder is created; read back by `op --resume` before its Session opens.
#pragma once

#include <filesystem>
#include <string>

#include "agents/agents.h"
#include "core/status.h"
#include "session/session.h"
#include "store/run_folder.h"

namespace akg {

struct RunManifest {
  SessionOptions session;  // target, devices, config override (the copy in the folder)
  std::string workflow;
  std::string task_name;
};

Status WriteRunManifest(const RunFolder& run, const SessionOptions& session,
                        const std::string& workflow, const std::string& task_name);

// The manifest of an interrupted run that --resume can continue; errors say why not (no
// run.json, a workflow that cannot be resumed).
Result<RunManifest> ReadResumableManifest(const std::filesystem::path& folder);

// The task of a resumed run, from its folder (inspected when the run began).
Result<TaskInfo> TaskOfRun(const RunFolder& run);

}  // namespace akg
