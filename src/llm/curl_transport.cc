#include "llm/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>

#include "env/process_runner.h"

namespace akg {
namespace {

constexpr size_t kMaxErrorBody = size_t{64} << 10;

double SteadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// State shared with the libcurl callbacks of one transfer.
struct Transfer {
  CURL* curl = nullptr;
  const HttpSink* sink = nullptr;
  HttpResponse* response = nullptr;
  double idle_s = 0;
  double last_byte_at = 0;
  bool sink_aborted = false;
  bool idle_expired = false;
  bool cancelled = false;
  const CancelToken* cancel = nullptr;
};

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  t->last_byte_at = SteadySeconds();
  // A new status line (after "100 Continue" or a proxy CONNECT) starts a new header block.
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  std::string name = Trim(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  t->response->headers[name] = Trim(line.substr(colon + 1));
  return line.size();
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  t->last_byte_at = SteadySeconds();
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) {
    if (!(*t->sink)(std::string_view(data, n))) {
      t->sink_aborted = true;
      return CURL_WRITEFUNC_ERROR;
    }
    return n;
  }
  std::string& body = t->response->error_body;
  body.append(data, std::min(n, kMaxErrorBody - std::min(kMaxErrorBody, body.size())));
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (IsCancelled(t->cancel)) {
    t->cancelled = true;
    return 1;
  }
  if (t->idle_s > 0 && SteadySeconds() - t->last_byte_at > t->idle_s) {
    t->idle_expired = true;
    return 1;
  }
  return 0;
}

TransportError Classify(CURLcode code, const Transfer& t) {
  switch (code) {
    case CURLE_OK:
      return TransportError::kNone;
    case CURLE_ABORTED_BY_CALLBACK:
      return t.cancelled ? TransportError::kCancelled : TransportError::kIdleTimeout;
    case CURLE_WRITE_ERROR:
      return t.sink_aborted ? TransportError::kAborted : TransportError::kNetwork;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::kTimeout;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return TransportError::kBadUrl;
    default:
      return TransportError::kNetwork;
  }
}

std::string ErrorText(CURLcode code, const Transfer& t, const char* detail, double idle_s) {
  if (t.cancelled) return "cancelled";
  if (t.idle_expired) return "no data for " + std::to_string(static_cast<int>(idle_s)) + " s";
  std::string text = curl_easy_strerror(code);
  if (detail[0] != '\0') text += std::string(" (") + detail + ")";
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

long Millis(double seconds) { return seconds > 0 ? static_cast<long>(seconds * 1000) : 0; }

}  // namespace

// One libcurl share object per transport, with a mutex for each kind of shared data.
struct CurlTransport::Share {
  CURLSH* handle = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];

  Share() {
    handle = curl_share_init();
    if (!handle) return;
    curl_share_setopt(handle, CURLSHOPT_LOCKFUNC, &Share::Lock);
    curl_share_setopt(handle, CURLSHOPT_UNLOCKFUNC, &Share::Unlock);
    curl_share_setopt(handle, CURLSHOPT_USERDATA, this);
    curl_share_setopt(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(handle, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  }
  ~Share() {
    if (handle) curl_share_cleanup(handle);
  }
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<Share*>(self)->locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<Share*>(self)->locks[data].unlock();
  }
};

CurlTransport::CurlTransport() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  share_ = std::make_unique<Share>();
}

CurlTransport::~CurlTransport() = default;

HttpResponse CurlTransport::Post(const HttpRequest& request, const HttpSink& sink) {
  HttpResponse response;
  if (IsCancelled(request.cancel)) {
    response.error = TransportError::kCancelled;
    response.error_message = "cancelled";
    return response;
  }
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    response.error = TransportError::kNetwork;
    response.error_message = "curl_easy_init failed";
    return response;
  }
  curl_slist* raw_headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    raw_headers = curl_slist_append(raw_headers, (name + ": " + value).c_str());
  }
  raw_headers = curl_slist_append(raw_headers, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(raw_headers, curl_slist_free_all);

  Transfer t;
  t.curl = curl.get();
  t.sink = &sink;
  t.response = &response;
  t.idle_s = request.timeouts.idle_s;
  t.cancel = request.cancel;
  t.last_byte_at = SteadySeconds();
  char detail[CURL_ERROR_SIZE] = "";

  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  if (share_->handle) curl_easy_setopt(c, CURLOPT_SHARE, share_->handle);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, Millis(request.timeouts.connect_s));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, Millis(request.timeouts.total_s));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);

  CURLcode code = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  response.error = Classify(code, t);
  if (response.error != TransportError::kNone) {
    response.error_message = ErrorText(code, t, detail, request.timeouts.idle_s);
  }
  return response;
}

}  // namespace akg
