#include "verify/warm_harness.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <optional>
#include <thread>
#include <utility>

#include <fmt/format.h>

namespace akg {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kWaitTick = std::chrono::milliseconds(20);  // cancel flag and deadlines
constexpr double kReaderTickSeconds = 0.25;
constexpr double kServerStopGraceSeconds = 5;  // the server stops its children first
constexpr double kCancelSlackSeconds = 5;      // past the kill grace, for cancel answers

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of(" \n\r\t");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, end - start + 1);
}

Json LimitsJson(const ProcessLimits& limits) {
  return {{"cpu_seconds", limits.cpu_seconds},
          {"memory_bytes", limits.memory_bytes},
          {"open_files", limits.open_files},
          {"core_dumps", limits.core_dumps}};
}

Json RunLine(const WarmRun& run, int64_t id) {
  return {{"op", "run"},
          {"id", id},
          {"command", run.command},
          {"request", run.request_path.string()},
          {"result", run.result_path.string()},
          {"cwd", run.cwd.string()},
          {"env", run.env},
          {"timeout_s", run.timeout_s},
          {"kill_grace_s", run.kill_grace_s},
          {"limits", LimitsJson(run.limits)},
          {"max_output_bytes", run.max_output_bytes}};
}

bool BoolOr(const Json& j, const char* key, bool fallback) {
  return j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : fallback;
}

std::string Decoded(const Json& j, const char* key) {
  std::string out;
  if (!DecodeBase64(StringOr(j, key, ""), &out)) return "[undecodable output]";
  return out;
}

// The server's `result` line as the ProcessResult PosixProcessRunner would have built.
ProcessResult FromResultLine(const Json& j) {
  ProcessResult r;
  r.started = BoolOr(j, "started", false);
  r.start_error = StringOr(j, "start_error", "");
  r.exit_code = static_cast<int>(NumberOr(j, "exit_code", -1));
  r.term_signal = static_cast<int>(NumberOr(j, "term_signal", 0));
  r.timed_out = BoolOr(j, "timed_out", false);
  r.cancelled = BoolOr(j, "cancelled", false);
  r.stdout_text = Decoded(j, "stdout_b64");
  r.stderr_text = Decoded(j, "stderr_b64");
  r.stdout_truncated = BoolOr(j, "stdout_truncated", false);
  r.stderr_truncated = BoolOr(j, "stderr_truncated", false);
  r.wall_seconds = NumberOr(j, "wall_s", 0.0);
  r.user_cpu_seconds = NumberOr(j, "user_cpu_s", 0.0);
  r.sys_cpu_seconds = NumberOr(j, "sys_cpu_s", 0.0);
  return r;
}

// What a call reports when the server was lost under it: the child died with it.
ProcessResult ChildLost(const std::string& why, double wall, bool timed_out, bool cancelled) {
  ProcessResult r;
  r.started = true;
  r.term_signal = SIGKILL;
  r.timed_out = timed_out;
  r.cancelled = cancelled;
  r.wall_seconds = wall;
  r.stderr_text = "akg_harness warm server: " + why + "\n";
  return r;
}

ProcessResult CancelledBeforeStart() {
  ProcessResult r;
  r.start_error = "cancelled before start";
  r.cancelled = true;
  return r;
}

}  // namespace

// One server process. The reader thread owns ReadLine; everything else is under mu.
class WarmHarness::Session {
 public:
  struct Pending {
    int child_pid = 0;
    std::optional<Json> result;
  };

  explicit Session(std::unique_ptr<ServerProcess> process)
      : process_(std::move(process)), reader_([this] { ReadLoop(); }) {}

  ~Session() {
    process_->Stop(kServerStopGraceSeconds);
    quit_ = true;
    reader_.join();
  }

  ServerProcess& process() { return *process_; }

