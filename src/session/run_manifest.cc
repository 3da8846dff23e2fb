#include "session/run_manifest.h"
#include "store/run_folder.h"

#include "core/files.h"
#include "core/json.h"
#include "workflow/workflow.h"

namespace akg {

namespace fs = std::filesystem;

Status WriteRunManifest(const RunFolder& run, const SessionOptions& s, const std::string& workflow,
                        const std::string& task_name) {
  if (!s.config_file.empty()) {
    AKG_ASSIGN_OR_RETURN(std::string text, ReadFile(s.config_file));
    AKG_RETURN_IF_ERROR(run.WriteText(RunFiles::kConfigOverride, text));
  }
  const Target& t = s.target;
  return run.WriteJson(RunFiles::kManifest, {{"framework", t.framework}, {"backend", t.backend},
                                    {"arch", t.arch}, {"dsl", t.dsl}, {"devices", s.devices},
                                    {"workflow", workflow}, {"task_name", task_name},
                                    {"config_override", !s.config_file.empty()}});
}

Result<RunManifest> ReadResumableManifest(const fs::path& folder) {
  auto text = ReadFile(folder / RunFiles::kManifest);
  if (!text.ok()) {
    return UsageError("'" + folder.string() + "' is not a run folder of this agent (no run.json); "
                      "give --resume the folder an earlier run printed");
  }
  AKG_ASSIGN_OR_RETURN(Json j, ParseJson(*text, (folder / RunFiles::kManifest).string()));
  RunManifest m;
  m.session.target = {StringOr(j, "framework", "torch"), StringOr(j, "backend", ""),
                      StringOr(j, "arch", ""), StringOr(j, "dsl", "")};
  m.session.devices = StringOr(j, "devices", "0");
  if (fs::exists(folder / RunFiles::kConfigOverride)) {
    m.session.config_file = (folder / RunFiles::kConfigOverride).string();
  }
  m.workflow = StringOr(j, "workflow", "");
  m.task_name = StringOr(j, "task_name", "task");
  const WorkflowInfo* w = FindWorkflow(m.workflow);
  if (w == nullptr || !w->resumable) {
    return UsageError("'" + folder.string() + "' is a " + m.workflow + " run; only " +
                      ResumableWorkflowNames() +
                      " runs can be resumed");
  }
  return m;
}

Result<TaskInfo> TaskOfRun(const RunFolder& run) {
  TaskInfo task;
  task.task_path = run.Resolve(RunFiles::kTask);
  AKG_ASSIGN_OR_RETURN(task.source, ReadFile(task.task_path));
  AKG_ASSIGN_OR_RETURN(std::string inspection, ReadFile(run.Resolve(RunFiles::kInspect)));
  AKG_ASSIGN_OR_RETURN(task.inspection, ParseJson(inspection, run.Resolve(RunFiles::kInspect).string()));
  AKG_ASSIGN_OR_RETURN(std::string record, ReadFile(run.Resolve(RunFiles::kManifest)));
  AKG_ASSIGN_OR_RETURN(Json j, ParseJson(record, run.Resolve(RunFiles::kManifest).string()));
  task.name = StringOr(j, "task_name", "task");
  task.graph = MakeOpGraph(task.inspection);
  return task;
}

}  // namespace akg
