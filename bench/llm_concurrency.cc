// The LLM client's own cost with many streaming calls in flight: the real OpenAI client
// (MakeOpenAiClient: libcurl, SSE parser, dialect, retries, concurrency slots) against the
// loopback server (src/llm/testing/loopback_server.h) speaking the OpenAI streaming dialect.
//
//   parent (measured: the client alone) ──HTTP on 127.0.0.1──▶ forked child (the server)
//        └── control pipe: reset / stats (max connections in flight, server CPU) ──┘
//
// Each reply is `--chunks` content events `--delay-ms` apart, then a finish_reason event, a
// usage event and [DONE]; its text is derived from the request's user message, so every reply
// is checked exactly (text, finish reason, usage, one delta per chunk, one attempt). For 1, 16
// and 64 calls at once (one thread each) it prints wall time, calls/s, chunks/s, and the
// client's peak RSS over its RSS before the calls (the peak is reset first through
// /proc/self/clear_refs), the malloc heap in use at its sampled peak, and its CPU time
// (getrusage), per call. A control row, run first, has as many threads only sleep, to show
// what the threads themselves cost. Finally it times the SSE parser and the dialect alone on
// one reply's bytes.
//
//   ninja -C BUILD akg_llm_bench && BUILD/akg_llm_bench [--chunks 300] [--delay-ms 10]
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "llm/openai_provider.h"
#include "llm/sse_parser.h"
#include "llm/testing/loopback_server.h"

namespace {

using akg::Json;

struct Options {
  int chunks = 300;       // content events per reply
  double delay_ms = 10;   // between events
  std::vector<int> calls = {1, 16, 64};
};

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct CpuTimes {
  double user_s = 0, sys_s = 0;
  double total() const { return user_s + sys_s; }
  CpuTimes operator-(const CpuTimes& o) const { return {user_s - o.user_s, sys_s - o.sys_s}; }
};

CpuTimes ProcessCpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return {s(u.ru_utime), s(u.ru_stime)};
}

double ProcessCpuSeconds() { return ProcessCpu().total(); }

double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

// ---- the reply: what the server sends and what the client must get back -----------------

std::string Piece(const std::string& message, int k) {
  return message + "#" + std::to_string(k) + " ";
}

std::string ExpectedText(const std::string& message, int chunks) {
  std::string text;
  for (int k = 0; k < chunks; ++k) text += Piece(message, k);
  return text;
}

// The OpenAI stream for one user message: content events, finish, usage, [DONE].
std::vector<std::string> StreamPayloads(const std::string& message, int chunks) {
  std::vector<std::string> payloads;
  for (int k = 0; k < chunks; ++k) {
    Json delta = {{"content", Piece(message, k)}};
    if (k == 0) delta["role"] = "assistant";
    Json event = {{"id", "cmpl-1"}, {"object", "chat.completion.chunk"}, {"model", "loopback"},
                  {"choices", Json::array({{{"index", 0}, {"delta", delta}}})}};
    payloads.push_back(event.dump());
  }
  payloads.push_back(Json({{"model", "loopback"},
                           {"choices", Json::array({{{"index", 0},
                                                     {"delta", Json::object()},
                                                     {"finish_reason", "stop"}}})}})
                         .dump());
  payloads.push_back(Json({{"model", "loopback"},
                           {"choices", Json::array()},
                           {"usage", {{"prompt_tokens", message.size()},
                                      {"completion_tokens", chunks},
                                      {"total_tokens", message.size() + chunks}}}})
                         .dump());
  payloads.push_back("[DONE]");
  return payloads;
}

akg::LoopbackResponse Answer(const akg::LoopbackRequest& request, const Options& options) {
  auto body = akg::ParseJson(request.body, "request body");
  if (!body.ok() || !body->contains("messages") || !(*body)["messages"].is_array() ||
      (*body)["messages"].empty()) {
    akg::LoopbackResponse bad;
    bad.status = 400;
    bad.body = R"({"error":{"message":"no messages"}})";
    return bad;
  }
  std::string message = akg::StringOr((*body)["messages"].back(), "content", "");
  return akg::SseResponse(StreamPayloads(message, options.chunks), options.delay_ms / 1e3);
}

