// Small file helpers over std::filesystem, returning Status/Result instead of throwing.
#pragma once

#include <filesystem>
#include <string>

#include "core/status.h"

namespace akg {

namespace fs = std::filesystem;

Result<std::string> ReadFile(const fs::path& path);
// Writes through a temporary file in the same folder and renames it, so readers never see a
// half-written file. Creates missing parent folders.
Status WriteFileAtomic(const fs::path& path, const std::string& content);

}  // namespace akg
