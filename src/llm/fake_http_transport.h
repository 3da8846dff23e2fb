// A scripted HttpTransport for tests: each Post takes the next scripted reply, records the
// request, and feeds the reply's body chunks to the sink one by one, so streaming code sees
// the same piecewise delivery as from a socket. Thread-safe.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "llm/http_transport.h"

namespace akg {

struct FakeHttpReply {
  int status = 200;
  std::map<std::string, std::string> headers;  // lower-case names
  // 2xx: fed to the sink in order. Other statuses: joined into HttpResponse::error_body.
  std::vector<std::string> chunks;
  // kNone: a complete response. Otherwise the transfer fails after the chunks were delivered
  // (a stream cut off midway); with no chunks and status 0, nothing arrived at all.
  TransportError error = TransportError::kNone;
  std::string error_message;
};

class FakeHttpTransport final : public HttpTransport {
 public:
  void Push(FakeHttpReply reply);
  // Shorthands: a complete 200 reply with one body, or an error status with a body.
  void PushBody(int status, std::string body, std::map<std::string, std::string> headers = {});

  HttpResponse Post(const HttpRequest& request, const HttpSink& sink) override;

  std::vector<HttpRequest> requests() const;  // every request seen, oldest first
  size_t pending() const;                     // scripted replies not yet used

 private:
  mutable std::mutex mutex_;
  std::deque<FakeHttpReply> script_;
  std::vector<HttpRequest> requests_;
};

}  // namespace akg
