#include "env/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "env/posix_io.h"

namespace akg {
namespace {

constexpr size_t kStderrTail = 64 * 1024;
constexpr size_t kChunk = 64 * 1024;

std::string ErrnoText(const std::string& what, int error) {
  return what + ": " + std::strerror(error);
}

// The program to spawn: a name with '/' taken from spec.cwd when relative, else looked up
// through the child's PATH, as PosixProcessRunner does.
Result<std::string> FindProgram(const ProcessSpec& spec) {
  const std::string& name = spec.argv[0];
  if (name.find('/') == std::string::npos) return FindInChildPath(spec);
  std::filesystem::path path = name;
  if (path.is_relative() && !spec.cwd.empty()) path = spec.cwd / path;
  return path.string();
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           SignalName(WTERMSIG(status)) + ")";
  }
  return "ended with status " + std::to_string(status);
}

class PosixServerProcess : public ServerProcess {
 public:
  PosixServerProcess(pid_t pid, int in, int out, int err)
      : pid_(pid), in_(in), out_(out), err_(err) {}

  ~PosixServerProcess() override {
    Stop(0);
    if (in_ >= 0) close(in_);
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
  }

  int pid() const override { return pid_; }

  Status SendLine(const std::string& line) override {
    std::string data = line + "\n";
    std::lock_guard<std::mutex> lock(write_mu_);
    if (in_ < 0) return InternalError("the server's stdin is closed");
    size_t offset = 0;
    while (offset < data.size()) {
      ssize_t n = WriteWithoutSigpipe(in_, data.data() + offset, data.size() - offset);
      if (n > 0) {
        offset += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        return InternalError(ErrnoText("writing to the server", errno));
      }
    }
    return Status::Ok();
  }

  Result<std::optional<std::string>> ReadLine(double timeout_s) override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (true) {
      size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return std::optional<std::string>(std::move(line));
      }
      if (out_eof_) return InternalError("the server closed its stdout");
      double left =
          std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return std::optional<std::string>();
      Pump(left);
    }
  }

  std::string StderrTail() const override {
    std::lock_guard<std::mutex> lock(tail_mu_);
    return stderr_tail_;
  }

  void CloseStdin() override {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (in_ >= 0) close(std::exchange(in_, -1));
  }

  std::string Stop(double grace_s) override {
    {
      // A SendLine stuck on a full pipe holds the lock; the kill below unblocks it.
      std::unique_lock<std::mutex> lock(write_mu_, std::try_to_lock);
      if (lock.owns_lock() && in_ >= 0) close(std::exchange(in_, -1));
    }
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (reaped_) return ending_;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
    int status = 0;
    while (true) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        kill(-pid_, SIGKILL);  // unreaped, so the group id cannot have been reused
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(-pid_, SIGKILL);  // anything left in the server's group (the leader is gone)
    reaped_ = true;
    ending_ = DescribeStatus(status);
    return ending_;
  }

 private:
  // Waits up to `seconds` for output, then moves what is ready into the buffers.
  void Pump(double seconds) {
    pollfd fds[2];
    nfds_t count = 0;
    if (!out_eof_) fds[count++] = pollfd{out_, POLLIN, 0};
    if (!err_eof_) fds[count++] = pollfd{err_, POLLIN, 0};
    int timeout_ms = static_cast<int>(std::ceil(seconds * 1000));
    if (poll(fds, count, timeout_ms) <= 0) return;
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      char chunk[kChunk];
      ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      bool is_out = fds[i].fd == out_;
      if (n <= 0) {
        (is_out ? out_eof_ : err_eof_) = true;
      } else if (is_out) {
        buffer_.append(chunk, static_cast<size_t>(n));
      } else {
        std::lock_guard<std::mutex> lock(tail_mu_);
        stderr_tail_.append(chunk, static_cast<size_t>(n));
        if (stderr_tail_.size() > kStderrTail) {
          stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
        }
      }
    }
  }

  const pid_t pid_;
  int in_, out_, err_;
  std::mutex write_mu_;  // in_
  std::mutex stop_mu_;   // reaped_, ending_
  mutable std::mutex tail_mu_;
  std::string buffer_;   // stdout bytes after the last complete line (ReadLine's caller only)
  bool out_eof_ = false, err_eof_ = false;
  std::string stderr_tail_;
  bool reaped_ = false;
  std::string ending_;
};

// posix_spawn's attributes and file actions, released on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

Status MakePipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) return InternalError(ErrnoText("pipe2", errno));
  return Status::Ok();
}

}  // namespace

ServerProcess::~ServerProcess() = default;
ServerLauncher::~ServerLauncher() = default;

void SignalProcessGroup(int pgid, int sig) {
  if (pgid > 1) kill(-pgid, sig);
}

Result<std::unique_ptr<ServerProcess>> PosixServerLauncher::Start(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return InputError("empty argv");
  AKG_ASSIGN_OR_RETURN(std::string program, FindProgram(spec));
  std::vector<std::string> env_entries;
  for (const auto& [name, value] : spec.env) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return InputError("invalid environment variable name '" + name + "'");
    }
    env_entries.push_back(name + "=" + value);
  }
  std::vector<char*> argv, envp;
  for (const std::string& arg : spec.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  for (std::string& entry : env_entries) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int in[2], out[2], err[2];  // all close-on-exec: no other spawn inherits them
  AKG_RETURN_IF_ERROR(MakePipe(in));
  if (Status s = MakePipe(out); !s.ok()) {
    close(in[0]), close(in[1]);
    return s;
  }
  if (Status s = MakePipe(err); !s.ok()) {
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    return s;
  }
  SpawnSetup setup;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setflags(&setup.attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  // dup2 onto 0-2 clears close-on-exec there; every other fd is closed.
  posix_spawn_file_actions_adddup2(&setup.actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&setup.actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&setup.actions, err[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
#endif
  if (!spec.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, spec.cwd.c_str());
  }
  pid_t pid = 0;
  int error = posix_spawn(&pid, program.c_str(), &setup.actions, &setup.attr, argv.data(),
                          envp.data());
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (error != 0) {
    close(in[1]), close(out[0]), close(err[0]);
    return InternalError(ErrnoText("cannot start '" + program + "' in '" + spec.cwd.string() + "'",
                                   error));
  }
  return std::unique_ptr<ServerProcess>(
      std::make_unique<PosixServerProcess>(pid, in[1], out[0], err[0]));
}

}  // namespace akg
