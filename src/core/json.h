// JSON helpers: nlohmann::json is the in-memory form of every harness message and report.
// These wrappers catch the library's exceptions and return Result values instead.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace akg {

using Json = nlohmann::json;

// Parses text; the error names `what` (e.g. a file path) and the parser's message.
Result<Json> ParseJson(const std::string& text, const std::string& what);

// Lenient readers for JSON written by a child process: a missing key, a null or a value of
// the wrong type gives the fallback instead of an exception.
double NumberOr(const Json& j, const char* key, double fallback);
std::string StringOr(const Json& j, const char* key, const std::string& fallback);

}  // namespace akg
