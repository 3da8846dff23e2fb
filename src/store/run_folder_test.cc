#include "store/run_folder.h"

#include <gtest/gtest.h>

#include "core/files.h"

namespace akg {
namespace {

TEST(RunFolderTest, CreatesFolderAndWritesFiles) {
  auto dir = std::filesystem::temp_directory_path() / "akg_run_folder_test" / "run1";
  std::filesystem::remove_all(dir.parent_path());
  auto rf = RunFolder::Create(dir);
  ASSERT_TRUE(rf.ok()) << rf.status().message();
  ASSERT_TRUE(rf->WriteText("attempts/01/kernel.py", "x = 1\n").ok());
  ASSERT_TRUE(rf->WriteJson("report.json", Json{{"a", 1}}).ok());
  EXPECT_EQ(*ReadFile(dir / "attempts/01/kernel.py"), "x = 1\n");
  EXPECT_NE(ReadFile(dir / "report.json")->find("\"a\": 1"), std::string::npos);
  std::filesystem::remove_all(dir.parent_path());
}

TEST(RunFolderTest, RefusesNonEmptyExistingFolder) {
  auto dir = std::filesystem::temp_directory_path() / "akg_run_folder_test2";
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(WriteFileAtomic(dir / "f", "x").ok());
  auto rf = RunFolder::Create(dir);
  ASSERT_FALSE(rf.ok());
  EXPECT_NE(rf.status().message().find("--out"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(RunFolderTest, DefaultPathIsSafeForOddTaskNames) {
  auto p = DefaultRunFolderPath("runs", "20261125-120000", "my task/1", "cpp");
  EXPECT_EQ(p.string(), "runs/20261125-120000-my-task-1-cpp");
}

}  // namespace
}  // namespace akg
