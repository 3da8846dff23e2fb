#include "store/standalone.h"

#include <sstream>

namespace akg {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string InlineNativeLoader(const std::string& code, const std::string& loader_source) {
  std::string loader;
  std::istringstream ls(loader_source);
  for (std::string line; std::getline(ls, line);) {
    if (!StartsWith(line, "from __future__ import")) loader += line + "\n";
  }
  std::string out;
  bool replaced = false;
  std::istringstream cs(code);
  for (std::string line; std::getline(cs, line);) {
    if (StartsWith(line, "from akg_harness.native import")) {
      if (!replaced) {
        out += "# ---- akg_harness.native, inlined so that this file is self-contained ----\n";
        out += loader;
        out += "# ---- end of akg_harness.native ----\n";
      }
      replaced = true;
      continue;
    }
    out += line + "\n";
  }
  return replaced ? out : code;
}

}  // namespace akg
