#include "store/run_folder.h"

#include <cstdio>

#include "core/files.h"

namespace akg {

Result<RunFolder> RunFolder::Create(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_empty(path, ec)) {
    return UsageError("run folder '" + path.string() +
                      "' already exists and is not empty; choose another --out");
  }
  std::filesystem::create_directories(path, ec);
  if (ec) return InternalError("cannot create run folder '" + path.string() + "': " + ec.message());
  return RunFolder(std::filesystem::absolute(path));
}

Result<RunFolder> RunFolder::Open(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path / "run.json", ec)) {
    return UsageError("'" + path.string() + "' is not a run folder of this agent (no run.json); "
                      "give --resume the folder an earlier run printed");
  }
  return RunFolder(std::filesystem::absolute(path));
}

Status RunFolder::WriteText(const std::string& relative, const std::string& content) const {
  return WriteFileAtomic(path_ / relative, content);
}

Status RunFolder::WriteJson(const std::string& relative, const Json& value) const {
  return WriteFileAtomic(path_ / relative, value.dump(2) + "\n");
}

std::filesystem::path DefaultRunFolderPath(const std::filesystem::path& log_dir,
                                           const std::string& utc_stamp,
                                           const std::string& task_name, const std::string& dsl) {
  std::string safe;
  for (char c : task_name) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '-';
  return log_dir / (utc_stamp + "-" + safe + "-" + dsl);
}

std::string RunFiles::AttemptDir(int number) {
  char dir[32];
  std::snprintf(dir, sizeof dir, "attempts/%02d", number);
  return dir;
}

std::string RunFiles::CandidateDir(const std::string& id) { return "candidates/" + id; }

}  // namespace akg
