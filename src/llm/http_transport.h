// HTTP behind a seam, so that the LLM providers are tested without sockets.
//
//   provider ──HttpRequest──▶ HttpTransport::Post ──body chunks──▶ sink (SSE parser, buffer)
//                                                 ──▶ HttpResponse (status, headers, error)
//
// CurlTransport (curl_transport.h) is the real one: libcurl, connect/total/idle timeouts,
// HttpRequest::cancel (the run's token, or Ctrl-C) aborts a transfer in flight. FakeHttpTransport
// (fake_http_transport.h) records requests and answers from a script. A transport only moves
// bytes; what an HTTP status or a body means is the provider's business (http_provider.h).
#pragma once

#include "env/cancel.h"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llm/model_spec.h"

namespace akg {

struct HttpRequest {
  std::string url;                                          // http:// or https:// only
  std::vector<std::pair<std::string, std::string>> headers; // name, value (may hold secrets)
  std::string body;                                         // sent as a POST body
  Timeouts timeouts;                                        // connect, total, idle
  const CancelToken* cancel = nullptr;  // aborts the transfer (null = the root: env/cancel.h)
};

// How a transfer ended when it did not end with a complete HTTP response.
enum class TransportError {
  kNone,         // a response arrived (any HTTP status)
  kNetwork,      // DNS, connect refused, reset, TLS handshake, connection closed early
  kTimeout,      // connect or total timeout
  kIdleTimeout,  // no bytes for Timeouts::idle_s
  kCancelled,    // HttpRequest::cancel was cancelled during the transfer
  kAborted,      // the sink returned false
  kBadUrl,       // malformed URL, unsupported scheme, certificate rejected: retrying won't help
};

struct HttpResponse {
  TransportError error = TransportError::kNone;
  std::string error_message;                  // one line, e.g. curl's text; "" when kNone
  int status = 0;                             // HTTP status; 0 when no status line arrived
  std::map<std::string, std::string> headers; // names lower-cased; last value wins
  // The body of a non-2xx response (capped at 64 KiB), for error messages. A 2xx body goes
  // to the sink and is not kept here.
  std::string error_body;
};

// Receives 2xx body bytes as they arrive, on the thread that called Post. Returning false
// aborts the transfer (the response then has error kAborted).
using HttpSink = std::function<bool(std::string_view chunk)>;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // One POST. Never throws; safe to call from several threads at once.
  virtual HttpResponse Post(const HttpRequest& request, const HttpSink& sink) = 0;
};

const char* TransportErrorName(TransportError error);

}  // namespace akg
