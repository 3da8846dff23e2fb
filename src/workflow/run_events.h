// What a run tells its front end while it works: typed events, not text lines. The workflows
// emit them through WorkflowContext::emit; `op` prints FormatRunEvent's line for each, the
// interactive session keeps one compact status line per phase, and `--json` front ends can
// write RunEventJson's object.
//
//   kPhase    a phase begins (task, design, profile, a search's settings line)
//   kDesign   the KernelDesigner's sketch (text = the sketch)
//   kAttempt  a candidate was generated (attempt/of, or candidate id in a search)
//   kVerdict  a candidate's verdict (verdict, reason, seconds; text = the one-line message)
//   kTiming   a profile's outcome (speedup vs eager, seconds)
//   kTokens   LLM tokens and cost so far (tokens, cost)
//   kNote     anything else worth a line
//   kStatus   a search's live status line (a terminal rewrites it in place)
#pragma once

#include <functional>
#include <string>

#include "core/json.h"

namespace akg {

struct RunEvent {
  enum class Kind { kPhase, kDesign, kAttempt, kVerdict, kTiming, kTokens, kNote, kStatus };
  Kind kind = Kind::kNote;
  std::string phase;       // "task", "design", "attempt", "verify", "static", "kernelgen",
                           // "profile", "evolve", "adaptive_search"
  int attempt = 0, of = 0; // the default workflow's attempt and max_steps (0 = none)
  std::string candidate;   // searches: the candidate id
  std::string verdict;     // kVerdict: VerdictName
  std::string reason;      // kVerdict: the reason code, may be ""
  double seconds = -1;     // kVerdict, kTiming: wall seconds (-1 = not known)
  double speedup = 0;      // kTiming: vs eager (0 = not measured)
  long long tokens = 0;    // kTokens
  double cost = 0;         // kTokens
  std::string text;        // the human part of the line
};

using RunEventSink = std::function<void(const RunEvent&)>;

// The line `op` prints: "[phase] text", "[attempt 2/5] text", "[evolve] c003 (...) text".
std::string FormatRunEvent(const RunEvent& event);
// Every field that is set, with "kind" as a name ("phase", "verdict", ...).
Json RunEventJson(const RunEvent& event);
const char* RunEventKindName(RunEvent::Kind kind);

// A sink for streamed model text that emits the last `width` characters (one line, newlines
// as spaces) as a kStatus event "<lead>: ...tail", for a live tail on a terminal.
std::function<void(const std::string&)> StreamTail(RunEventSink sink, std::string phase,
                                                   std::string lead, size_t width = 72);

// Shorthands for the common events.
RunEvent PhaseEvent(std::string phase, std::string text);
RunEvent NoteEvent(std::string phase, std::string text);

}  // namespace akg