  // Waits for the ready line; an error names why the server did not come up.
  Status AwaitReady(double timeout_s, const std::atomic<bool>& abort) {
    auto start = Clock::now();
    std::unique_lock<std::mutex> lock(mu);
    while (!ready && !dead) {
      // A start serves every later run, so one run's cancel does not abandon it; the agent's
      // own interrupt (the root token) or the owner closing does.
      if (IsCancelled(nullptr) || abort) return Status::Error(ErrorKind::kCancelled, "interrupted");
      if (Since(start) > timeout_s) {
        return InternalError(fmt::format("no ready line within {:.0f} s", timeout_s));
      }
      cv.wait_for(lock, kWaitTick);
    }
    if (ready) return Status::Ok();
    return InternalError(failure);
  }

  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  bool dead = false;
  std::string failure;   // why the server is dead
  Json ready_line;
  std::map<int64_t, Pending> pending;

 private:
  void ReadLoop() {
    while (!quit_) {
      auto line = process_->ReadLine(kReaderTickSeconds);
      if (!line.ok()) break;  // EOF: the server exited or died
      if (line->has_value()) Handle(**line);
    }
    std::string ending = process_->Stop(2.0);
    std::string last = LastLine(process_->StderrTail());
    std::lock_guard<std::mutex> lock(mu);
    if (failure.empty()) failure = "the server " + ending + (last.empty() ? "" : ": " + last);
    dead = true;
    cv.notify_all();
  }

  void Handle(const std::string& text) {
    auto parsed = ParseJson(text, "warm server line");
    if (!parsed.ok() || !parsed->is_object()) return;  // children cannot reach this channel
    const Json& j = *parsed;
    std::string event = StringOr(j, "event", "");
    std::lock_guard<std::mutex> lock(mu);
    if (event == "ready") {
      ready = true;
      ready_line = j;
    } else if (event == "failed") {
      failure = StringOr(j, "message", "the server failed to warm up");
    } else if (event == "started" || event == "result") {
      if (!j.contains("id") || !j["id"].is_number_integer()) return;
      auto it = pending.find(j["id"].get<int64_t>());
      if (it == pending.end()) return;  // a call that gave up waiting
      if (event == "started") it->second.child_pid = static_cast<int>(NumberOr(j, "pid", 0));
      if (event == "result") it->second.result = j;
    }
    cv.notify_all();
  }

  std::unique_ptr<ServerProcess> process_;
  std::atomic<bool> quit_{false};
  std::thread reader_;
};

namespace {

// How one attempt on one server ended.
struct Attempt {
  bool server_died = false;  // retry on a fresh server
  std::string why;
  ProcessResult result;
};

Attempt RunOnSession(WarmHarness::Session& s, const WarmRun& run, int64_t id,
                     double hung_margin_s) {
  auto start = Clock::now();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.dead) return {true, s.failure, {}};
    s.pending[id] = {};
  }
  Status sent = s.process().SendLine(RunLine(run, id).dump());
  std::unique_lock<std::mutex> lock(s.mu);
  if (!sent.ok() && !s.dead) {
    s.pending.erase(id);
    return {true, sent.message(), {}};
  }
  double hung_after = run.timeout_s > 0 ? run.timeout_s + run.kill_grace_s + hung_margin_s : 0;
  std::optional<double> cancel_deadline;
  while (true) {
    WarmHarness::Session::Pending& p = s.pending[id];
    if (p.result) {
      Attempt done{false, "", FromResultLine(*p.result)};
      s.pending.erase(id);
      return done;
    }
    int child = p.child_pid;
    if (s.dead) {
      s.pending.erase(id);
      lock.unlock();
      SignalProcessGroup(child, SIGKILL);  // its leader died with the server; not the rest
      return {true, s.failure, {}};
    }
    double elapsed = Since(start);
    if (!cancel_deadline && IsCancelled(run.cancel)) {
      // The server stops this call's child (SIGTERM, grace, SIGKILL) and answers `cancelled`;
      // it stays up, warm, for other calls and the next run.
      cancel_deadline = elapsed + run.kill_grace_s + kCancelSlackSeconds;
      lock.unlock();
      Status cancel_sent = s.process().SendLine(Json{{"op", "cancel"}, {"id", id}}.dump());
      lock.lock();
      (void)cancel_sent;  // a server that cannot take it is dead: the loop sees that next
      continue;
    }
    bool hung = (hung_after > 0 && elapsed > hung_after) ||
                (cancel_deadline && elapsed > *cancel_deadline);
    if (hung) {
      s.pending.erase(id);
      lock.unlock();
      SignalProcessGroup(child, SIGKILL);
      s.process().Stop(0);
      return {false, "",
              ChildLost("the server stopped answering; it was killed with the call's child",
                        elapsed, !cancel_deadline, cancel_deadline.has_value())};
    }
    s.cv.wait_for(lock, kWaitTick);
  }
}

}  // namespace

