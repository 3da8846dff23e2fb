// The helpers of http_provider.h that read HTTP errors and shape request bodies.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "llm/http_provider.h"

namespace akg {
namespace {

constexpr size_t kMaxDetail = 300;

// Collapses whitespace runs (newlines included) into single spaces and caps the length.
std::string OneLine(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > kMaxDetail) out = out.substr(0, kMaxDetail - 3) + "...";
  return out;
}

std::optional<double> ParseSeconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  while (end && *end != '\0' && std::isspace(static_cast<unsigned char>(*end))) ++end;
  if (end == text.c_str() || (end && *end != '\0') || !(value >= 0)) return std::nullopt;
  return value;
}

}  // namespace

LlmErrorKind ClassifyHttpStatus(int status, const std::string& body) {
  if (status >= 200 && status < 300) return LlmErrorKind::kNone;
  if (status == 401 || status == 403) return LlmErrorKind::kAuth;
  if (status == 408) return LlmErrorKind::kTimeout;
  if (status == 429) {
    // OpenAI answers an exhausted account with 429 too; waiting does not help.
    return body.find("insufficient_quota") != std::string::npos ? LlmErrorKind::kConfig
                                                                : LlmErrorKind::kRateLimited;
  }
  if (status >= 500) return LlmErrorKind::kServer;  // includes Anthropic's 529 overloaded
  return LlmErrorKind::kConfig;                     // 400, 404, 413, 422, ...
}

std::string ErrorDetailFromBody(const std::string& body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    if (j.contains("error")) {
      const Json& e = j["error"];
      if (e.is_string()) return OneLine(e.get<std::string>());
      std::string message = StringOr(e, "message", "");
      if (!message.empty()) return OneLine(message);
    }
    for (const char* key : {"message", "detail"}) {
      std::string message = StringOr(j, key, "");
      if (!message.empty()) return OneLine(message);
    }
  }
  return OneLine(body);
}

std::optional<double> RetryAfterSeconds(const std::map<std::string, std::string>& headers) {
  if (auto it = headers.find("retry-after-ms"); it != headers.end()) {
    if (auto ms = ParseSeconds(it->second)) return *ms / 1000.0;
  }
  if (auto it = headers.find("retry-after"); it != headers.end()) {
    return ParseSeconds(it->second);
  }
  return std::nullopt;
}

std::string Redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  const std::string kMask = "[redacted]";
  for (size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + kMask.size())) {
    text.replace(at, secret.size(), kMask);
  }
  return text;
}

std::string CleanBaseUrl(const std::string& base_url) {
  std::string url = base_url;
  size_t scheme = url.find("://");
  if (scheme != std::string::npos) {
    size_t host = scheme + 3;
    size_t path = url.find('/', host);
    size_t at = url.rfind('@', path == std::string::npos ? url.size() : path);
    if (at != std::string::npos && at >= host) url.erase(host, at + 1 - host);
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string DumpBody(const Json& body) {
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void MergeExtraBody(const ModelSpec& spec, Json* body) {
  if (spec.extra_body.is_object() && !spec.extra_body.empty()) body->merge_patch(spec.extra_body);
}

Status ValidateHttpSpec(const ModelSpec& spec, const std::string& provider_name) {
  auto bad = [&](const std::string& what) {
    return ConfigError(provider_name + " model '" + spec.name + "': " + what);
  };
  std::string url = CleanBaseUrl(spec.base_url);
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return bad("base_url '" + url + "' must start with http:// or https://; fix base_url in settings");
  }
  if (spec.model.empty()) return bad("no model id; set model in settings");
  if (spec.max_tokens <= 0) return bad("max_tokens must be positive; fix max_tokens in settings");
  if (spec.concurrency <= 0) return bad("concurrency must be at least 1; fix it in settings");
  if (spec.timeouts.connect_s < 0 || spec.timeouts.total_s < 0 || spec.timeouts.idle_s < 0) {
    return bad("timeouts must not be negative (0 = none); fix timeouts in settings");
  }
  if (spec.retry.max_retries < 0 || spec.retry.base_delay_s < 0 || spec.retry.max_delay_s < 0 ||
      spec.retry.jitter < 0 || spec.retry.jitter > 1) {
    return bad("retry needs max_retries, delays >= 0 and jitter in [0, 1]; fix retry in settings");
  }
  if (!spec.extra_body.is_object() && !spec.extra_body.is_null()) {
    return bad("extra_body must be a mapping; fix extra_body in settings");
  }
  return Status::Ok();
}

}  // namespace akg
