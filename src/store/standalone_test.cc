#include "store/standalone.h"

#include <gtest/gtest.h>

namespace akg {
namespace {

TEST(StandaloneTest, InlinesLoaderInPlaceOfImport) {
  std::string code = "import torch\nfrom akg_harness.native import load_cpp\nX = 1\n";
  std::string loader = "from __future__ import annotations\nimport ctypes\ndef load_cpp(s):\n  pass\n";
  std::string out = InlineNativeLoader(code, loader);
  EXPECT_EQ(out.find("from akg_harness"), std::string::npos);
  EXPECT_EQ(out.find("from __future__"), std::string::npos);
  EXPECT_NE(out.find("def load_cpp(s):"), std::string::npos);
  EXPECT_LT(out.find("import torch"), out.find("def load_cpp"));
  EXPECT_LT(out.find("def load_cpp"), out.find("X = 1"));
}

TEST(StandaloneTest, CodeWithoutLoaderImportIsUnchanged) {
  std::string code = "import triton\nX = 1";
  EXPECT_EQ(InlineNativeLoader(code, "def load_cpp(): pass\n"), code);
}

}  // namespace
}  // namespace akg
