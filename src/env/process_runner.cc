#include "env/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

#include "core/status.h"

extern char** environ;

#include "env/posix_io.h"

namespace akg {
namespace {

constexpr double kPollTickSeconds = 0.02;      // how often a Run looks at the cancel flag
constexpr double kNoPidfdTickSeconds = 0.005;  // exit polling where pidfd_open is missing
constexpr double kDrainSeconds = 1.0;  // after exit, wait this long for pipes to reach EOF
constexpr size_t kChunk = 64 * 1024;

std::string ErrnoText(const std::string& what, int error) {
  return what + ": " + std::strerror(error);
}

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Both ends close-on-exec, so a Run in another thread never leaks them into its child.
Status MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return InternalError(ErrnoText("pipe2", errno));
  read_end->Reset(fds[0]);
  write_end->Reset(fds[1]);
  return Status::Ok();
}

// Keeps at most `cap` bytes of a stream: the first cap/2 and the last cap - cap/2.
class CappedOutput {
 public:
  explicit CappedOutput(size_t cap) : head_cap_(cap / 2), tail_cap_(cap - cap / 2) {}

  void Append(const char* data, size_t size) {
    total_ += size;
    size_t to_head = std::min(size, head_cap_ - head_.size());
    head_.append(data, to_head);
    tail_.append(data + to_head, size - to_head);
    // Trim in batches so the cost stays linear in the output size.
    if (tail_.size() > 2 * tail_cap_ + kChunk) tail_.erase(0, tail_.size() - tail_cap_);
  }

  bool truncated() const { return total_ > head_cap_ + tail_cap_; }

  std::string Finish() const {
    if (!truncated()) return head_ + tail_;
    std::string head = head_.substr(0, Utf8SafeEnd(head_));
    std::string tail = tail_.substr(tail_.size() - std::min(tail_.size(), tail_cap_));
    tail.erase(0, Utf8SafeBegin(tail));
    size_t omitted = total_ - head.size() - tail.size();
    return head + "\n[... " + std::to_string(omitted) + " bytes omitted ...]\n" + tail;
  }

 private:
  static bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

  // Length of `s` without a trailing incomplete UTF-8 sequence.
  static size_t Utf8SafeEnd(const std::string& s) {
    size_t lead = s.size();
    while (lead > 0 && s.size() - lead < 4 && IsContinuation(s[lead - 1])) --lead;
    if (lead == 0) return s.size();
    unsigned char c = static_cast<unsigned char>(s[lead - 1]);
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return (lead - 1 + need > s.size()) ? lead - 1 : s.size();
  }

  // Number of leading continuation bytes (the rest of a character cut off in front).
  static size_t Utf8SafeBegin(const std::string& s) {
    size_t skip = 0;
    while (skip < s.size() && skip < 3 && IsContinuation(s[skip])) ++skip;
    return skip;
  }