// ---- the server in a child process, so that the parent's RSS and CPU are the client's ----

struct ServerStats {
  int max_in_flight = 0;
  int requests = 0;
  double cpu_s = 0;  // the server process's CPU time since the last reset
};

class ServerProcess {
 public:
  // Forks the server; call before the parent starts any thread.
  bool Spawn(const Options& options) {
    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0) return false;
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      close(to_child[1]);
      close(to_parent[0]);
      _exit(ChildMain(options, fdopen(to_child[0], "r"), fdopen(to_parent[1], "w")));
    }
    close(to_child[0]);
    close(to_parent[1]);
    out_ = fdopen(to_child[1], "w");
    in_ = fdopen(to_parent[0], "r");
    return std::sscanf(ReadLine().c_str(), "port %d", &port_) == 1;
  }
  std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  void Reset() {
    std::fputs("reset\n", out_);
    std::fflush(out_);
    ReadLine();  // "ok"
  }
  ServerStats Stats() {
    std::fputs("stats\n", out_);
    std::fflush(out_);
    ServerStats s;
    (void)std::sscanf(ReadLine().c_str(), "%d %d %lf", &s.max_in_flight, &s.requests, &s.cpu_s);
    return s;
  }
  ~ServerProcess() {
    if (out_) std::fclose(out_);  // EOF ends the child
    if (in_) std::fclose(in_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }

 private:
  static int ChildMain(const Options& options, FILE* in, FILE* out) {
    auto server = akg::LoopbackServer::Start(
        [&options](const akg::LoopbackRequest& r) { return Answer(r, options); });
    if (!server.ok()) {
      std::fprintf(stderr, "%s\n", server.status().message().c_str());
      return 1;
    }
    std::fprintf(out, "port %d\n", (*server)->port());
    std::fflush(out);
    double cpu_at_reset = ProcessCpuSeconds();
    char command[16];
    // Line by line: a scanf format ending in whitespace would wait for the next command.
    while (std::fgets(command, sizeof command, in) != nullptr) {
      if (std::strcmp(command, "reset\n") == 0) {
        (*server)->ResetStats();
        cpu_at_reset = ProcessCpuSeconds();
        std::fputs("ok\n", out);
      } else {
        std::fprintf(out, "%d %zu %.6f\n", (*server)->max_in_flight(),
                     (*server)->requests().size(), ProcessCpuSeconds() - cpu_at_reset);
      }
      std::fflush(out);
    }
    return 0;
  }

  std::string ReadLine() {
    char line[128] = "";
    return std::fgets(line, sizeof line, in_) ? line : "";
  }

  pid_t pid_ = -1;
  int port_ = 0;
  FILE* out_ = nullptr;
  FILE* in_ = nullptr;
};

// ---- memory -------------------------------------------------------------------------------

long StatusKib(const char* key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key, 0) == 0 && line[std::strlen(key)] == ':') {
      return std::strtol(line.c_str() + std::strlen(key) + 1, nullptr, 10);
    }
  }
  return -1;
}

// Sets VmHWM back to the current RSS (Linux 4.0+); false where the kernel refuses.
bool ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  // Both from one read. The kernel's RSS counters are per-CPU and approximate, so right after
  // a reset VmHWM may sit some pages above VmRSS; the phase's growth is taken from VmRSS (the
  // larger, conservative difference).
  std::ifstream status("/proc/self/status");
  std::string line;
  long hwm = -1, rss = -1;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::strtol(line.c_str() + 6, nullptr, 10);
    if (line.rfind("VmRSS:", 0) == 0) rss = std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return clear.good() && hwm >= 0 && hwm <= rss + 1024;
}

// What malloc has handed out and not had back, in all arenas (mmapped blocks included).
double HeapInUseKib() {
  struct mallinfo2 m = mallinfo2();
  return static_cast<double>(m.uordblks + m.hblkhd) / 1024;
}

// ---- one phase: `calls` calls at once ----------------------------------------------------

