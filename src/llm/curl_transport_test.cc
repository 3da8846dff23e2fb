// The real transport against a small HTTP server on 127.0.0.1 run by the test itself:
// streaming, error bodies, timeouts, aborts, cancellation, and an OpenAI client end to end.
#include "llm/curl_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>

#include "env/process_runner.h"
#include "llm/openai_provider.h"

namespace akg {
namespace {

void Send(int fd, const std::string& text) {
  size_t sent = 0;
  while (sent < text.size()) {
    ssize_t n = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// Waits until the peer closes the connection (or `seconds` pass): a stalled server.
void WaitForClose(int fd, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  char buffer[256];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0 && ::recv(fd, buffer, sizeof buffer, 0) <= 0) return;
  }
}

// Serves each connection on its own thread with `handler(fd, request text)`.
class TinyServer {
 public:
  using Handler = std::function<void(int fd, const std::string& request)>;
  explicit TinyServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(listen_fd_, 8);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~TinyServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : workers_) t.join();
    ::close(listen_fd_);
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string last_request() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_request_;
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      workers_.emplace_back([this, fd] {
        std::string request = ReadRequest(fd);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          last_request_ = request;
        }
        handler_(fd, request);
        ::close(fd);
      });
    }
  }
  static std::string ReadRequest(int fd) {
    std::string text;
    char buffer[4096];
    size_t want = std::string::npos;
    while (want == std::string::npos || text.size() < want) {
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      text.append(buffer, static_cast<size_t>(n));
      size_t end = text.find("\r\n\r\n");
      if (want == std::string::npos && end != std::string::npos) {
        size_t at = text.find("Content-Length: ");
        size_t length = at == std::string::npos ? 0 : std::strtoul(text.c_str() + at + 16, nullptr, 10);
        want = end + 4 + length;
      }
    }
    return text;
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::string last_request_;
};

const char* kSseHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Reply: hi\r\n\r\n";

