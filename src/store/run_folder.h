// The run folder: everything a run produced, for the user to read and reuse.
//
//   task.py            the task (copied, or written from --intent)
//   inspect.json       the harness's description of the task
//   design.md          the KernelDesigner's sketch (design.json: its hints)
//   attempts/NN/       kernel.py, verify.json, verify.log for every KernelGen attempt
//   candidates/<id>/   searches: kernel.py, verify.json/.log, profile.json/.log, meta.json (lineage:
//                      parent, inspirations, island, round, seed; device; timings)
//   search_log.jsonl   searches: every ask/tell call, for --resume
//   run.json           the target, workflow and devices of the run (config_override.yaml: --config)
//   kernel.py          the final kernel, a self-contained ModelNew file
//   profile.json       the profiler's numbers
//   report.json, report.md
#pragma once

#include <filesystem>
#include <string>

#include "core/json.h"
#include "core/status.h"

namespace akg {

class RunFolder {
 public:
  // Creates `path` (and its parents). An existing non-empty folder is refused, so a run never
  // mixes its files with another's.
  static Result<RunFolder> Create(const std::filesystem::path& path);
  // An existing run folder (--resume); it must hold run.json.
  static Result<RunFolder> Open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path Resolve(const std::string& relative) const { return path_ / relative; }
  Status WriteText(const std::string& relative, const std::string& content) const;
  Status WriteJson(const std::string& relative, const Json& value) const;

 private:
  explicit RunFolder(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// "<log_dir>/<utc stamp>-<task name>-<dsl>", e.g. runs/20261125-120000-relu-cpp.
std::filesystem::path DefaultRunFolderPath(const std::filesystem::path& log_dir,
                                           const std::string& utc_stamp,
                                           const std::string& task_name, const std::string& dsl);

}  // namespace akg
