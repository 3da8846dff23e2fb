// A configured model: which provider, where, which model, and how to call it. Built by the
// settings loader (settings.h) from .akg/settings.yaml, the user's config folder and
// AKG_<LEVEL>_* / OPENAI_API_KEY / ANTHROPIC_API_KEY environment variables.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace akg {

struct RetryPolicy {
  int max_retries = 4;            // retries after the first attempt
  double base_delay_s = 1.0;      // first back-off; doubles each retry
  double max_delay_s = 30.0;      // cap on one back-off (and on an honoured Retry-After)
  double jitter = 0.25;           // each delay is scaled by a random factor in [1-j, 1+j]
};

// The wait before retry number `retry` (1 = the first retry) for every provider: base_delay_s
// doubling per retry, capped at max_delay_s, scaled by `jitter_factor` (a draw from
// [1-jitter, 1+jitter]; 1 = none) and capped again.
inline double BackoffDelay(const RetryPolicy& p, int retry, double jitter_factor = 1.0) {
  double delay = p.base_delay_s;
  for (int i = 1; i < retry && delay < p.max_delay_s; ++i) delay *= 2;
  delay = delay < p.max_delay_s ? delay : p.max_delay_s;
  delay *= jitter_factor;
  return delay < p.max_delay_s ? delay : p.max_delay_s;
}

struct Timeouts {
  double connect_s = 10;    // TCP + TLS connect
  double total_s = 600;     // one attempt, start to end
  double idle_s = 60;       // no bytes on a streaming reply for this long
};

struct Price {                 // per million tokens, in the user's currency
  double input_per_mtok = 0;
  double output_per_mtok = 0;
};

struct ModelSpec {
  std::string name;            // settings key, e.g. "deepseek" (or "env:STANDARD")
  std::string provider;        // "openai" | "anthropic" | "command" | "builtin" | "replay"
  std::string base_url;        // openai: ".../v1"; anthropic: "https://api.anthropic.com"
  std::string api_key;         // secret: never logged, never in messages or transcripts
  std::string model;           // the API's model id
  std::optional<double> temperature;
  int max_tokens = 8192;
  bool stream = true;
  Json extra_body = Json::object();   // merged into the request body (e.g. top_p, reasoning)
  std::vector<std::string> command;   // command provider: argv
  std::string replay_path;            // replay provider: transcript file (transcript.jsonl)
  Timeouts timeouts;
  RetryPolicy retry;
  int concurrency = 8;         // calls in flight at once to this model
  std::optional<Price> price;
};

}  // namespace akg
