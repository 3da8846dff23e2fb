#include "verify/crash_report.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace akg {
namespace {

ProcessResult Killed(int signal, std::string stderr_text) {
  ProcessResult p;
  p.started = true;
  p.term_signal = signal;
  p.stderr_text = std::move(stderr_text);
  return p;
}

const char kTrace[] =
    "[akg_harness +1.0s] candidate checked and imported\n"
    "Fatal Python error: Segmentation fault\n\n"
    "Current thread 0x00007f (most recent call first):\n"
    "  File \"/venv/lib/python3.12/site-packages/akg_harness/native.py\", line 63 in __call__\n"
    "  File \"/run/candidates/3/kernel.py\", line 40 in forward\n"
    "  File \"/venv/lib/python3.12/site-packages/torch/nn/modules/module.py\", line 1773 in "
    "_call_impl\n"
    "\nExtension modules: torch (total: 1)\n";

TEST(CrashReportTest, SegfaultNamesTheNativeCallTheCandidateFrameAndGivesTheArgtypesHint) {
  std::string text = DescribeCrash(Killed(SIGSEGV, kTrace),
                                   "1relu argtypes (c_void_p, c_int) restype None\n     ");
  EXPECT_NE(text.find("SIGSEGV"), std::string::npos) << text;
  EXPECT_NE(text.find("during the native call relu argtypes (c_void_p, c_int)"),
            std::string::npos) << text;
  EXPECT_NE(text.find("from kernel.py line 40 in forward"), std::string::npos) << text;
  EXPECT_NE(text.find("data_ptr()"), std::string::npos) << text;
}

TEST(CrashReportTest, AReturnedCallIsNamedAsTheLastOneNotTheCulprit) {
  std::string text = DescribeCrash(Killed(SIGBUS, kTrace), "0relu argtypes not set\n");
  EXPECT_NE(text.find("after the native call relu argtypes not set had returned"),
            std::string::npos) << text;
}

TEST(CrashReportTest, WithoutRecordsItStillSaysTheSignal) {
  std::string text = DescribeCrash(Killed(SIGSEGV, "no traceback here\n"), "");
  EXPECT_NE(text.find("SIGSEGV"), std::string::npos);
  EXPECT_EQ(text.find("native call"), std::string::npos);
  EXPECT_EQ(text.find("from "), std::string::npos);
}

TEST(CrashReportTest, OtherEndsAreNotCrashes) {
  EXPECT_EQ(DescribeCrash(Killed(SIGKILL, kTrace), "1relu\n"), "");
  ProcessResult exited;
  exited.started = true;
  exited.exit_code = 1;
  EXPECT_EQ(DescribeCrash(exited, ""), "");
}

}  // namespace
}  // namespace akg
