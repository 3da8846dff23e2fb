// Incremental parser for Server-Sent Events (the streaming format of both chat APIs).
//
//   body chunks (any split, even inside a line or a CRLF) ──Feed──▶ [SseEvent]
//
// Follows the WHATWG event-stream rules that matter here: lines end in LF, CR or CRLF; a
// blank line dispatches the event; "data:" lines are joined with '\n'; one space after the
// colon is dropped; lines starting with ':' are comments (keep-alives); "id" and "retry" are
// ignored. An event with no data lines is not dispatched.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace akg {

struct SseEvent {
  std::string event;  // the "event:" field; "" = the default "message"
  std::string data;
};

class SseParser {
 public:
  // Parses a chunk and returns the events it completed, in order.
  std::vector<SseEvent> Feed(std::string_view chunk);
  // End of stream: a final event not followed by a blank line is dispatched too (some
  // servers close right after the last data line).
  std::vector<SseEvent> Finish();

 private:
  void ProcessLine(std::string_view line, std::vector<SseEvent>* out);

  std::string line_;           // the incomplete current line
  bool last_was_cr_ = false;   // a CR ended the last line; a following LF belongs to it
  std::string event_;
  std::string data_;
  bool has_data_ = false;
};

}  // namespace akg
