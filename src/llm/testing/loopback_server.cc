#include "llm/testing/loopback_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace akg {
namespace {

constexpr size_t kMaxHead = size_t{64} << 10;
constexpr size_t kMaxBody = size_t{64} << 20;
constexpr int kPollMs = 20;  // how often blocked threads look at the stop flag

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Parses the request line and headers of `head` (everything before the blank line).
bool ParseHead(std::string_view head, LoopbackRequest* request) {
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.find(' ', sp1 == std::string_view::npos ? sp1 : sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) return false;
  request->method = std::string(line.substr(0, sp1));
  request->target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  while (eol != std::string_view::npos) {
    size_t start = eol + 2;
    eol = head.find("\r\n", start);
    std::string_view header = head.substr(start, eol == std::string_view::npos ? eol : eol - start);
    size_t colon = header.find(':');
    if (colon == std::string_view::npos) continue;
    request->headers[Lower(Trim(header.substr(0, colon)))] = Trim(header.substr(colon + 1));
  }
  return true;
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string Head(const LoopbackResponse& response) {
  std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " +
                     Reason(response.status) + "\r\n";
  for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
  if (response.chunks.empty()) {
    head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  }
  return head + "Connection: close\r\n\r\n";
}

}  // namespace

std::string SseData(const std::string& payload) { return "data: " + payload + "\n\n"; }

LoopbackResponse SseResponse(const std::vector<std::string>& payloads, double delay_s) {
  LoopbackResponse response;
  response.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}};
  response.chunks.reserve(payloads.size());
  for (const auto& payload : payloads) response.chunks.push_back({delay_s, SseData(payload)});
  return response;
}

Result<std::unique_ptr<LoopbackServer>> LoopbackServer::Start(Handler handler) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return InternalError(std::string("loopback server: socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      ::listen(fd, SOMAXCONN) != 0) {
    std::string error = std::strerror(errno);
    ::close(fd);
    return InternalError("loopback server: bind/listen on 127.0.0.1: " + error);
  }
  std::unique_ptr<LoopbackServer> server(
      new LoopbackServer(std::move(handler), fd, ntohs(addr.sin_port)));
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

LoopbackServer::LoopbackServer(Handler handler, int listen_fd, int port)
    : handler_(std::move(handler)), listen_fd_(listen_fd), port_(port) {}

LoopbackServer::~LoopbackServer() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (acceptor_.joinable()) acceptor_.join();
  // The acceptor has ended, so workers_ no longer grows.
  for (auto& worker : workers_) worker.join();
  ::close(listen_fd_);
}

std::string LoopbackServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<LoopbackRequest> LoopbackServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

void LoopbackServer::ResetStats() {
  std::lock_guard<std::mutex> lock(mutex_);
  requests_.clear();
  max_in_flight_ = in_flight_.load();
}

void LoopbackServer::AcceptLoop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    int now = ++in_flight_;
    int seen = max_in_flight_.load();
    while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
    }
    std::lock_guard<std::mutex> lock(mutex_);
    workers_.emplace_back([this, fd] {
      Serve(fd);
      ::close(fd);
      --in_flight_;
    });
  }
}

void LoopbackServer::Serve(int fd) {
  std::string data;
  size_t head_end = std::string::npos;
  size_t want = std::string::npos;  // head + body bytes, once the head is known
  LoopbackRequest request;
  char buffer[16384];
  while (want == std::string::npos || data.size() < want) {
    if (stop_) return;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return;  // the client hung up before sending a whole request
    data.append(buffer, static_cast<size_t>(n));
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end == std::string::npos) {
        if (data.size() > kMaxHead) return;
        continue;
      }
      if (!ParseHead(std::string_view(data).substr(0, head_end), &request)) return;
      auto length = request.headers.find("content-length");
      size_t body = length == request.headers.end()
                        ? 0 : std::strtoull(length->second.c_str(), nullptr, 10);
      if (body > kMaxBody) return;
      want = head_end + 4 + body;
      auto expect = request.headers.find("expect");
      if (expect != request.headers.end() && Lower(expect->second) == "100-continue" &&
          !SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) {
        return;
      }
    }
  }
  request.body = data.substr(head_end + 4, want - head_end - 4);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(request);
  }
  LoopbackResponse response = handler_(request);
  if (!SendAll(fd, Head(response))) return;
  if (response.chunks.empty()) {
    SendAll(fd, response.body);
    return;
  }
  for (const auto& chunk : response.chunks) {
    if (!Pause(chunk.delay_s) || !SendAll(fd, chunk.bytes)) return;
  }
}

bool LoopbackServer::SendAll(int fd, const std::string& bytes) const {
  size_t sent = 0;
  while (sent < bytes.size()) {
    if (stop_) return false;
    // Polled, so that a client that stops reading cannot hold up the destructor.
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return false;  // the client hung up
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool LoopbackServer::Pause(double seconds) {
  if (seconds <= 0) return !stop_;
  std::unique_lock<std::mutex> lock(stop_mutex_);
  return !stop_cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] {
    return stop_.load();
  });
}

}  // namespace akg
