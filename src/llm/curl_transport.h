// The real HTTP transport: one libcurl easy handle per call, so calls on several threads need
// no locking. Timeouts map to CURLOPT_CONNECTTIMEOUT_MS / CURLOPT_TIMEOUT_MS; the idle timeout
// and Ctrl-C are checked in libcurl's progress callback, which runs at least once a second
// while a transfer is alive (so both act within about a second). Only http and https are
// allowed, redirects are not followed (a redirected API call is a wrong base_url), and the
// proxy variables (https_proxy, no_proxy) work as for curl.
#pragma once

#include "llm/http_transport.h"

namespace akg {

class CurlTransport final : public HttpTransport {
 public:
  CurlTransport();  // runs curl_global_init once per process
  HttpResponse Post(const HttpRequest& request, const HttpSink& sink) override;
};

}  // namespace akg
