#include "verify/crash_report.h"

#include <signal.h>

#include <sstream>
#include <vector>

namespace akg {
namespace {

struct Frame {
  std::string file;  // the path as faulthandler printed it
  std::string line;
  std::string function;
};

// The frames of faulthandler's first traceback, most recent first:
//   File "/path/kernel.py", line 40 in forward
std::vector<Frame> FaultFrames(const std::string& stderr_text) {
  std::vector<Frame> frames;
  auto start = stderr_text.find("Fatal Python error");
  if (start == std::string::npos) return frames;
  std::istringstream in(stderr_text.substr(start));
  std::string text;
  bool in_stack = false;
  while (std::getline(in, text)) {
    if (text.find("most recent call first") != std::string::npos) {
      if (in_stack) break;  // the next thread's stack
      in_stack = true;
      continue;
    }
    auto open = text.find("File \"");
    if (!in_stack || open == std::string::npos) {
      if (in_stack && !frames.empty()) break;
      continue;
    }
    auto close = text.find('"', open + 6);
    auto at = text.find(", line ", close);
    auto in_word = text.find(" in ", at == std::string::npos ? close : at);
    if (close == std::string::npos || at == std::string::npos) continue;
    Frame f;
    f.file = text.substr(open + 6, close - open - 6);
    f.line = text.substr(at + 7, in_word == std::string::npos ? std::string::npos
                                                              : in_word - at - 7);
    if (in_word != std::string::npos) f.function = text.substr(in_word + 4);
    frames.push_back(f);
  }
  return frames;
}

bool IsHarnessOrLibrary(const std::string& file) {
  return file.find("/akg_harness/") != std::string::npos ||
         file.find("site-packages/") != std::string::npos ||
         file.find("/lib/python") != std::string::npos || file.find('<') == 0;
}

std::string BaseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string FrameText(const Frame& f) {
  return BaseName(f.file) + " line " + f.line + (f.function.empty() ? "" : " in " + f.function);
}

std::string NativeCallText(const std::string& record) {
  if (record.size() < 2) return "";
  std::string call = record.substr(1);
  auto end = call.find('\n');
  if (end != std::string::npos) call.resize(end);
  if (call.find_first_not_of(' ') == std::string::npos) return "";
  if (record[0] == '1') return " during the native call " + call;
  if (record[0] == '0') {
    return " after the native call " + call +
           " had returned (an out-of-bounds write corrupts memory that fails later)";
  }
  return "";
}

}  // namespace

std::string DescribeCrash(const ProcessResult& process, const std::string& native_call) {
  const int s = process.term_signal;
  if (s != SIGSEGV && s != SIGBUS && s != SIGFPE && s != SIGILL && s != SIGABRT) return "";
  std::string text = process.Describe() + NativeCallText(native_call);
  auto frames = FaultFrames(process.stderr_text);
  const Frame* own = nullptr;
  for (const auto& f : frames) {
    if (!IsHarnessOrLibrary(f.file)) {
      own = &f;
      break;
    }
  }
  if (own != nullptr) {
    text += ", from " + FrameText(*own);
  } else if (!frames.empty()) {
    text += ", in " + FrameText(frames.front());
  }
  if (s == SIGSEGV || s == SIGBUS) {
    text += "; check that every native function has argtypes (ctypes.c_void_p for each "
            "tensor's data_ptr(), ctypes.c_int64 for sizes) and restype set, that each pointer "
            "is the data_ptr() of a contiguous tensor on the kernel's device that lives through "
            "the call, and that every index stays inside its tensor";
  } else if (s == SIGFPE) {
    text += "; an integer division or modulo by zero (check sizes and strides of 0)";
  }
  return text;
}

}  // namespace akg
