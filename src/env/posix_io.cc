#include "env/posix_io.h"

#include <pthread.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <ctime>
#include <filesystem>

namespace akg {

ssize_t WriteWithoutSigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set, old_set, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  ssize_t written = write(fd, data, size);
  int error = errno;
  if (written < 0 && error == EPIPE && !was_pending) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = error;
  return written;
}

namespace {

bool IsExecutableFile(const std::filesystem::path& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

}  // namespace

Result<std::string> FindInChildPath(const ProcessSpec& spec) {
  const std::string& name = spec.argv[0];
  auto path_var = spec.env.find("PATH");
  if (path_var == spec.env.end()) {
    return InputError("program '" + name + "' has no '/' and the child environment has no PATH");
  }
  const std::string& path = path_var->second;
  for (size_t begin = 0; begin <= path.size();) {
    size_t end = std::min(path.find(':', begin), path.size());
    std::filesystem::path dir = path.substr(begin, end - begin);
    if (dir.empty()) dir = ".";
    std::filesystem::path candidate = dir / name;
    if (candidate.is_relative() && !spec.cwd.empty()) candidate = spec.cwd / candidate;
    if (IsExecutableFile(candidate)) {
      std::error_code ignored;
      return std::filesystem::absolute(candidate, ignored).string();
    }
    begin = end + 1;
  }
  return InputError("program '" + name + "' not found in the child's PATH '" + path + "'");
}

}  // namespace akg