HttpRequest Request(const std::string& url, Timeouts timeouts = {}) {
  HttpRequest r;
  r.url = url;
  r.headers = {{"Content-Type", "application/json"}, {"X-Test", "yes"}};
  r.body = "{\"hello\":\"world\"}";
  r.timeouts = timeouts;
  return r;
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(CurlTransportTest, PostsHeadersAndBodyAndStreamsTheReplyInPieces) {
  TinyServer server([](int fd, const std::string&) {
    Send(fd, kSseHead);
    Send(fd, "data: a\n\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Send(fd, "data: b\n\n");
  });
  std::vector<std::string> pieces;
  HttpResponse r = CurlTransport().Post(Request(server.Url("/v1/x")), [&](std::string_view c) {
    pieces.emplace_back(c);
    return true;
  });
  EXPECT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["x-reply"], "hi");
  std::string all;
  for (const auto& p : pieces) all += p;
  EXPECT_EQ(all, "data: a\n\ndata: b\n\n");
  EXPECT_GE(pieces.size(), 2u);
  std::string request = server.last_request();
  EXPECT_EQ(request.rfind("POST /v1/x HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("X-Test: yes\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\n\r\n{\"hello\":\"world\"}"), std::string::npos);
  EXPECT_EQ(request.find("Expect:"), std::string::npos);
}

// Reads one more request from a kept-alive connection; "" when the client closes it (or 5 s
// pass).
std::string ReadNextRequest(int fd) {
  std::string text;
  char buffer[4096];
  size_t want = std::string::npos;
  while (want == std::string::npos || text.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return "";
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return "";
    text.append(buffer, static_cast<size_t>(n));
    size_t end = text.find("\r\n\r\n");
    if (want == std::string::npos && end != std::string::npos) {
      size_t at = text.find("Content-Length: ");
      size_t length = at == std::string::npos ? 0 : std::strtoul(text.c_str() + at + 16, nullptr, 10);
      want = end + 4 + length;
    }
  }
  return text;
}

TEST(CurlTransportTest, ConsecutiveCallsReuseOneKeptAliveConnection) {
  std::atomic<int> connections{0}, requests{0};
  TinyServer server([&](int fd, const std::string& first) {
    connections++;
    for (std::string request = first; !request.empty(); request = ReadNextRequest(fd)) {
      requests++;
      Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    }
  });
  {
    CurlTransport transport;
    for (int i = 0; i < 3; ++i) {
      std::string body;
      HttpResponse r = transport.Post(Request(server.Url("/v1/x")), [&](std::string_view c) {
        body += c;
        return true;
      });
      ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
      EXPECT_EQ(body, "{}");
    }
  }  // the transport (and its connection cache) goes before the server
  EXPECT_EQ(requests.load(), 3);
  EXPECT_EQ(connections.load(), 1) << "each call opened its own connection";
}

TEST(CurlTransportTest, ErrorStatusKeepsTheBodyAndHeadersAndSkipsTheSink) {
  TinyServer server([](int fd, const std::string&) {
    std::string body = "{\"error\":{\"message\":\"slow down\"}}";
    Send(fd, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  bool sink_called = false;
  HttpResponse r = CurlTransport().Post(Request(server.Url("/")), [&](std::string_view) {
    sink_called = true;
    return true;
  });
  EXPECT_EQ(r.error, TransportError::kNone);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers["retry-after"], "3");
  EXPECT_EQ(r.error_body, "{\"error\":{\"message\":\"slow down\"}}");
  EXPECT_FALSE(sink_called);
}

TEST(CurlTransportTest, SilentStreamEndsWithIdleTimeout) {
  TinyServer server([](int fd, const std::string&) {
    Send(fd, kSseHead);
    Send(fd, "data: a\n\n");
    WaitForClose(fd, 5);
  });
  Timeouts t;
  t.idle_s = 0.3;
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = CurlTransport().Post(Request(server.Url("/"), t), [](std::string_view) {
    return true;
  });
  EXPECT_EQ(r.error, TransportError::kIdleTimeout) << r.error_message;
  EXPECT_LT(Since(start), 2.0);
}

TEST(CurlTransportTest, DripFeedingServerHitsTheTotalTimeout) {
  TinyServer server([](int fd, const std::string&) {
    Send(fd, kSseHead);
    for (int i = 0; i < 100; ++i) {
      Send(fd, ": keep-alive\n\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) return;  // the client hung up
    }
  });
  Timeouts t;
  t.total_s = 0.4;
  t.idle_s = 5;
  HttpResponse r = CurlTransport().Post(Request(server.Url("/"), t), [](std::string_view) {
    return true;
  });
  EXPECT_EQ(r.error, TransportError::kTimeout) << r.error_message;
}

TEST(CurlTransportTest, RefusedConnectionIsANetworkError) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // nothing listens on this port now
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  HttpResponse r = CurlTransport().Post(Request(url), [](std::string_view) { return true; });
  EXPECT_EQ(r.error, TransportError::kNetwork);
  EXPECT_FALSE(r.error_message.empty());
  EXPECT_EQ(r.error_message.find('\n'), std::string::npos);
}

TEST(CurlTransportTest, ConnectionClosedBeforeTheWholeBodyIsANetworkError) {
  TinyServer server([](int fd, const std::string&) {
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part");
  });
  HttpResponse r = CurlTransport().Post(Request(server.Url("/")), [](std::string_view) {
    return true;
  });
  EXPECT_EQ(r.error, TransportError::kNetwork) << r.error_message;
  EXPECT_EQ(r.status, 200);
}

TEST(CurlTransportTest, SinkReturningFalseAbortsTheTransfer) {
  TinyServer server([](int fd, const std::string&) {
    Send(fd, kSseHead);
    Send(fd, "data: a\n\n");
    WaitForClose(fd, 5);
  });
  HttpResponse r = CurlTransport().Post(Request(server.Url("/")), [](std::string_view) {
    return false;
  });
  EXPECT_EQ(r.error, TransportError::kAborted);
}

TEST(CurlTransportTest, OnlyHttpAndHttpsAreAllowed) {
  HttpResponse r = CurlTransport().Post(Request("file:///etc/passwd"), [](std::string_view) {
    return true;
  });
  EXPECT_EQ(r.error, TransportError::kBadUrl) << r.error_message;
}

TEST(CurlTransportTest, CancelAbortsATransferInFlight) {
  TinyServer server([](int fd, const std::string&) {
    Send(fd, kSseHead);
    WaitForClose(fd, 5);
  });
  CancelToken run_token;
  std::thread canceller([&run_token] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    run_token.Cancel();
  });
  auto start = std::chrono::steady_clock::now();
  HttpRequest request = Request(server.Url("/"));
  request.cancel = &run_token;
  HttpResponse r = CurlTransport().Post(request, [](std::string_view) { return true; });
  canceller.join();
  EXPECT_EQ(r.error, TransportError::kCancelled);
  EXPECT_LT(Since(start), 2.0);
}

TEST(CurlTransportTest, OpenAiClientCompletesOverRealHttp) {
  TinyServer server([](int fd, const std::string&) {
    Send(fd, kSseHead);
    Send(fd, "data: {\"model\":\"local\",\"choices\":[{\"delta\":{\"content\":\"hel\"}}]}\n\n");
    Send(fd, "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n");
    Send(fd, "data: [DONE]\n\n");
  });
  ModelSpec spec;
  spec.name = "local";
  spec.base_url = server.Url("/v1");
  spec.api_key = "sk-local";
  spec.model = "local-model";
  auto client = MakeOpenAiClient(spec);
  ASSERT_TRUE(client.ok()) << client.status().message();
  LlmRequest request;
  request.messages = {{"user", "hi"}};
  auto reply = (*client)->Complete(request);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->text, "hello");
  EXPECT_EQ(reply->model, "local");
  std::string sent = server.last_request();
  EXPECT_EQ(sent.rfind("POST /v1/chat/completions HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(sent.find("Authorization: Bearer sk-local\r\n"), std::string::npos);
}

}  // namespace
}  // namespace akg
