// The `command` provider: any local program serves as the model.
//
//   request JSON {"agent", "model", "messages": [{"role", "content"}], "temperature",
//                 "max_tokens"} ──stdin──▶ program ──stdout──▶ reply
//
// The reply is either plain text (the whole of stdout), or a JSON object with "text" (or
// "content") and optionally "finish_reason" and "usage": {"input_tokens", "output_tokens"},
// or an OpenAI-shaped {"choices": [{"message": {"content"}}], "usage": {...}}. A non-zero
// exit, a timeout (timeouts.total_s) or an empty reply is retried per the retry policy.
// The program is the user's own tool, so it gets the agent's environment (unlike kernels).
#pragma once

#include <memory>

#include "env/clock.h"
#include "env/process_runner.h"
#include "llm/llm.h"
#include "llm/model_spec.h"

namespace akg {

std::unique_ptr<LlmClient> MakeCommandClient(const ModelSpec& spec, ProcessRunner* runner,
                                             Clock* clock);

// Parses the program's stdout as described above (exposed for tests).
LlmReply ParseCommandReply(const std::string& stdout_text);

}  // namespace akg
