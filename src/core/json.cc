#include "core/json.h"

namespace akg {

Result<Json> ParseJson(const std::string& text, const std::string& what) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    return InternalError("invalid JSON in " + what + ": " + e.what());
  }
}

}  // namespace akg
