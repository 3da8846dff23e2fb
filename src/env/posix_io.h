// Small POSIX helpers shared by the process seams (process_runner, server_process).
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace akg {

// write(2) without letting SIGPIPE kill the agent when the reader (a child's stdin) has gone:
// SIGPIPE is blocked in this thread for the write and a pending one the write caused is
// consumed. Returns what write returned, with errno preserved (EPIPE when the reader is gone).
ssize_t WriteWithoutSigpipe(int fd, const char* data, size_t size);

}  // namespace akg