  size_t head_cap_;
  size_t tail_cap_;
  size_t total_ = 0;
  std::string head_;
  std::string tail_;
};

// Everything the child needs, prepared before fork: between fork and execve the child of a
// multithreaded parent may only make async-signal-safe calls, so nothing there allocates.
// Built in place (the char* arrays point into the strings) and never moved.
struct ChildPlan {
  std::string program;
  std::vector<std::string> env_entries;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string cwd;
  struct Limit {
    int resource;
    rlimit value;
  };
  std::vector<Limit> limits;
  int max_fd = 0;  // bound for the close-on-exec loop where close_range is missing
  pid_t parent_pid = 0;
};

// execvp's lookup, but through the child's PATH, done in the parent so that a missing program
// is reported without forking.
Status FindProgram(const ProcessSpec& spec, std::string* program) {
  if (spec.argv[0].find('/') != std::string::npos) {
    *program = spec.argv[0];  // execve resolves it after chdir(cwd)
    return Status::Ok();
  }
  AKG_ASSIGN_OR_RETURN(*program, FindInChildPath(spec));
  return Status::Ok();
}

// Queues setrlimit(resource, {soft, hard}) for the child, clamped to the agent's hard limit.
void AddLimit(ChildPlan* plan, int resource, rlim_t soft, rlim_t hard) {
  rlimit current{};
  if (getrlimit(resource, &current) == 0 && current.rlim_max != RLIM_INFINITY) {
    soft = std::min(soft, current.rlim_max);
    hard = std::min(hard, current.rlim_max);
  }
  plan->limits.push_back({resource, rlimit{soft, hard}});
}

void AddLimits(const ProcessLimits& limits, ChildPlan* plan) {
  if (!limits.core_dumps) AddLimit(plan, RLIMIT_CORE, 0, 0);
  if (limits.cpu_seconds > 0) {
    auto seconds = static_cast<rlim_t>(std::ceil(limits.cpu_seconds));
    AddLimit(plan, RLIMIT_CPU, seconds, seconds + 1);
  }
  if (limits.memory_bytes > 0) AddLimit(plan, RLIMIT_AS, limits.memory_bytes, limits.memory_bytes);
  if (limits.open_files > 0) AddLimit(plan, RLIMIT_NOFILE, limits.open_files, limits.open_files);
}

Status BuildPlan(const ProcessSpec& spec, ChildPlan* plan) {
  if (spec.argv.empty() || spec.argv[0].empty()) return InputError("empty argv");
  for (const auto& [name, value] : spec.env) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return InputError("invalid environment variable name '" + name + "'");
    }
    plan->env_entries.push_back(name + "=" + value);
  }
  AKG_RETURN_IF_ERROR(FindProgram(spec, &plan->program));
  for (const std::string& arg : spec.argv) plan->argv.push_back(const_cast<char*>(arg.c_str()));
  plan->argv.push_back(nullptr);
  for (std::string& entry : plan->env_entries) plan->envp.push_back(entry.data());
  plan->envp.push_back(nullptr);
  plan->cwd = spec.cwd.string();
  AddLimits(spec.limits, plan);
  rlimit files{};
  bool bounded = getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY;
  plan->max_fd = static_cast<int>(bounded ? std::min<rlim_t>(files.rlim_cur, 65536) : 65536);
  plan->parent_pid = getpid();
  return Status::Ok();
}

// What the child reports through the close-on-exec pipe when it cannot reach execve.
enum ChildStage : int { kStageSetup = 1, kStageLimit, kStageChdir, kStageExec };
struct ChildFailure {
  int stage;
  int error;
};

// --- Child side: async-signal-safe calls only, from fork to execve. ---

[[noreturn]] void FailInChild(int report_fd, ChildStage stage) {
  ChildFailure failure{stage, errno};
  ssize_t ignored = write(report_fd, &failure, sizeof failure);
  (void)ignored;
  _exit(127);
}

