// Makes the final kernel file self-contained: a cpp-DSL candidate imports the sanctioned
// loader from the harness package; the copy a user takes away gets the loader's source inlined.
#pragma once

#include <string>

namespace akg {

// Replaces `from akg_harness.native import ...` lines in `code` with `loader_source` (minus its
// `from __future__` lines, which are only legal at the top of a file). Code without that
// import is returned unchanged.
std::string InlineNativeLoader(const std::string& code, const std::string& loader_source);

}  // namespace akg
