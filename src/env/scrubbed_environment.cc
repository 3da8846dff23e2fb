// LooksSecret and ScrubbedEnvironment (declared in process_runner.h): the child's environment
// is an allow-list, and the deny rule below overrides the allow-list.
#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <string_view>

#include "env/process_runner.h"

extern char** environ;

namespace akg {
namespace {

bool Named(std::string_view name, const std::vector<std::string>& patterns) {
  for (std::string_view pattern : patterns) {
    if (!pattern.empty() && pattern.back() == '*') {
      if (name.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1)) return true;
    } else if (name == pattern) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool LooksSecret(const std::string& name) {
  static constexpr std::string_view kParts[] = {"KEY",  "TOKEN",   "SECRET",  "PASS", "CREDENTIAL",
                                                "AUTH", "COOKIE", "PRIVATE", "PROXY"};
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (std::string_view part : kParts) {
    if (upper.find(part) != std::string::npos) return true;
  }
  for (std::string_view suffix : {"_PAT", "_PWD"}) {  // not plain PWD, the working folder
    if (upper.size() >= suffix.size() &&
        upper.compare(upper.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

std::map<std::string, std::string> ScrubbedEnvironment(
    const std::vector<std::string>& pass_through_names) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    size_t equals = text.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    std::string name(text.substr(0, equals));
    if (!Named(name, pass_through_names) || LooksSecret(name)) continue;
    env.emplace(std::move(name), std::string(text.substr(equals + 1)));
  }
  return env;
}

}  // namespace akg
