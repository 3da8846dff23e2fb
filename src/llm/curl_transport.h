// The real HTTP transport: one libcurl easy handle per call, so calls on several threads need
// no locking of their own; the handles of one transport share a libcurl share object (DNS
// cache, TLS sessions and the connection cache, locked per kind), so consecutive calls to one
// provider reuse a kept-alive connection and a TLS session instead of a new handshake each. Timeouts map to CURLOPT_CONNECTTIMEOUT_MS / CURLOPT_TIMEOUT_MS; the idle timeout
// and Ctrl-C are checked in libcurl's progress callback, which runs at least once a second
// while a transfer is alive (so both act within about a second). Only http and https are
// allowed, redirects are not followed (a redirected API call is a wrong base_url), and the
// proxy variables (https_proxy, no_proxy) work as for curl.
#pragma once

#include <memory>

#include "llm/http_transport.h"

namespace akg {

class CurlTransport final : public HttpTransport {
 public:
  CurlTransport();  // runs curl_global_init once per process
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;
  HttpResponse Post(const HttpRequest& request, const HttpSink& sink) override;

 private:
  struct Share;
  std::unique_ptr<Share> share_;
};

}  // namespace akg
