#include "llm/llm.h"

namespace akg {

const char* LlmErrorKindName(LlmErrorKind kind) {
  switch (kind) {
    case LlmErrorKind::kNone: return "none";
    case LlmErrorKind::kAuth: return "auth";
    case LlmErrorKind::kConfig: return "config";
    case LlmErrorKind::kRateLimited: return "rate_limited";
    case LlmErrorKind::kServer: return "server";
    case LlmErrorKind::kNetwork: return "network";
    case LlmErrorKind::kTimeout: return "timeout";
    case LlmErrorKind::kMalformed: return "malformed";
    case LlmErrorKind::kEmpty: return "empty";
    case LlmErrorKind::kTruncated: return "truncated";
    case LlmErrorKind::kRefused: return "refused";
    case LlmErrorKind::kBudget: return "budget";
    case LlmErrorKind::kCancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace akg
