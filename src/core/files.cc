#include "core/files.h"

#include <fstream>
#include <sstream>
#include <system_error>

namespace akg {

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InputError("cannot read file '" + path.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteFileAtomic(const fs::path& path, const std::string& content) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (ec) return InternalError("cannot create folder '" + path.parent_path().string() + "': " + ec.message());
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return InternalError("cannot write file '" + tmp.string() + "'");
    out << content;
    if (!out.flush()) return InternalError("cannot write file '" + tmp.string() + "'");
  }
  fs::rename(tmp, path, ec);
  if (ec) return InternalError("cannot rename '" + tmp.string() + "': " + ec.message());
  return Status::Ok();
}

}  // namespace akg
