// Reading what the user types in the interactive session, one entry at a time.
//
//   LineReader::Read(prompt) ──▶ ReadResult {kLine | kPaste | kInterrupted | kEof, text}
//
// LibeditReader is the real one: libedit (BSD licence, Debian's libedit-dev) for line
// editing, with a persistent history file. libedit has no bracketed-paste support, so the
// reader does it itself beneath libedit (its own character source, EL_GETCFN): it asks the
// terminal for bracketed paste (ESC[?2004h) and collects everything between ESC[200~ and
// ESC[201~ as one paste; where a terminal does not bracket, lines that arrive together (more
// input already waiting when a line ends) are taken as one paste too. Ctrl-C at the prompt
// discards the line (kInterrupted) and the session goes on; Ctrl-D on an empty line is kEof.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "env/cancel.h"

namespace akg {

struct ReadResult {
  enum class Kind { kLine, kPaste, kInterrupted, kEof };
  Kind kind = Kind::kEof;
  std::string text;  // the line (no '\n'), or the whole paste (lines joined by '\n')
};

class LineReader {
 public:
  virtual ~LineReader() = default;
  virtual ReadResult Read(const std::string& prompt) = 0;
  // Adds an entry to the history (saved when the reader closes).
  virtual void Remember(const std::string& entry) = 0;
};

// stdin/stdout must be a terminal. `history_file` ("" = no history) is loaded now and saved on
// destruction; its folder is created. While Read waits, Ctrl-C (the interrupt target, see
// env/cancel.h) is pointed at the reader's own token, and back at the root afterwards.
std::unique_ptr<LineReader> MakeLibeditReader(const std::filesystem::path& history_file);

}  // namespace akg
