#include "llm/http_transport.h"

namespace akg {

const char* TransportErrorName(TransportError error) {
  switch (error) {
    case TransportError::kNone: return "none";
    case TransportError::kNetwork: return "network";
    case TransportError::kTimeout: return "timeout";
    case TransportError::kIdleTimeout: return "idle_timeout";
    case TransportError::kCancelled: return "cancelled";
    case TransportError::kAborted: return "aborted";
    case TransportError::kBadUrl: return "bad_url";
  }
  return "unknown";
}

}  // namespace akg