struct Phase {
  std::string name;
  int calls = 0;
  double wall_s = 0;
  double max_call_s = 0;
  int failures = 0;
  long rss_before_kib = 0;
  long hwm_after_kib = 0;
  double heap_before_kib = 0;  // malloc'd bytes in use (all arenas), before the calls
  double heap_peak_kib = 0;    // the most seen while the calls ran (sampled every 100 ms)
  bool hwm_reset = false;
  CpuTimes cpu;
  ServerStats server;
};

// Runs one call and checks the reply exactly; returns "" or what was wrong.
std::string CallAndCheck(akg::LlmClient& client, const std::string& message, int chunks,
                         double* seconds) {
  akg::LlmRequest request;
  request.agent = "bench";
  request.messages = {{"system", "You are a loopback."}, {"user", message}};
  int deltas = 0;
  request.on_delta = [&deltas](const std::string&) { ++deltas; };
  auto reply = client.Complete(request);
  if (!reply.ok()) return reply.status().message();
  *seconds = reply->seconds;
  if (reply->text != ExpectedText(message, chunks)) return "wrong text";
  if (reply->finish_reason != "stop") return "finish_reason " + reply->finish_reason;
  if (reply->usage.input_tokens != static_cast<int64_t>(message.size()) ||
      reply->usage.output_tokens != chunks) {
    return "wrong usage";
  }
  if (deltas != chunks) return "deltas " + std::to_string(deltas);
  if (reply->attempts != 1) return "attempts " + std::to_string(reply->attempts);
  return "";
}

// `work(i)` on `n` threads at once, measured.
template <typename Work>
Phase Measure(const std::string& name, int n, ServerProcess& server, Work work) {
  Phase p;
  p.name = name;
  p.calls = n;
  server.Reset();
  p.hwm_reset = ResetPeakRss();
  p.rss_before_kib = StatusKib("VmRSS");
  CpuTimes cpu0 = ProcessCpu();
  double t0 = Now();
  std::vector<double> seconds(n, 0);
  std::atomic<int> failures{0};
  std::atomic<int> done{0};
  p.heap_before_kib = p.heap_peak_kib = HeapInUseKib();
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      std::string problem = work(i, &seconds[i]);
      if (!problem.empty()) {
        ++failures;
        std::fprintf(stderr, "%s call %d: %s\n", name.c_str(), i, problem.c_str());
      }
      ++done;
    });
  }
  while (done < n) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    p.heap_peak_kib = std::max(p.heap_peak_kib, HeapInUseKib());
  }
  for (auto& t : threads) t.join();
  p.wall_s = Now() - t0;
  p.cpu = ProcessCpu() - cpu0;
  p.hwm_after_kib = StatusKib("VmHWM");
  p.failures = failures;
  p.max_call_s = *std::max_element(seconds.begin(), seconds.end());
  p.server = server.Stats();
  return p;
}

void PrintTable(const std::vector<Phase>& phases, int chunks) {
  std::printf("\n| run | calls at once | wall s | slowest call s | calls/s | chunks/s "
              "| server max in flight | client RSS before MiB | client peak MiB "
              "| peak - before per call KiB | heap in use per call KiB "
              "| client CPU s (user + sys) | CPU ms per call "
              "| CPU %% of wall (1 core) | server CPU s | failures |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& p : phases) {
    bool control = p.server.requests == 0;
    std::printf("| %s | %d | %.3f | %.3f | %.2f | %.0f | %d | %.1f | %.1f%s | %.0f | %.1f "
                "| %.3f (%.3f + %.3f) | %.2f | %.2f | %.3f | %d |\n",
                p.name.c_str(), p.calls, p.wall_s, p.max_call_s,
                control ? 0.0 : p.calls / p.wall_s,
                control ? 0.0 : static_cast<double>(p.calls) * chunks / p.wall_s,
                p.server.max_in_flight, p.rss_before_kib / 1024.0, p.hwm_after_kib / 1024.0,
                p.hwm_reset ? "" : " (not reset)",
                static_cast<double>(p.hwm_after_kib - p.rss_before_kib) / p.calls,
                (p.heap_peak_kib - p.heap_before_kib) / p.calls,
                p.cpu.total(), p.cpu.user_s, p.cpu.sys_s, 1e3 * p.cpu.total() / p.calls,
                100 * p.cpu.total() / p.wall_s, p.server.cpu_s, p.failures);
  }
}

