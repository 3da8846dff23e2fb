#include "config/target.h"

#include <gtest/gtest.h>

namespace akg {
namespace {

TEST(TargetTest, AcceptsEveryRowOfTheTable) {
  for (const auto& row : SupportedTargets()) {
    auto r = ValidateTarget({row.framework, row.backend, row.archs.front(), row.dsl});
    EXPECT_TRUE(r.ok()) << r.status().message();
  }
}

TEST(TargetTest, EveryCudaArchHasAnNvccTarget) {
  for (const auto& row : SupportedTargets()) {
    if (row.backend != "cuda") continue;
    for (const auto& arch : row.archs) EXPECT_EQ(CudaSmOf(arch).rfind("sm_", 0), 0u) << arch;
  }
  EXPECT_EQ(CudaSmOf("h100"), "sm_90");
  EXPECT_EQ(CudaSmOf("x86_64"), "");
}

TEST(TargetTest, UnknownDslNamesTheDslAndListsChoices) {
  auto r = ValidateTarget({"torch", "cpu", "x86_64", "cobol"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'cobol'"), std::string::npos);
  EXPECT_NE(r.status().message().find("triton_cuda"), std::string::npos);
  EXPECT_EQ(r.status().kind(), ErrorKind::kUsage);
}

TEST(TargetTest, DslOnWrongBackendSuggestsTheRightOne) {
  auto r = ValidateTarget({"torch", "cpu", "x86_64", "triton_cuda"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--backend cuda"), std::string::npos);
}

TEST(TargetTest, UnknownArchIsRejected) {
  auto r = ValidateTarget({"torch", "cuda", "pentium", "triton_cuda"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'pentium'"), std::string::npos);
}

TEST(TargetTest, UnknownFrameworkIsRejected) {
  EXPECT_FALSE(ValidateTarget({"jax", "cpu", "x86_64", "cpp"}).ok());
}

}  // namespace
}  // namespace akg