WarmHarness::WarmHarness(ServerLauncher* launcher, WarmHarnessOptions options)
    : launcher_(launcher), options_(std::move(options)) {}

WarmHarness::~WarmHarness() { Shutdown(); }

Status WarmHarness::Start() {
  auto session = CurrentSession();
  if (session.ok()) return Status::Ok();
  return Status::Error(session.status().kind(),
                       "the warm harness server did not start: " + session.status().message());
}

void WarmHarness::AbortStart() { abort_start_ = true; }

void WarmHarness::Shutdown() {
  std::shared_ptr<Session> session;
  {
    std::lock_guard<std::mutex> lock(mu_);
    session = std::move(current_);
  }
  // Destroyed here unless a call still holds it; then that call destroys it when it returns.
}

Result<std::shared_ptr<WarmHarness::Session>> WarmHarness::CurrentSession() {
  std::lock_guard<std::mutex> start_lock(start_mu_);  // callers during a start wait for it
  std::shared_ptr<Session> stale;  // destroyed after mu_ is released
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_) {
      std::lock_guard<std::mutex> session_lock(current_->mu);
      if (!current_->dead) return current_;
    }
    stale = std::move(current_);
  }
  auto process = launcher_->Start(options_.server);
  if (!process.ok()) return process.status();
  auto session = std::make_shared<Session>(std::move(process).value());
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++servers_started_;
  }
  if (Status ready = session->AwaitReady(options_.start_timeout_s, abort_start_); !ready.ok()) {
    session->process().Stop(0);  // no children before the ready line: nothing to wait for
    return ready;
  }
  std::lock_guard<std::mutex> lock(mu_);
  current_ = session;
  return session;
}

void WarmHarness::Retire(const std::shared_ptr<Session>& session) {
  std::lock_guard<std::mutex> lock(mu_);
  if (current_ == session) current_.reset();  // the caller still holds it: no stop under mu_
}

Result<ProcessResult> WarmHarness::Run(const WarmRun& run) {
  auto start = Clock::now();
  std::string why;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (IsCancelled(run.cancel)) return CancelledBeforeStart();
    auto session = CurrentSession();
    if (!session.ok()) {
      if (IsCancelled(run.cancel)) return CancelledBeforeStart();
      return Status::Error(session.status().kind(),
                           "the warm harness server did not start: " + session.status().message());
    }
    int64_t id;
    {
      std::lock_guard<std::mutex> lock(mu_);
      id = ++next_id_;
    }
    Attempt outcome = RunOnSession(**session, run, id, options_.hung_margin_s);
    bool dead;
    {
      std::lock_guard<std::mutex> lock((*session)->mu);
      dead = (*session)->dead;
    }
    if (dead || outcome.server_died) Retire(*session);
    if (!outcome.server_died) return outcome.result;
    why = outcome.why;
  }
  return ChildLost("the server died twice while running this call (" + why +
                       "); the candidate may have killed it",
                   Since(start), false, false);
}

Json WarmHarness::ServerInfo() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!current_) return nullptr;
  std::lock_guard<std::mutex> session_lock(current_->mu);
  return current_->ready_line;
}

int WarmHarness::servers_started() {
  std::lock_guard<std::mutex> lock(mu_);
  return servers_started_;
}

bool DecodeBase64(const std::string& text, std::string* out) {
  out->clear();
  out->reserve(text.size() / 4 * 3);
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=') break;
    else return false;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out->push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return true;
}

}  // namespace akg
