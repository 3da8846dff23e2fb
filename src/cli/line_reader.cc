#include "cli/line_reader.h"

#include <histedit.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <cwchar>
#include <deque>
#include <system_error>

namespace akg {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPasteOn = "\x1b[?2004h";
constexpr const char* kPasteOff = "\x1b[?2004l";
constexpr const char* kPasteStart = "\x1b[200~";
constexpr const char* kPasteEnd = "\x1b[201~";
constexpr int kTickMs = 50;         // how often a waiting read looks at Ctrl-C
constexpr int kSequenceGapMs = 30;  // the rest of an escape sequence arrives within this
constexpr int kPasteGapMs = 30;     // unbracketed paste: lines closer together than this

bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  while (true) {
    int n = poll(&p, 1, timeout_ms);
    if (n >= 0) return n > 0 && (p.revents & (POLLIN | POLLHUP)) != 0;
    if (errno != EINTR) return false;
  }
}

class LibeditReader final : public LineReader {
 public:
  explicit LibeditReader(fs::path history_file) : history_file_(std::move(history_file)) {
    have_tty_ = tcgetattr(STDIN_FILENO, &saved_) == 0;
    Quiet();
    el_ = el_init("akg_cli", stdin, stdout, stderr);
    hist_ = history_init();
    HistEvent ev;
    history(hist_, &ev, H_SETSIZE, 1000);
    history(hist_, &ev, H_SETUNIQUE, 1);
    if (!history_file_.empty()) {
      std::error_code ec;
      fs::create_directories(history_file_.parent_path(), ec);
      history(hist_, &ev, H_LOAD, history_file_.c_str());
    }
    el_set(el_, EL_EDITOR, "emacs");
    el_set(el_, EL_HIST, history, hist_);
    el_set(el_, EL_CLIENTDATA, this);
    el_set(el_, EL_PROMPT, &LibeditReader::Prompt);
    el_set(el_, EL_GETCFN, &LibeditReader::GetChar);
    el_source(el_, nullptr);  // ~/.editrc, as every libedit program reads
    WriteOut(kPasteOn);
  }

