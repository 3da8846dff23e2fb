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
//   profile.json       the final kernel's profile: the same file as its attempt's/candidate's
//   report.json, report.md, report.html (akg_cli report)
//   llm/               every prompt and reply (transcript.jsonl)
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

// The one list of a run folder's file names (the layout above): every writer and reader of a
// run folder names its files through these.
struct RunFiles {
  static constexpr const char* kTask = "task.py";
  static constexpr const char* kInspect = "inspect.json";
  static constexpr const char* kManifest = "run.json";
  static constexpr const char* kConfigOverride = "config_override.yaml";
  static constexpr const char* kDesign = "design.md";
  static constexpr const char* kDesignHints = "design.json";
  static constexpr const char* kSearchLog = "search_log.jsonl";
  static constexpr const char* kKernel = "kernel.py";  // the final kernel, and each attempt's
  static constexpr const char* kProfile = "profile.json";
  static constexpr const char* kReverify = "reverify.json";
  static constexpr const char* kReport = "report.json";
  static constexpr const char* kReportMarkdown = "report.md";
  static constexpr const char* kReportPage = "report.html";
  static constexpr const char* kLlm = "llm";
  // Inside an attempt's or a candidate's folder (besides kKernel, kProfile, kReverify):
  static constexpr const char* kVerify = "verify.json";
  static constexpr const char* kVerifyLog = "verify.log";
  static constexpr const char* kProfileLog = "profile.log";
  static constexpr const char* kMeta = "meta.json";
  static constexpr const char* kStatic = "static.json";
  static std::string AttemptDir(int number);            // "attempts/01"
  static std::string CandidateDir(const std::string& id);  // "candidates/<id>"
  static std::string In(const std::string& dir, const char* file) { return dir + "/" + file; }
};

// "<log_dir>/<utc stamp>-<task name>-<dsl>", e.g. runs/20261125-120000-relu-cpp.
std::filesystem::path DefaultRunFolderPath(const std::filesystem::path& log_dir,
                                           const std::string& utc_stamp,
                                           const std::string& task_name, const std::string& dsl);

}  // namespace akg
