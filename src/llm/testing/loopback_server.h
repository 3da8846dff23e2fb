// A real HTTP/1.1 server on 127.0.0.1 for tests and benchmarks of the HTTP providers: it
// plays an LLM API over real sockets, so libcurl, the SSE parser and the dialects run exactly
// as against a remote server.
//
//   client ──TCP──▶ acceptor thread ──▶ one thread per connection:
//       read request ──▶ LoopbackRequest (recorded) ──handler──▶ LoopbackResponse ──▶ bytes
//
// Each connection carries one request and is closed after the reply (`Connection: close`);
// the HTTP providers open one connection per call anyway. A response is either a whole body
// (sent with Content-Length) or a stream: the head, then each chunk after its delay, then the
// close that ends the stream. A client that hangs up mid-stream ends its connection's thread.
// The listen backlog and the thread per connection serve hundreds of connections at once; the
// server counts how many were open at the same moment (max_in_flight), which tells a caller
// whether its calls really overlapped.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"

namespace akg {

struct LoopbackRequest {
  std::string method;                          // "POST"
  std::string target;                          // "/v1/chat/completions"
  std::map<std::string, std::string> headers;  // names lower-cased; last value wins
  std::string body;                            // Content-Length bytes (no chunked bodies)
};

// One piece of a streamed reply, written verbatim after waiting `delay_s`.
struct LoopbackChunk {
  double delay_s = 0;
  std::string bytes;  // e.g. "data: {...}\n\n" (see SseData)
};

struct LoopbackResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // sent as given, in order
  std::string body;                     // used when `chunks` is empty
  std::vector<LoopbackChunk> chunks;    // non-empty = a stream without Content-Length
};

// "data: <payload>\n\n": one Server-Sent Event.
std::string SseData(const std::string& payload);

// A streamed response with Content-Type: text/event-stream, one event per payload, each sent
// `delay_s` after the previous one.
LoopbackResponse SseResponse(const std::vector<std::string>& payloads, double delay_s);

class LoopbackServer {
 public:
  // Called on the connection's thread, possibly on many threads at once.
  using Handler = std::function<LoopbackResponse(const LoopbackRequest&)>;

  // Binds an ephemeral port on 127.0.0.1 and starts accepting. Fails (kInternal) when the
  // socket cannot be created, bound or listened on.
  static Result<std::unique_ptr<LoopbackServer>> Start(Handler handler);

  // Stops accepting, cuts short the delays of streams in progress (their connections are
  // closed early) and joins every thread.
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string Url(const std::string& path) const;

  // Every request read so far, in arrival order (a copy).
  std::vector<LoopbackRequest> requests() const;
  // Connections accepted so far.
  int connections() const { return connections_.load(); }
  // The most connections open at one moment since Start or the last ResetStats.
  int max_in_flight() const { return max_in_flight_.load(); }
  // Forgets the recorded requests and sets max_in_flight to the connections open now.
  void ResetStats();

 private:
  LoopbackServer(Handler handler, int listen_fd, int port);
  void AcceptLoop();
  void Serve(int fd);
  bool SendAll(int fd, const std::string& bytes) const;
  // Waits `seconds`; false when the server is stopping.
  bool Pause(double seconds);

  const Handler handler_;
  const int listen_fd_;
  const int port_;
  std::atomic<bool> stop_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  std::atomic<int> connections_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
  mutable std::mutex mutex_;  // guards requests_ and workers_
  std::vector<LoopbackRequest> requests_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

}  // namespace akg
