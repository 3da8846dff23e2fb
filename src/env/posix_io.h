// Small POSIX helpers shared by the process seams (process_runner, server_process).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "core/status.h"
#include "env/process_runner.h"

namespace akg {

// write(2) without letting SIGPIPE kill the agent when the reader (a child's stdin) has gone:
// SIGPIPE is blocked in this thread for the write and a pending one the write caused is
// consumed. Returns what write returned, with errno preserved (EPIPE when the reader is gone).
ssize_t WriteWithoutSigpipe(int fd, const char* data, size_t size);

// execvp's lookup of spec.argv[0] (a name without '/') through the child's PATH in spec.env,
// not the agent's; a relative PATH entry is taken from spec.cwd. Returns the absolute path of
// the first executable regular file, or an InputError naming the program and the PATH.
Result<std::string> FindInChildPath(const ProcessSpec& spec);

}  // namespace akg