// CPU time of the SSE parser + OpenAI dialect alone for one reply's bytes, fed one event per
// read as the network delivers them; microseconds per event.
double ParseMicrosPerEvent(int chunks) {
  std::vector<std::string> wire;
  for (const auto& payload : StreamPayloads("call-parse-0", chunks)) {
    wire.push_back(akg::SseData(payload));
  }
  auto dialect = akg::NewOpenAiDialect();
  constexpr int kRepeats = 50;
  size_t text_bytes = 0;
  double t0 = ThreadCpuSeconds();
  for (int r = 0; r < kRepeats; ++r) {
    akg::SseParser parser;
    akg::ReplyParts parts;
    for (const auto& bytes : wire) {
      for (const auto& event : parser.Feed(bytes)) {
        if (event.data == "[DONE]") continue;
        (void)dialect->OnEvent(event, &parts, [](const std::string&) {});
      }
    }
    text_bytes += parts.text.size();
  }
  double elapsed = ThreadCpuSeconds() - t0;
  if (text_bytes == 0) std::fprintf(stderr, "parse check failed\n");
  return 1e6 * elapsed / (kRepeats * static_cast<double>(wire.size()));
}

// The control phase, then one streaming phase per entry of options.calls.
std::vector<Phase> RunPhases(akg::LlmClient& client, ServerProcess& server,
                             const Options& options, int most) {
  std::vector<Phase> phases;
  // Control first, while no other thread has run yet: as many threads, alive as long as a
  // call, doing nothing.
  double call_s = options.chunks * options.delay_ms / 1e3;
  phases.push_back(Measure("idle threads (control)", most, server, [&](int, double* seconds) {
    std::this_thread::sleep_for(std::chrono::duration<double>(call_s));
    *seconds = call_s;
    return std::string();
  }));
  for (int n : options.calls) {
    phases.push_back(Measure("streaming", n, server, [&, n](int i, double* seconds) {
      std::string message = "call-" + std::to_string(n) + "-" + std::to_string(i);
      return CallAndCheck(client, message, options.chunks, seconds);
    }));
  }
  return phases;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"LLM client concurrency benchmark against a loopback OpenAI-style server"};
  app.add_option("--chunks", options.chunks, "content events per reply")
      ->check(CLI::PositiveNumber);
  app.add_option("--delay-ms", options.delay_ms, "milliseconds between events")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--calls", options.calls, "calls at once, one phase each");
  CLI11_PARSE(app, argc, argv);
  int most = *std::max_element(options.calls.begin(), options.calls.end());

  ServerProcess server;  // forked before this process starts any thread
  if (!server.Spawn(options)) {
    std::fprintf(stderr, "cannot start the loopback server process\n");
    return 1;
  }
  akg::ModelSpec spec;
  spec.name = "loopback";
  spec.provider = "openai";
  spec.base_url = server.BaseUrl();
  spec.model = "loopback-model";
  spec.concurrency = most;
  auto client = akg::MakeOpenAiClient(spec);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().message().c_str());
    return 1;
  }
  std::printf("%d chunks per reply, %.1f ms apart; client pid %d; concurrency %d\n",
              options.chunks, options.delay_ms, getpid(), spec.concurrency);
  double ignored = 0;
  std::string warm = CallAndCheck(**client, "warm-up", options.chunks, &ignored);
  if (!warm.empty()) {
    std::fprintf(stderr, "warm-up call failed: %s\n", warm.c_str());
    return 1;
  }
  std::vector<Phase> phases = RunPhases(**client, server, options, most);
  int failures = 0;
  for (const auto& p : phases) failures += p.failures;
  PrintTable(phases, options.chunks);
  std::printf("\nSSE parser + OpenAI dialect alone: %.2f us CPU per event (%d events a reply)\n",
              ParseMicrosPerEvent(options.chunks), options.chunks + 3);
  std::printf("%s\n", failures == 0 ? "all replies verified" : "FAILURES (see stderr)");
  return failures == 0 ? 0 : 1;
}
