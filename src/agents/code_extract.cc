#include "agents/code_extract.h"

#include <algorithm>
#include <vector>

namespace akg {
namespace {

struct Block {
  size_t first = 0;  // first line of the body
  size_t end = 0;    // one past the last line of the body
  bool closed = false;
};

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// A fence line: up to three spaces, then three or more ` or ~. Returns the run (e.g. "````").
std::string FenceRun(const std::string& line) {
  size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') ++i;
  if (i >= line.size() || (line[i] != '`' && line[i] != '~')) return "";
  char c = line[i];
  size_t j = i;
  while (j < line.size() && line[j] == c) ++j;
  if (j - i < 3) return "";
  // An opening backtick fence's info string may not contain backticks (CommonMark).
  if (c == '`' && line.find('`', j) != std::string::npos) return "";
  return line.substr(i, j - i);
}

bool ClosesFence(const std::string& line, const std::string& open) {
  std::string run = FenceRun(line);
  if (run.empty() || run[0] != open[0] || run.size() < open.size()) return false;
  size_t pos = line.find(run) + run.size();
  return Trim(line.substr(pos)).empty();
}

std::vector<Block> FindBlocks(const std::vector<std::string>& lines) {
  std::vector<Block> blocks;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string open = FenceRun(lines[i]);
    if (open.empty()) continue;
    Block b;
    b.first = i + 1;
    size_t j = i + 1;
    while (j < lines.size() && !ClosesFence(lines[j], open)) ++j;
    b.end = j;
    b.closed = j < lines.size();
    blocks.push_back(b);
    i = j;  // continue after the closing fence (or stop at the end)
  }
  return blocks;
}

std::string JoinLines(const std::vector<std::string>& lines, size_t first, size_t end) {
  std::string out;
  for (size_t i = first; i < end; ++i) out += lines[i] + "\n";
  return out;
}

bool LooksLikePython(const std::string& text) {
  std::string t = Trim(text);
  for (const char* start : {"import ", "from ", "class ", "def ", "#", "\"\"\"", "'''", "@"}) {
    if (t.rfind(start, 0) == 0) return true;
  }
  return false;
}

std::string ExpectedAnswer(const std::string& class_name) {
  return "answer with exactly one ```python code block that holds the whole Python file, "
         "including class " + class_name + "(nn.Module)";
}

}  // namespace

bool DefinesClass(const std::string& code, const std::string& class_name) {
  for (const std::string& line : SplitLines(code)) {
    if (line.rfind("class", 0) != 0) continue;
    size_t i = 5;
    if (i >= line.size() || (line[i] != ' ' && line[i] != '\t')) continue;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (line.compare(i, class_name.size(), class_name) != 0) continue;
    i += class_name.size();
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && (line[i] == '(' || line[i] == ':')) return true;
  }
  return false;
}

Result<ExtractedCode> ExtractCode(const std::string& reply, const std::string& class_name) {
  if (Trim(reply).empty()) {
    return InputError("the reply was empty; " + ExpectedAnswer(class_name));
  }
  std::vector<std::string> lines = SplitLines(reply);
  std::vector<Block> blocks = FindBlocks(lines);
  ExtractedCode out;
  if (blocks.empty()) {
    if (!LooksLikePython(reply)) {
      return InputError("the reply has no code block; " + ExpectedAnswer(class_name));
    }
    out.code = Trim(reply) + "\n";
    if (!DefinesClass(out.code, class_name)) {
      return InputError("the reply's code defines no class " + class_name + "; " +
                        ExpectedAnswer(class_name));
    }
    return out;
  }
  const Block* chosen = nullptr;
  for (const Block& b : blocks) {
    if (DefinesClass(JoinLines(lines, b.first, b.end), class_name)) chosen = &b;
  }
  if (chosen == nullptr) {
    return InputError(std::string(blocks.size() == 1 ? "the reply's code block defines"
                                                     : "none of the reply's code blocks defines") +
                      " class " + class_name + "; " + ExpectedAnswer(class_name));
  }
  size_t end = chosen->end;
  while (end > chosen->first && Trim(lines[end - 1]).empty()) --end;  // trailing blank lines
  out.code = JoinLines(lines, chosen->first, end);
  out.unclosed = !chosen->closed;
  // Prose: every line outside the fenced blocks and their fence lines.
  std::string prose;
  size_t next = 0;
  for (const Block& b : blocks) {
    prose += JoinLines(lines, next, b.first - 1);
    next = b.closed ? b.end + 1 : b.end;
  }
  prose += JoinLines(lines, std::min(next, lines.size()), lines.size());
  out.prose = Trim(prose);
  return out;
}

std::string FirstSentence(const std::string& prose, size_t max_chars) {
  for (std::string line : SplitLines(prose)) {
    line = Trim(line);
    // Markdown marks at the start: headings, bullets, quotes, numbered items.
    size_t k = 0;
    while (k < line.size() && (line[k] == '#' || line[k] == '*' || line[k] == '-' ||
                               line[k] == '>' || line[k] == ' ')) {
      ++k;
    }
    line = line.substr(k);
    size_t digits = line.find_first_not_of("0123456789");
    if (digits != std::string::npos && digits > 0 && digits + 1 < line.size() &&
        (line[digits] == '.' || line[digits] == ')') && line[digits + 1] == ' ') {
      line = line.substr(digits + 2);
    }
    std::string clean;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '`') continue;
      if (line[i] == '*' && i + 1 < line.size() && line[i + 1] == '*') {
        ++i;
        continue;
      }
      clean += line[i];
    }
    clean = Trim(clean);
    // "Here is the kernel:" introduces the code and says nothing about it.
    if (clean.empty() || clean.back() == ':') continue;
    for (size_t i = 0; i + 1 < clean.size(); ++i) {
      if ((clean[i] == '.' || clean[i] == '!' || clean[i] == '?') && clean[i + 1] == ' ') {
        clean = clean.substr(0, i + 1);
        break;
      }
    }
    if (clean.size() > max_chars) {
      size_t cut = clean.rfind(' ', max_chars - 3);
      clean = clean.substr(0, cut == std::string::npos || cut == 0 ? max_chars - 3 : cut) + "...";
    }
    return clean;
  }
  return "";
}

}  // namespace akg
