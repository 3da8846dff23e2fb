// Where a harness child that died of a signal was (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT):
// the one line a model can act on, from the two records the child leaves (the harness's
// akg_harness/crash_context.py): faulthandler's Python traceback on stderr and the
// sanctioned loader's native call in flight (native_call.txt beside the result file).
//
// Pure: it reads the process result and the record's text, and touches nothing else.
#pragma once

#include <string>

#include "env/process_runner.h"

namespace akg {

// The record file's name in a harness call's folder (crash_context.FILE_NAME).
inline constexpr const char* kNativeCallFile = "native_call.txt";

// "killed by signal 11 (SIGSEGV) during the native call relu argtypes (...) restype None,
// from kernel.py line 40 in forward; <hint>", or "" when the child did not die of one of
// those signals. `native_call` is the record's text ("" when there is none).
std::string DescribeCrash(const ProcessResult& process, const std::string& native_call);

}  // namespace akg
