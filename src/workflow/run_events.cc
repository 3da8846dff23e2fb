#include "workflow/run_events.h"

#include <memory>

#include <fmt/format.h>

namespace akg {

const char* RunEventKindName(RunEvent::Kind kind) {
  switch (kind) {
    case RunEvent::Kind::kPhase: return "phase";
    case RunEvent::Kind::kDesign: return "design";
    case RunEvent::Kind::kAttempt: return "attempt";
    case RunEvent::Kind::kVerdict: return "verdict";
    case RunEvent::Kind::kTiming: return "timing";
    case RunEvent::Kind::kTokens: return "tokens";
    case RunEvent::Kind::kNote: return "note";
    case RunEvent::Kind::kStatus: return "status";
  }
  return "note";
}

std::string FormatRunEvent(const RunEvent& e) {
  if (e.kind == RunEvent::Kind::kStatus) return e.text;
  if (e.kind == RunEvent::Kind::kDesign) return "\n" + e.text;
  std::string tag = e.attempt > 0 ? fmt::format("attempt {}/{}", e.attempt, e.of) : e.phase;
  return "[" + tag + "] " + e.text;
}

Json RunEventJson(const RunEvent& e) {
  Json j = {{"kind", RunEventKindName(e.kind)}, {"text", e.text}};
  if (!e.phase.empty()) j["phase"] = e.phase;
  if (e.attempt > 0) {
    j["attempt"] = e.attempt;
    j["of"] = e.of;
  }
  if (!e.candidate.empty()) j["candidate"] = e.candidate;
  if (!e.verdict.empty()) j["verdict"] = e.verdict;
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (e.seconds >= 0) j["seconds"] = e.seconds;
  if (e.speedup > 0) j["speedup_vs_eager"] = e.speedup;
  if (e.kind == RunEvent::Kind::kTokens) {
    j["tokens"] = e.tokens;
    j["cost"] = e.cost;
  }
  return j;
}

RunEvent PhaseEvent(std::string phase, std::string text) {
  RunEvent e;
  e.kind = RunEvent::Kind::kPhase;
  e.phase = std::move(phase);
  e.text = std::move(text);
  return e;
}

RunEvent NoteEvent(std::string phase, std::string text) {
  RunEvent e = PhaseEvent(std::move(phase), std::move(text));
  e.kind = RunEvent::Kind::kNote;
  return e;
}

std::function<void(const std::string&)> StreamTail(RunEventSink sink, std::string phase,
                                                   std::string lead, size_t width) {
  auto tail = std::make_shared<std::string>();
  return [sink = std::move(sink), phase = std::move(phase), lead = std::move(lead), width,
          tail](const std::string& text) {
    *tail += text;
    if (tail->size() > width) tail->erase(0, tail->size() - width);
    std::string shown = *tail;
    for (char& c : shown) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    RunEvent e = NoteEvent(phase, lead + ": ..." + shown);
    e.kind = RunEvent::Kind::kStatus;
    sink(e);
  };
}

}  // namespace akg