  ~LibeditReader() override {
    WriteOut(kPasteOff);
    HistEvent ev;
    if (!history_file_.empty()) history(hist_, &ev, H_SAVE, history_file_.c_str());
    el_end(el_);
    history_end(hist_);
    if (have_tty_) tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_);
  }

  ReadResult Read(const std::string& prompt) override {
    prompt_ = prompt;
    paste_.clear();
    pasted_ = false;
    token_.Reset();
    SetInterruptTarget(&token_);
    int count = 0;
    const char* line = el_gets(el_, &count);
    std::string text = line != nullptr ? std::string(line, count) : "";
    Quiet();
    SetInterruptTarget(nullptr);
    if (token_.cancelled()) {
      WriteOut("^C\n");
      return {ReadResult::Kind::kInterrupted, ""};
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (pasted_) return {ReadResult::Kind::kPaste, text + paste_};
    if (line == nullptr) return {ReadResult::Kind::kEof, ""};
    std::string rest = PendingLines();
    if (!rest.empty()) return {ReadResult::Kind::kPaste, text + "\n" + rest};
    return {ReadResult::Kind::kLine, text};
  }

  void Remember(const std::string& entry) override {
    HistEvent ev;
    if (!entry.empty()) history(hist_, &ev, H_ENTER, entry.c_str());
  }

 private:
  static char* Prompt(EditLine* el) {
    LibeditReader* self = Self(el);
    return self->prompt_.data();
  }

  static LibeditReader* Self(EditLine* el) {
    void* data = nullptr;
    el_get(el, EL_CLIENTDATA, &data);
    return static_cast<LibeditReader*>(data);
  }

  // libedit's character source: 1 with a character, 0 at end of input, -1 on Ctrl-C.
  static int GetChar(EditLine* el, wchar_t* out) { return Self(el)->NextChar(out); }

  int NextChar(wchar_t* out) {
    std::mbstate_t state{};
    while (true) {
      int byte = NextByte();
      if (byte < 0) return byte == -2 ? 0 : -1;
      if (byte == 0x04) {
        // Ctrl-D on an empty line leaves. libedit's own binding does so only on its first
        // line: after a line has been entered it beeps instead, so the reader decides.
        const LineInfo* line = el_line(el_);
        if (line->buffer == line->lastchar) return 0;
      }
      if (byte == 0x1b && pending_.empty() && TakeBracketedPaste()) {
        *out = L'\n';  // ends the line; Read hands back the paste
        return 1;
      }
      char c = static_cast<char>(byte);
      size_t n = std::mbrtowc(out, &c, 1, &state);
      if (n == static_cast<size_t>(-2)) continue;  // a multi-byte character goes on
      if (n == static_cast<size_t>(-1)) {
        state = std::mbstate_t{};
        *out = static_cast<unsigned char>(c);
      }
      return 1;
    }
  }

  // A byte from the queue or the terminal; -1 Ctrl-C, -2 end of input.
  int NextByte() {
    if (!pending_.empty()) {
      int b = pending_.front();
      pending_.pop_front();
      return b;
    }
    while (!Readable(STDIN_FILENO, kTickMs)) {
      if (token_.cancelled()) return -1;
    }
    if (token_.cancelled()) return -1;
    unsigned char b;
    ssize_t n;
    do {
      n = read(STDIN_FILENO, &b, 1);
    } while (n < 0 && errno == EINTR && !token_.cancelled());
    if (n < 0 && token_.cancelled()) return -1;
    return n == 1 ? b : -2;
  }

  // After an ESC: true when it opened a bracketed paste, which is then read to its end into
  // paste_. Otherwise the bytes read after the ESC are queued for libedit (arrow keys...).
  bool TakeBracketedPaste() {
    std::string seen = "\x1b";
    const std::string start = kPasteStart;
    while (seen.size() < start.size() && start.compare(0, seen.size(), seen) == 0 &&
           Readable(STDIN_FILENO, kSequenceGapMs)) {
      unsigned char b;
      if (read(STDIN_FILENO, &b, 1) != 1) break;
      seen += static_cast<char>(b);
    }
    if (seen != start) {  // the caller hands libedit the ESC; the rest follows it
      pending_.insert(pending_.end(), seen.begin() + 1, seen.end());
      return false;
    }
    const std::string end = kPasteEnd;
    std::string body;
    while (true) {
      unsigned char b;
      if (!Readable(STDIN_FILENO, 5000) || read(STDIN_FILENO, &b, 1) != 1) break;
      body += static_cast<char>(b);
      if (body.size() >= end.size() && body.compare(body.size() - end.size(), end.size(), end) == 0) {
        body.resize(body.size() - end.size());
        break;
      }
    }
    for (char& c : body) {
      if (c == '\r') c = '\n';
    }
    paste_ = body;
    pasted_ = true;
    int lines = 1;
    for (char c : body) lines += c == '\n';
    WriteOut("[pasted " + std::to_string(lines) + " lines]");
    return true;
  }

  // Unbracketed paste: whatever is already waiting (lines closer together than a typist).
  std::string PendingLines() {
    std::string rest(pending_.begin(), pending_.end());
    pending_.clear();
    while (Readable(STDIN_FILENO, kPasteGapMs)) {
      char buf[4096];
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) break;
      rest.append(buf, n);
    }
    for (char& c : rest) {
      if (c == '\r') c = '\n';
    }
    while (!rest.empty() && rest.back() == '\n') rest.pop_back();
    return rest;
  }

  // Between reads (during a run) the terminal stays non-canonical and silent, as libedit keeps
  // it while it reads: keys typed meanwhile wait as plain bytes. In canonical mode a Ctrl-D
  // typed as the next prompt appears became the line discipline's end-of-file and was lost
  // when libedit switched modes; Ctrl-C still raises SIGINT (ISIG stays on).
  void Quiet() {
    if (!have_tty_) return;
    termios t = saved_;
    t.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
  }

  void WriteOut(const std::string& text) {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  }

  fs::path history_file_;
  EditLine* el_ = nullptr;
  History* hist_ = nullptr;
  std::string prompt_;
  CancelToken token_;
  std::deque<unsigned char> pending_;
  std::string paste_;
  bool pasted_ = false;
  termios saved_{};
  bool have_tty_ = false;
};

}  // namespace

std::unique_ptr<LineReader> MakeLibeditReader(const fs::path& history_file) {
  return std::make_unique<LibeditReader>(history_file);
}

}  // namespace akg