void ResetSignalsInChild() {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  // Ignored dispositions survive execve; the agent's are not the child's business.
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &default_action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

void MarkFdsCloseOnExecInChild(int max_fd) {
#if defined(__linux__) && defined(SYS_close_range)
  constexpr unsigned kCloseRangeCloexec = 1U << 2;  // CLOSE_RANGE_CLOEXEC, Linux 5.11
  if (syscall(SYS_close_range, 3U, ~0U, kCloseRangeCloexec) == 0) return;
#endif
  for (int fd = 3; fd < max_fd; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// fds: the child's stdin, stdout, stderr ends and the report pipe's write end.
[[noreturn]] void ExecChild(const ChildPlan& plan, const int (&fds)[4]) {
  int report_fd = fds[3];
  if (setsid() < 0) FailInChild(report_fd, kStageSetup);
#ifdef __linux__
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // if the agent dies, so does the child
  if (getppid() != plan.parent_pid) _exit(127);
#endif
  ResetSignalsInChild();
  // Lift every end above 2 first, so that the dup2 calls below cannot clobber one of them.
  int high[4];
  for (int i = 0; i < 4; ++i) {
    high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    if (high[i] < 0) FailInChild(report_fd, kStageSetup);
  }
  report_fd = high[3];
  for (int i = 0; i < 3; ++i) {
    if (dup2(high[i], i) < 0) FailInChild(report_fd, kStageSetup);
  }
  for (const ChildPlan::Limit& limit : plan.limits) {
    if (setrlimit(limit.resource, &limit.value) != 0) FailInChild(report_fd, kStageLimit);
  }
  if (!plan.cwd.empty() && chdir(plan.cwd.c_str()) != 0) FailInChild(report_fd, kStageChdir);
  MarkFdsCloseOnExecInChild(plan.max_fd);
  execve(plan.program.c_str(), plan.argv.data(), plan.envp.data());
  FailInChild(report_fd, kStageExec);
}

// --- Parent side. ---

// Blocks until the child has exec'd (the report pipe closes) or reported why it could not;
// in the latter case reaps it and returns the reason.
std::string AwaitExec(const Fd& report, pid_t pid, const ChildPlan& plan) {
  ChildFailure failure{};
  ssize_t n;
  do {
    n = read(report.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return "";
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof failure)) return "child failed before execve";
  switch (failure.stage) {
    case kStageLimit: return ErrnoText("setrlimit in child", failure.error);
    case kStageChdir:
      return ErrnoText("cannot enter working folder '" + plan.cwd + "'", failure.error);
    case kStageExec: return ErrnoText("cannot execute '" + plan.program + "'", failure.error);
    default: return ErrnoText("child setup", failure.error);
  }
}


void SetNonBlocking(const Fd& fd) {
  if (fd.valid()) fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
}

double ToSeconds(const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; }

// One started child: feeds stdin, drains stdout/stderr, enforces timeout and cancel, reaps.
class ChildSession {
 public:
  using Time = std::chrono::steady_clock::time_point;

  ChildSession(const ProcessSpec& spec, pid_t pid, Fd in, Fd out, Fd err, Time start)
      : spec_(spec), pid_(pid), in_(std::move(in)), out_(std::move(out)), err_(std::move(err)),
        out_text_(spec.max_output_bytes), err_text_(spec.max_output_bytes), start_(start) {
#if defined(__linux__) && defined(SYS_pidfd_open)
    pidfd_.Reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));  // readable on exit
#endif
    SetNonBlocking(in_);
    SetNonBlocking(out_);
    SetNonBlocking(err_);
    WriteStdin();
  }

  ProcessResult Wait() {
    while (!LeaderExited()) {
      CheckDeadlines();
      Pump(NextWakeUp());
    }
    // Whatever the child left in its group dies with it. The unreaped leader still holds the
    // group id, so it cannot have been reused.
    kill(-pid_, SIGKILL);
    in_.Reset();
    pidfd_.Reset();
    int status = 0;
    rusage usage{};
    pid_t reaped;
    do {
      reaped = wait4(pid_, &status, 0, &usage);
    } while (reaped < 0 && errno == EINTR);
    double wall = Elapsed();
    double drain_until = wall + kDrainSeconds;
    while ((out_.valid() || err_.valid()) && Elapsed() < drain_until) Pump(drain_until);
    return Finish(reaped == pid_, status, usage, wall);
  }

 private:
  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  bool LeaderExited() const {
    siginfo_t info{};
    while (waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      if (errno != EINTR) return true;  // ECHILD: someone else reaped it
    }
    return info.si_pid != 0;
  }

  void CheckDeadlines() {
    double now = Elapsed();
    if (stopping_) {
      if (!killed_ && now >= kill_at_) Kill(SIGKILL);
      return;
    }
    if (IsCancelled(spec_.cancel)) {
      cancelled_ = true;
    } else if (spec_.timeout_s > 0 && now >= spec_.timeout_s) {
      timed_out_ = true;
    } else {
      return;
    }
    stopping_ = true;
    kill_at_ = now + spec_.kill_grace_s;
    Kill(spec_.kill_grace_s > 0 ? SIGTERM : SIGKILL);
  }

  void Kill(int sig) {
    kill(-pid_, sig);
    if (sig == SIGKILL) killed_ = true;
  }

  // Absolute time (seconds since start) at which the loop must look at the clock again.
  double NextWakeUp() const {
    double next = Elapsed() + (pidfd_.valid() ? kPollTickSeconds : kNoPidfdTickSeconds);
    if (!stopping_ && spec_.timeout_s > 0) next = std::min(next, spec_.timeout_s);
    if (stopping_ && !killed_) next = std::min(next, kill_at_);
    return next;
  }

  // Waits for I/O until `wake_up` (seconds since start), then moves whatever is ready.
  void Pump(double wake_up) {
    pollfd fds[4];
    nfds_t count = 0;
    for (const Fd* fd : {&out_, &err_, &pidfd_}) {
      if (fd->valid()) fds[count++] = pollfd{fd->get(), POLLIN, 0};
    }
    if (in_.valid()) fds[count++] = pollfd{in_.get(), POLLOUT, 0};
    int timeout_ms = static_cast<int>(std::ceil(std::max(0.0, wake_up - Elapsed()) * 1000));
    if (poll(fds, count, timeout_ms) <= 0) return;  // timeout or EINTR: the caller re-checks
    ReadFrom(out_, out_text_);
    ReadFrom(err_, err_text_);
    WriteStdin();
  }

  void ReadFrom(Fd& fd, CappedOutput& sink) {
    char buffer[kChunk];
    for (int i = 0; i < 16 && fd.valid(); ++i) {  // bounded, so one stream cannot starve another
      ssize_t n = read(fd.get(), buffer, sizeof buffer);
      if (n > 0) {
        sink.Append(buffer, static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      } else {
        fd.Reset();  // EOF or error
      }
    }
  }

  void WriteStdin() {
    if (!in_.valid()) return;
    const std::string& data = spec_.stdin_data;
    while (stdin_offset_ < data.size()) {
      size_t size = std::min(data.size() - stdin_offset_, kChunk);
      ssize_t n = WriteWithoutSigpipe(in_.get(), data.data() + stdin_offset_, size);
      if (n > 0) {
        stdin_offset_ += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      } else {
        break;  // EPIPE: the child closed its stdin; the rest is dropped
      }
    }
    in_.Reset();
  }

  ProcessResult Finish(bool reaped, int status, const rusage& usage, double wall) const {
    ProcessResult result;
    result.started = true;
    if (reaped && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (reaped && WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
    result.timed_out = timed_out_;
    result.cancelled = cancelled_;
    result.stdout_text = out_text_.Finish();
    result.stderr_text = err_text_.Finish();
    result.stdout_truncated = out_text_.truncated();
    result.stderr_truncated = err_text_.truncated();
    result.wall_seconds = wall;
    result.user_cpu_seconds = ToSeconds(usage.ru_utime);
    result.sys_cpu_seconds = ToSeconds(usage.ru_stime);
    return result;
  }

  const ProcessSpec& spec_;
  pid_t pid_;
  Fd in_, out_, err_, pidfd_;
  size_t stdin_offset_ = 0;
  CappedOutput out_text_, err_text_;
  Time start_;
  bool stopping_ = false;  // SIGTERM (or SIGKILL) sent because of timeout or cancel
  bool killed_ = false;    // SIGKILL sent
  bool timed_out_ = false;
  bool cancelled_ = false;
  double kill_at_ = 0;
};

ProcessResult NotStarted(std::string error) {
  ProcessResult result;
  result.start_error = std::move(error);
  return result;
}

}  // namespace

ProcessRunner::~ProcessRunner() = default;

ProcessResult PosixProcessRunner::Run(const ProcessSpec& spec) {
  if (IsCancelled(spec.cancel)) {
    ProcessResult result = NotStarted("cancelled before start");
    result.cancelled = true;
    return result;
  }
  ChildPlan plan;
  if (Status status = BuildPlan(spec, &plan); !status.ok()) return NotStarted(status.message());
  Fd child_in, in, out, child_out, err, child_err, report, child_report;
  for (Status status : {MakePipe(&child_in, &in), MakePipe(&out, &child_out),
                        MakePipe(&err, &child_err), MakePipe(&report, &child_report)}) {
    if (!status.ok()) return NotStarted(status.message());
  }
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) return NotStarted(ErrnoText("fork", errno));
  if (pid == 0) {
    ExecChild(plan, {child_in.get(), child_out.get(), child_err.get(), child_report.get()});
  }
  child_in.Reset();
  child_out.Reset();
  child_err.Reset();
  child_report.Reset();
  if (std::string error = AwaitExec(report, pid, plan); !error.empty()) {
    return NotStarted(std::move(error));
  }
  ChildSession session(spec, pid, std::move(in), std::move(out), std::move(err), start);
  return session.Wait();
}

bool ProcessResult::Succeeded() const {
  return started && exit_code == 0 && !timed_out && !cancelled;
}

std::string ProcessResult::Describe() const {
  char line[64];
  if (!started) return cancelled ? "cancelled before start" : "failed to start: " + start_error;
  if (timed_out) {
    std::snprintf(line, sizeof line, "timed out after %.1f s", wall_seconds);
  } else if (cancelled) {
    std::snprintf(line, sizeof line, "cancelled after %.1f s", wall_seconds);
  } else if (term_signal != 0) {
    return "killed by signal " + std::to_string(term_signal) + " (" + SignalName(term_signal) + ")";
  } else {
    std::snprintf(line, sizeof line, "exited %d", exit_code);
  }
  return line;
}

std::string SignalName(int signal) {
  static const std::pair<int, const char*> kNames[] = {
      {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
      {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
      {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
      {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGXCPU, "SIGXCPU"},
      {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},
  };
  for (const auto& [number, name] : kNames) {
    if (number == signal) return name;
  }
  return "signal " + std::to_string(signal);
}

}  // namespace akg
