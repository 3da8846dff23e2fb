#include "store/html_report.h"
#include "store/run_folder.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/files.h"
#include "core/json.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- the Python lexer

constexpr std::array<std::string_view, 35> kKeywords = {
    "False", "None",   "True",  "and",   "as",     "assert", "async",  "await",    "break",
    "class", "continue", "def", "del",   "elif",   "else",   "except", "finally",  "for",
    "from",  "global", "if",    "import", "in",    "is",     "lambda", "nonlocal", "not",
    "or",    "pass",   "raise", "return", "try",   "while",  "with",   "yield"};

// The names a kernel file leans on most; enough to read it, not the whole builtins module.
constexpr std::array<std::string_view, 30> kBuiltins = {
    "self",  "print",  "len",   "range",      "int",       "float",   "str",     "list",
    "dict",  "tuple",  "set",   "bool",       "object",    "super",   "isinstance", "type",
    "enumerate", "zip", "min",  "max",        "abs",       "sum",     "sorted",  "getattr",
    "setattr", "hasattr", "open", "Exception", "ValueError", "RuntimeError"};

template <size_t N>
bool In(const std::array<std::string_view, N>& words, std::string_view w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

bool IsIdentStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool IsIdentChar(unsigned char c) { return IsIdentStart(c) || std::isdigit(c); }

// r, b, u, f and the two-letter mixes (rb, br, fr, rf) in either case.
bool IsStringPrefix(std::string_view w) {
  if (w.empty() || w.size() > 2 || w.find_first_not_of("rRbBuUfF") != w.npos) return false;
  return w.size() == 1 || (std::tolower(w[0]) != std::tolower(w[1]) &&
                           std::tolower(w[0]) != 'u' && std::tolower(w[1]) != 'u');
}

// One past the end of the string literal whose opening quote is at s[i].
size_t StringEnd(std::string_view s, size_t i) {
  const char q = s[i];
  const std::string triple(3, q);
  const bool is_triple = s.substr(i, 3) == triple;
  size_t j = i + (is_triple ? 3 : 1);
  while (j < s.size()) {
    if (!is_triple && s[j] == '\n') return j;  // unterminated: the line ends it
    if (is_triple ? s.substr(j, 3) == triple : s[j] == q) return j + (is_triple ? 3 : 1);
    j += s[j] == '\\' ? 2 : 1;  // also in raw strings, a backslash keeps the next quote open
  }
  return s.size();
}

// One past the end of the number at s[i]: digits, letters (0x, 1e5, 2j), '_', '.', and a
// sign right after a decimal exponent.
size_t NumberEnd(std::string_view s, size_t i) {
  const bool hex = s.substr(i, 2) == "0x" || s.substr(i, 2) == "0X";
  size_t j = i;
  while (j < s.size()) {
    unsigned char c = s[j];
    bool exponent_sign = (c == '+' || c == '-') && !hex && (s[j - 1] == 'e' || s[j - 1] == 'E');
    if (!std::isalnum(c) && c != '_' && c != '.' && !exponent_sign) break;
    ++j;
  }
  return j;
}

void AppendSpan(std::string* out, const char* cls, std::string_view text) {
  *out += std::string("<span class=\"") + cls + "\">" + HtmlEscape(text) + "</span>";
}

// ---------------------------------------------------------------- the chart

// 1, 2 or 5 times a power of ten, so that `range` takes about `ticks` steps.
double NiceStep(double range, int ticks) {
  const double raw = range / ticks, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\0': out += "&#xFFFD;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string HighlightPython(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 3 / 2 + 64);
  bool line_start = true;      // only blanks so far on this line (where a decorator may stand)
  std::string_view prev_word;  // the word before, across blanks: names after def/class
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    size_t end = i;
    const char* cls = nullptr;  // set when s[i..end) is one token
    std::string_view word;      // the token when it is a name
    if (c == '#') {
      end = std::min(s.find('\n', i), s.size());
      cls = "c";
    } else if (c == '"' || c == '\'') {
      end = StringEnd(s, i);
      cls = "s";
    } else if (std::isdigit(c) || (c == '.' && i + 1 < s.size() && std::isdigit(s[i + 1]))) {
      end = NumberEnd(s, i);
      cls = "n";
    } else if (c == '@' && line_start && i + 1 < s.size() && IsIdentStart(s[i + 1])) {
      end = i + 1;
      while (end < s.size() && (IsIdentChar(s[end]) || s[end] == '.')) ++end;
      cls = "d";
    } else if (IsIdentStart(c)) {
      while (end < s.size() && IsIdentChar(s[end])) ++end;
      std::string_view w = s.substr(i, end - i);
      if (end < s.size() && (s[end] == '"' || s[end] == '\'') && IsStringPrefix(w)) {
        end = StringEnd(s, end);
        cls = "s";
      } else {
        cls = prev_word == "def" || prev_word == "class" ? "f"
              : In(kKeywords, w) ? "k" : In(kBuiltins, w) ? "b" : "";
        word = w;
      }
    }
    if (cls) {  // a token: "" for a plain name
      if (*cls) AppendSpan(&out, cls, s.substr(i, end - i));
      else out += HtmlEscape(s.substr(i, end - i));
      prev_word = word;
      line_start = false;
      i = end;
      continue;
    }
    if (c == '\n') line_start = true;
    else if (!std::isspace(c)) line_start = false;
    if (!std::isspace(c)) prev_word = {};
    out += HtmlEscape(s.substr(i, 1));
    ++i;
  }
  return out;
}

std::vector<std::optional<double>> BestSoFar(const std::vector<ChartPoint>& points) {
  std::vector<std::optional<double>> out;
  std::optional<double> best;
  for (const ChartPoint& p : points) {
    if (p.speedup && std::isfinite(*p.speedup) && (!best || *p.speedup > *best)) best = p.speedup;
    out.push_back(best);
  }
  return out;
}

std::string BestSpeedupSvg(const std::vector<ChartPoint>& points, int width, int height) {
  if (points.empty()) return "<p class=\"muted\">no attempts or candidates to chart</p>";
  const double left = 58, right = 74, top = 18, bottom = 52;  // the right margin: "eager"
  const double pw = width - left - right, ph = height - top - bottom;
  const size_t n = points.size();
  const std::vector<std::optional<double>> best = BestSoFar(points);
  double ymax = 1.0;  // eager parity always in view
  for (const auto& b : best) ymax = std::max(ymax, b.value_or(0));
  const double step = NiceStep(ymax * 1.08, 4);
  ymax = std::ceil(ymax * 1.08 / step) * step;
  auto x = [&](size_t i) { return left + (static_cast<double>(i) + 0.5) * pw / n; };
  auto y = [&](double v) { return top + ph * (1 - v / ymax); };
  auto text = [](double tx, double ty, const char* anchor, const char* fill,
                 const std::string& body) {
    return fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\" fill=\"{}\">{}</text>",
                       tx, ty, anchor, fill, body);
  };
  auto line = [](double x1, double y1, double x2, double y2, const char* attrs) {
    return fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" {}/>", x1,
                       y1, x2, y2, attrs);
  };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" style=\"max-width:100%;height:auto\" role=\"img\" "
      "font-family=\"sans-serif\" font-size=\"11\"><title>best speedup vs eager so far</title>"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"#fff\"/>",
      width, height);
  for (int k = 0; k * step <= ymax + step / 2; ++k) {
    svg += line(left, y(k * step), left + pw, y(k * step), "stroke=\"#e4e7ec\"") +
           text(left - 6, y(k * step) + 4, "end", "#5b6475", fmt::format("{:g}x", k * step));
  }
  svg += line(left, y(1), left + pw, y(1), "stroke=\"#c0392b\" stroke-dasharray=\"5 4\"") +
         text(left + pw + 4, y(1) + 4, "start", "#c0392b", "eager 1.0x");
  std::string path;
  for (size_t i = 0; i < n; ++i) {
    if (!best[i]) continue;
    path += path.empty() ? fmt::format("M{:.1f} {:.1f}", x(i), y(*best[i]))
                         : fmt::format(" H{:.1f} V{:.1f}", x(i), y(*best[i]));
  }
  if (!path.empty()) {
    // On to the plot's edge: the best holds after the last point, and a lone point draws a line.
    svg += fmt::format("<path d=\"{} H{:.1f}\" fill=\"none\" stroke=\"#1f55c0\" "
                       "stroke-width=\"2.5\"/>", path, left + pw);
  }
  const size_t label_every = (n + 15) / 16;
  for (size_t i = 0; i < n; ++i) {
    const ChartPoint& p = points[i];
    bool measured = p.speedup && std::isfinite(*p.speedup);
    std::string tip = HtmlEscape(p.label + ": " + (measured ? fmt::format("{:.2f}x", *p.speedup)
                                                   : p.verdict.empty() ? "not verified"
                                                                       : p.verdict));
    if (measured) {
      bool record = *best[i] == *p.speedup && (i == 0 || best[i - 1] != best[i]);
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\">"
                         "<title>{}</title></circle>", x(i), y(*p.speedup), record ? 5 : 3.5,
                         record ? "#1f55c0" : "#8fb0e8", tip);
    } else if (p.verdict != "passed") {
      svg += fmt::format("<path d=\"M{:.1f} {:.1f}l8 8m0 -8l-8 8\" stroke=\"#c0392b\" "
                         "stroke-width=\"2\"><title>{}</title></path>", x(i) - 4, y(0) - 4, tip);
    }
    if (i % label_every == 0) {
      svg += text(x(i), top + ph + 16, "middle", "#5b6475", HtmlEscape(p.label));
    }
  }
  svg += line(left, top, left, top + ph, "stroke=\"#5b6475\"") +
         line(left, top + ph, left + pw, top + ph, "stroke=\"#5b6475\"");
  svg += text(left + pw / 2, height - 10, "middle", "#1d2330",
              "in the order made — line: best so far · dots: each one · crosses: failed");
  svg += fmt::format("<text transform=\"translate(14 {:.1f}) rotate(-90)\" text-anchor=\"middle\" "
                     "fill=\"#1d2330\">speedup vs eager</text>", top + ph / 2);
  return svg + "</svg>";
}

namespace {

// ---------------------------------------------------------------- lenient JSON reading
// The folder's JSON was written by several versions of the binary (and by hand, in tests):
// a missing key or a value of another type reads as absent, never as an exception.

const Json& At(const Json& j, const char* key) {
  static const Json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}

bool Flag(const Json& j, const char* key) {
  return At(j, key).is_boolean() && At(j, key).get<bool>();
}

std::optional<double> Finite(const Json& j, const char* key) {
  const Json& v = At(j, key);
  if (!v.is_number() || !std::isfinite(v.get<double>())) return std::nullopt;
  return v.get<double>();
}

// Strings as they are; anything else as compact JSON (invalid UTF-8 replaced, not thrown).
std::string Text(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  return j.is_null() ? "" : j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A profile's speedup over eager, when the profile ran.
std::optional<double> ProfileSpeedup(const Json& profile) {
  return Flag(profile, "ok") ? Finite(profile, "speedup_vs_eager") : std::nullopt;
}

Json ReadJsonOr(const fs::path& path) {
  auto text = ReadFile(path);
  auto j = text.ok() ? ParseJson(*text, path.string()) : Result<Json>(text.status());
  return j.ok() ? *j : Json();
}

std::vector<fs::path> SortedSubfolders(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> out;
  for (const auto& d : fs::directory_iterator(dir, ec)) out.push_back(d.path());
  std::sort(out.begin(), out.end());
  return out;
}

// At most `n` bytes of `s`, cut on a UTF-8 character boundary, with "…" when cut.
std::string Clip(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "…";
}

std::string Speedup(std::optional<double> v) { return v ? fmt::format("{:.2f}x", *v) : "—"; }
std::string Ms(std::optional<double> v) { return v ? fmt::format("{:.4f} ms", *v) : "—"; }

// ---------------------------------------------------------------- the run, as read

// One attempt (default workflows) or candidate (searches), in the order it was made.
struct Entry {
  std::string id;       // "c0003", or "1" for attempt 1
  std::string verdict;  // "passed", "wrong_answer", ...; "not_generated" when no kernel came
  std::optional<double> speedup;
  std::string parent;   // searches: "" = written from scratch
  std::vector<std::string> inspirations;
  int island = 0, round = 0;
  std::string description;
  std::string message;
};

struct RunData {
  fs::path dir;
  Json report;
  Json inspect;                        // null when inspect.json is absent
  std::optional<std::string> task_py;  // none when absent
  std::optional<std::string> kernel_py;
  std::string kernel_name;             // relative path of the final kernel
  bool search = false;                 // evolve / adaptive_search
  bool evolve = false;
  std::vector<Entry> entries;
  std::vector<Json> log;               // search_log.jsonl, one value a line
};

Entry EntryFromCandidate(const Json& c) {
  Entry e;
  e.id = Text(At(c, "id"));
  bool generated = !At(c, "generation_error").is_string();
  e.verdict = generated ? StringOr(At(c, "verify"), "verdict", "") : "not_generated";
  e.message = generated ? StringOr(At(c, "verify"), "message", "") : Text(c["generation_error"]);
  if (Flag(c, "passed")) e.speedup = ProfileSpeedup(At(c, "profile"));
  e.parent = StringOr(c, "parent", "");
  for (const Json& i : At(c, "inspirations")) e.inspirations.push_back(Text(i));
  e.island = static_cast<int>(NumberOr(c, "island", 0));
  e.round = static_cast<int>(NumberOr(c, "round", 0));
  e.description = StringOr(c, "description", "");
  return e;
}

// `a` is report.json's attempt or an attempt folder's verify.json: both name these keys.
Entry EntryFromAttempt(const Json& a, std::string id, const fs::path& profile) {
  Entry e;
  e.id = std::move(id);
  e.verdict = StringOr(a, "verdict", "");
  e.description = StringOr(a, "description", "");
  e.message = StringOr(a, "message", "");
  if (e.verdict == "passed") e.speedup = ProfileSpeedup(ReadJsonOr(profile));
  return e;
}

// Searches: candidates/<id>/meta.json in id order; report.json's copy when the folder has none.
std::vector<Entry> LoadCandidates(const RunData& run) {
  std::vector<Entry> out;
  for (const auto& d : SortedSubfolders(run.dir / "candidates")) {
    Json meta = ReadJsonOr(d / RunFiles::kMeta);
    if (At(meta, "id").is_string()) out.push_back(EntryFromCandidate(meta));
  }
  if (out.empty()) {
    for (const Json& c : At(run.report, "candidates")) out.push_back(EntryFromCandidate(c));
  }
  return out;
}

// Attempts: report.json's list, each speedup from its folder's profile.json; the attempts/NN
// folders' verify.json when report.json lists none.
std::vector<Entry> LoadAttempts(const RunData& run) {
  std::vector<Entry> out;
  for (const Json& a : At(run.report, "attempts")) {
    fs::path folder = fs::path(StringOr(a, "kernel", "")).parent_path();
    out.push_back(EntryFromAttempt(a, Text(At(a, "attempt")), run.dir / folder / RunFiles::kProfile));
  }
  if (!out.empty()) return out;
  for (const auto& d : SortedSubfolders(run.dir / "attempts")) {
    Json v = ReadJsonOr(d / RunFiles::kVerify);
    std::string id = std::to_string(std::atoi(d.filename().string().c_str()));
    if (v.is_object()) out.push_back(EntryFromAttempt(v, id, d / RunFiles::kProfile));
  }
  return out;
}

std::vector<Json> ReadJsonLines(const fs::path& path) {
  std::vector<Json> out;
  auto text = ReadFile(path);
  for (size_t start = 0; text.ok() && start < text->size();) {
    size_t end = std::min(text->find('\n', start), text->size());
    auto line = ParseJson(text->substr(start, end - start), path.string());
    if (line.ok()) out.push_back(std::move(line).value());  // a torn last line is skipped
    start = end + 1;
  }
  return out;
}

Result<RunData> LoadRun(const fs::path& dir) {
  const std::string fix = "; give the folder `akg_cli op` wrote (its --out, or the run folder "
                          "its final table names)";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return InputError("'" + dir.string() + "' is not a folder" + fix);
  auto text = ReadFile(dir / RunFiles::kReport);
  if (!text.ok()) {
    return InputError("'" + dir.string() + "' is not a run folder (it holds no report.json)" + fix);
  }
  auto report = ParseJson(*text, (dir / RunFiles::kReport).string());
  if (!report.ok() || !report->is_object()) {
    return InputError("'" + dir.string() + "' has a report.json that is not a JSON object (" +
                      (report.ok() ? "wrong type" : report.status().message()) +
                      "); give a run folder whose run finished");
  }
  RunData run;
  run.dir = dir;
  run.report = std::move(report).value();
  run.inspect = ReadJsonOr(dir / RunFiles::kInspect);
  if (auto t = ReadFile(dir / RunFiles::kTask); t.ok()) run.task_py = *t;
  run.kernel_name = StringOr(run.report, "final_kernel", RunFiles::kKernel);
  if (auto k = ReadFile(dir / run.kernel_name); k.ok()) run.kernel_py = *k;
  std::string workflow = StringOr(run.report, "workflow", "");
  run.evolve = workflow == "evolve";
  run.search = At(run.report, "search").is_object() || run.evolve || workflow == "adaptive_search";
  run.entries = run.search ? LoadCandidates(run) : LoadAttempts(run);
  run.log = ReadJsonLines(dir / RunFiles::kSearchLog);
  return run;
}

// ---------------------------------------------------------------- page sections

constexpr const char* kCss = R"(
body{font:14px/1.45 system-ui,sans-serif;color:#1d2330;background:#f6f7f9;margin:0}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}.sub,.muted{color:#5b6475}
h1{font-size:26px;margin:0 0 4px}h3{font-size:15px;margin:14px 0 6px}
h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #d8dce3;padding-bottom:4px}
.banner{display:inline-block;margin:10px 0;padding:4px 12px;border-radius:4px;font-weight:600}
.ok{background:#dcf3e3;color:#17603a}.bad{background:#fbe0e0;color:#8a1f1f}
.warn{background:#fff1cc;color:#7a5600}.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #d8dce3;border-radius:6px;padding:10px 14px;min-width:160px}
.card .lbl{color:#5b6475;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .val{font-size:24px;font-weight:650}.card .note{color:#5b6475;font-size:12px;max-width:260px}
table{border-collapse:collapse;background:#fff;margin:6px 0}th{background:#eef0f4}
td,th{border:1px solid #d8dce3;padding:4px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.v{padding:0 6px;border-radius:3px;font-size:12px;font-weight:600;background:#e4e7ec}
.v-passed{background:#dcf3e3;color:#17603a}
.v-wrong_answer,.v-runtime_error,.v-timeout{background:#fbe0e0;color:#8a1f1f}
.v-compile_error,.v-rejected,.v-not_generated{background:#fde8d4;color:#8a4a0f}
ul.tree,ul.tree ul{list-style:none;padding-left:18px;margin:4px 0}ul.tree li{margin:3px 0}
ul.tree ul{border-left:1px dashed #b9c0cc;margin-left:6px}.desc{color:#5b6475;font-size:12px}
.node.best b{background:#ffe58a;padding:0 3px}
.bar{display:inline-block;width:220px;height:12px;background:#e4e7ec;vertical-align:middle}
.bar span{display:block;height:12px;background:#3f7fd8}
.code{display:flex;background:#fbfbfc;border:1px solid #d8dce3;overflow:auto;max-height:900px}
.code pre{margin:0;padding:10px;font:12.5px/1.5 ui-monospace,"DejaVu Sans Mono",monospace}
.code pre.ln{color:#9aa2b1;text-align:right;user-select:none;background:#f1f3f6}
.k{color:#8a2fb8;font-weight:600}.b{color:#0e7a86}.s{color:#2b7a1f}.n{color:#b35a00}
.c{color:#7c8494;font-style:italic}.d{color:#a0521b}.f{color:#1f55c0;font-weight:600}
ol.log{font:12px/1.5 ui-monospace,monospace;max-height:420px;overflow:auto;background:#fff}
)";

// <tag class="cls">html</tag>; `html` is markup already, so callers escape text first.
std::string Tag(const char* tag, const std::string& html, const char* cls = nullptr) {
  std::string open = cls ? fmt::format("<{} class=\"{}\">", tag, cls) : fmt::format("<{}>", tag);
  return open + html + "</" + tag + ">";
}

// A table: header cells as text, body cells as markup.
std::string Table(const std::vector<std::string>& head,
                  const std::vector<std::vector<std::string>>& rows) {
  std::string out = "<table><tr>";
  for (const auto& h : head) out += Tag("th", HtmlEscape(h));
  for (const auto& row : rows) {
    out += "</tr><tr>";
    for (const auto& cell : row) out += cell;
  }
  return out + "</tr></table>";
}

std::string Td(const std::string& text, const char* cls = nullptr) {
  return Tag("td", HtmlEscape(text), cls);
}

std::string Muted(const std::string& text) { return Tag("p", HtmlEscape(text), "muted"); }

std::string VerdictBadge(const std::string& verdict) {
  std::string v = HtmlEscape(verdict.empty() ? "not_verified" : verdict);
  return "<span class=\"v v-" + v + "\">" + v + "</span>";
}

std::string Card(const std::string& key, const std::string& value, const std::string& note) {
  return Tag("div", Tag("div", HtmlEscape(key), "lbl") + Tag("div", HtmlEscape(value), "val") +
                        Tag("div", HtmlEscape(note), "note"),
             "card");
}

std::string Header(const RunData& r) {
  const Json& t = At(r.report, "target");
  std::string name = StringOr(At(r.report, "task"), "name", r.dir.filename().string());
  std::string h = Tag("h1", HtmlEscape(name)) +
                  Tag("div", HtmlEscape(fmt::format(
                      "{} workflow · {} on {}/{} · started {} UTC · {:.1f} s",
                      StringOr(r.report, "workflow", "?"), StringOr(t, "dsl", "?"),
                      StringOr(t, "backend", "?"), StringOr(t, "arch", "?"),
                      StringOr(r.report, "started_utc", "?"),
                      NumberOr(r.report, "wall_seconds", 0))), "sub");
  if (Flag(r.report, "unverified")) {
    h += Tag("div", "UNVERIFIED: kernelgen_only never ran this kernel against the reference",
             "banner warn");
  } else {
    h += Flag(r.report, "verified") ? Tag("div", "verified kernel", "banner ok")
                                    : Tag("div", "no verified kernel", "banner bad");
  }
  if (Flag(r.report, "interrupted")) h += " " + Tag("div", "interrupted", "banner warn");
  if (Flag(r.report, "triton_interpreter")) {
    h += " " + Tag("div", "Triton interpreter on the CPU: times are not performance",
                   "banner warn");
  }
  return h;
}

std::string SummarySection(const RunData& r) {
  const Json& p = At(r.report, "profile");
  std::string out = Tag("h2", "Speed");
  if (!ProfileSpeedup(p)) {
    std::string why = StringOr(p, "error", "");
    return out + Muted("no profile" + (why.empty() ? " (no kernel passed)" : ": " + why));
  }
  const Json& sol = At(p, "sol");
  std::string compile_note =
      At(p, "torch_compile").is_object()
          ? "torch.compile " + Ms(Finite(p["torch_compile"], "median_ms"))
          : StringOr(p, "torch_compile_error", "torch.compile not measured");
  std::string bound = StringOr(sol, "bound", "");
  std::string sol_note = Finite(sol, "sol_ms") ? "floor " + Ms(Finite(sol, "sol_ms")) : "";
  if (!sol_note.empty() && !bound.empty()) sol_note += ", " + bound + "-bound";
  auto frac = Finite(sol, "fraction_of_sol_candidate");
  std::string cards =
      Card("speedup vs eager", Speedup(ProfileSpeedup(p)),
           "eager " + Ms(Finite(At(p, "reference_eager"), "median_ms"))) +
      Card("speedup vs torch.compile", Speedup(Finite(p, "speedup_vs_torch_compile")),
           compile_note) +
      Card("fraction of speed of light", frac ? fmt::format("{:.2f}", *frac) : "—", sol_note) +
      Card("kernel time (median)", Ms(Finite(At(p, "kernel"), "median_ms")),
           fmt::format("{} runs, {}", NumberOr(At(p, "kernel"), "runs", 0),
                       StringOr(p, "timing_method", "?")));
  if (r.search) {
    cards += Card("best candidate", Text(At(r.report, "best_candidate")),
                  StringOr(r.report, "stop_reason", ""));
  }
  out += Tag("div", cards, "cards");
  for (const Json& why : At(p, "suspect")) {
    out += Tag("p", "SUSPECT: " + HtmlEscape(Text(why)), "banner warn");
  }
  return out;
}

// The verdict of every attempt or candidate, counted: passed first, then the failures.
std::string VerdictSection(const RunData& r) {
  std::map<std::string, int> counts;
  for (const Entry& e : r.entries) ++counts[e.verdict.empty() ? "not_verified" : e.verdict];
  std::vector<std::pair<std::string, int>> rows(counts.begin(), counts.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return (a.first == "passed") > (b.first == "passed");
  });
  std::string line = fmt::format("{} {}{}", r.entries.size(), r.search ? "candidate" : "attempt",
                                 r.entries.size() == 1 ? "" : "s");
  std::vector<std::vector<std::string>> cells;
  for (size_t i = 0; i < rows.size(); ++i) {
    line += fmt::format("{} {} {}", i ? "," : ":", rows[i].second, rows[i].first);
    cells.push_back({Tag("td", VerdictBadge(rows[i].first)),
                     Td(std::to_string(rows[i].second), "num")});
  }
  return Tag("h2", "Verdicts") + Tag("p", HtmlEscape(line)) + Table({"verdict", "count"}, cells);
}

std::string ChartSection(const RunData& r) {
  std::vector<ChartPoint> points;
  for (const Entry& e : r.entries) points.push_back({e.id, e.speedup, e.verdict});
  return Tag("h2", "Best speedup so far") +
         Muted(std::string("over ") + (r.search ? "candidates in id order" : "attempts in order") +
               "; dots are each one's own speedup vs eager, crosses failed") +
         BestSpeedupSvg(points);
}

std::string NodeLabel(const Entry& e, const RunData& r, const std::map<std::string, Json>& arms,
                      const Entry* parent) {
  bool best = Text(At(r.report, "best_candidate")) == e.id;
  std::string facts = r.evolve ? fmt::format("island {} · round {}", e.island, e.round)
                               : fmt::format("round {}", e.round);  // adaptive: one island
  for (const auto& i : e.inspirations) facts += " · +" + i;
  if (parent && parent->island != e.island) {
    facts += fmt::format(" · on island {} from a migrant", e.island);
  }
  if (auto a = arms.find(e.id); a != arms.end()) {
    facts += fmt::format(" · UCB pulls {}, mean reward {:.3f}", NumberOr(a->second, "pulls", 0),
                         NumberOr(a->second, "mean_reward", 0));
  }
  if (best) facts += " · best";
  return Tag("span", Tag("b", HtmlEscape(e.id)) + " " + VerdictBadge(e.verdict) + " " +
                         Speedup(e.speedup) + " " + Tag("span", HtmlEscape(facts), "muted"),
             best ? "node best" : "node") +
         " <span class=\"desc\" title=\"" + HtmlEscape(e.description) + "\">" +
         HtmlEscape(Clip(e.description, 240)) + "</span>";
}

// Nested lists by parent; `seen` stops a malformed folder's cycle from recursing forever.
void TreeNode(const Entry& e, const std::multimap<std::string, const Entry*>& children,
              const RunData& r, const std::map<std::string, Json>& arms, const Entry* parent,
              std::set<std::string>* seen, std::string* out) {
  *out += "<li>" + NodeLabel(e, r, arms, parent);
  auto [lo, hi] = children.equal_range(e.id);
  if (lo != hi) *out += "<ul>";
  for (auto it = lo; it != hi; ++it) {
    if (seen->insert(it->second->id).second) {
      TreeNode(*it->second, children, r, arms, &e, seen, out);
    }
  }
  *out += lo != hi ? "</ul></li>" : "</li>";
}

std::string MigrationsHtml(const Json& search) {
  std::string items;
  for (const Json& m : At(search, "migrations")) items += Tag("li", HtmlEscape(Text(m)));
  std::string out = Tag("h3", "migrations") + (items.empty() ? Muted("none") : Tag("ul", items));
  int i = 0;
  for (const Json& island : At(search, "islands")) {
    std::string members;
    for (const Json& m : island) {
      int home = static_cast<int>(NumberOr(m, "home_island", i));
      members += (members.empty() ? "" : ", ") + Text(At(m, "id")) +
                 (home != i ? fmt::format(" (migrant from island {})", home) : "");
    }
    out += Tag("p", HtmlEscape(fmt::format("island {} at the end: {}", i++,
                                           members.empty() ? "empty" : members)));
  }
  return out;
}

std::string TreeSection(const RunData& r) {
  const Json& search = At(r.report, "search");
  std::map<std::string, Json> arms;
  for (const Json& a : At(search, "arms")) arms[Text(At(a, "id"))] = a;
  std::set<std::string> ids;
  for (const Entry& e : r.entries) ids.insert(e.id);
  std::multimap<std::string, const Entry*> children;
  std::map<int, std::vector<const Entry*>> roots;  // by island (all on 0 for adaptive_search)
  for (const Entry& e : r.entries) {
    if (ids.count(e.parent)) children.emplace(e.parent, &e);
    else roots[r.evolve ? e.island : 0].push_back(&e);
  }
  std::string out = Tag("h2", r.evolve ? "Lineage (islands, parents, migrations)"
                                       : "UCB tree (parents and children)");
  std::set<std::string> seen;
  for (const auto& [island, list] : roots) {
    if (r.evolve) out += Tag("h3", fmt::format("island {}", island));
    out += "<ul class=\"tree\">";
    for (const Entry* e : list) {
      seen.insert(e->id);
      TreeNode(*e, children, r, arms, nullptr, &seen, &out);
    }
    out += "</ul>";
  }
  return out + (r.evolve ? MigrationsHtml(search) : "");
}

std::string LogLine(const Json& j) {
  auto proposal = [](const Json& p) {
    std::string parent = StringOr(p, "parent", "");
    return Text(At(p, "id")) + (parent.empty() ? " (new)" : " ← " + parent);
  };
  if (At(j, "proposals").is_array()) {
    std::string s = "round " + Text(At(j, "round")) + ": propose";
    for (const Json& p : j["proposals"]) s += " " + proposal(p);
    return s;
  }
  if (At(j, "propose").is_object()) return "propose " + proposal(j["propose"]);
  return At(j, "observe").is_string() ? "observe " + Text(j["observe"]) : Text(j);
}

std::string LogSection(const RunData& r) {
  if (r.log.empty()) return "";
  constexpr size_t kMaxLines = 2000;  // a long search's log is for --resume, not for reading
  std::string items;
  for (size_t i = 0; i < r.log.size() && i < kMaxLines; ++i) {
    items += Tag("li", HtmlEscape(LogLine(r.log[i])));
  }
  std::string summary = fmt::format("ask/tell log (search_log.jsonl, {} lines{})", r.log.size(),
                                    r.log.size() > kMaxLines ? ", the first 2000 shown" : "");
  return Tag("details", Tag("summary", summary) + Tag("ol", items, "log"));
}

std::string TableSection(const RunData& r) {
  std::vector<std::vector<std::string>> rows;
  if (r.search) {
    for (const Json& row : At(r.report, "leaderboard")) {
      auto sol = Finite(row, "fraction_of_sol");
      rows.push_back({Td(Text(At(row, "rank")), "num"), Td(Text(At(row, "id"))),
                      Td(Ms(Finite(row, "kernel_ms")), "num"),
                      Td(Speedup(Finite(row, "speedup_vs_eager")), "num"),
                      Td(Speedup(Finite(row, "speedup_vs_torch_compile")), "num"),
                      Td(sol ? fmt::format("{:.2f}", *sol) : "—", "num"),
                      Td(StringOr(row, "parent", "new")),
                      Td(Clip(StringOr(row, "description", ""), 200), "desc")});
    }
    return Tag("h2", "Leaderboard") +
           Table({"rank", "id", "kernel", "vs eager", "vs compile", "SOL", "parent",
                  "description"}, rows);
  }
  for (const Entry& e : r.entries) {
    rows.push_back({Td(e.id, "num"), Tag("td", VerdictBadge(e.verdict)),
                    Td(Speedup(e.speedup), "num"), Td(Clip(e.description, 200), "desc"),
                    Td(Clip(e.message, 400), "desc")});
  }
  return Tag("h2", "Attempts") +
         Table({"attempt", "verdict", "speedup", "description", "message"}, rows);
}

std::string UtilisationSection(const Json& u) {
  std::string out = Tag("h2", "Device utilisation");
  if (!At(u, "devices").is_array() || u["devices"].empty()) {
    return out + Muted("no device pool in this run");
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& d : u["devices"]) {
    double pct = 100 * std::clamp(NumberOr(d, "utilisation", 0), 0.0, 1.0);
    rows.push_back({Td(StringOr(d, "device", "?")),
                    fmt::format("<td><span class=\"bar\"><span style=\"width:{:.1f}%\"></span>"
                                "</span> {:.0f}%</td>", pct, pct),
                    Td(fmt::format("{}", NumberOr(d, "leases", 0)), "num"),
                    Td(fmt::format("{:.2f} s", NumberOr(d, "busy_s", 0)), "num"),
                    Td(StringOr(d, "harness", ""))});
  }
  return out + Table({"device", "utilisation", "leases", "busy", "harness"}, rows) +
         Muted(fmt::format("mean {:.0f}% over {:.2f} s", 100 * NumberOr(u, "mean_utilisation", 0),
                           NumberOr(u, "span_s", 0)));
}

// Line numbers in a column of their own, so copying the code copies no numbers.
std::string CodeBlock(const std::string& source) {
  size_t lines = std::count(source.begin(), source.end(), '\n') +
                 (!source.empty() && source.back() != '\n');
  std::string numbers;
  for (size_t i = 1; i <= lines; ++i) numbers += std::to_string(i) + "\n";
  return Tag("div", Tag("pre", numbers, "ln") + Tag("pre", HighlightPython(source)), "code");
}

// "[64, 65536]"; a scalar input's value when it has no shape.
std::string ShapeText(const Json& t) {
  const Json& shape = At(t, "shape");
  if (!shape.is_array()) return Text(At(t, "value"));
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + Text(shape[i]);
  return s + "]";
}

std::string TensorTable(const char* title, const Json& list) {
  if (!list.is_array() || list.empty()) return Tag("h3", title) + Muted("none listed");
  std::vector<std::vector<std::string>> rows;
  for (const Json& t : list) {
    rows.push_back({Td(Text(At(t, "index")), "num"), Td(StringOr(t, "kind", "")),
                    Td(ShapeText(t)), Td(StringOr(t, "dtype", ""))});
  }
  return Tag("h3", title) + Table({"#", "kind", "shape", "dtype"}, rows);
}

std::string TaskSection(const RunData& r) {
  const Json& task = At(r.report, "task");
  auto list = [&](const char* key) -> const Json& {  // report.json's, else inspect.json's
    return At(task, key).is_array() && !task[key].empty() ? task[key] : At(r.inspect, key);
  };
  return Tag("h2", "Task: " + HtmlEscape(StringOr(task, "name", "?"))) +
         TensorTable("inputs", list("inputs")) + TensorTable("outputs", list("outputs")) +
         Tag("h3", RunFiles::kTask) +
         (r.task_py ? CodeBlock(*r.task_py) : Muted("task.py is not in the folder"));
}

std::string KernelSection(const RunData& r) {
  return Tag("h2", "Final kernel (" + HtmlEscape(r.kernel_name) + ")") +
         (r.kernel_py ? CodeBlock(*r.kernel_py) : Muted("no final kernel in the folder"));
}

}  // namespace

Result<std::string> BuildHtmlReport(const fs::path& run_folder) {
  AKG_ASSIGN_OR_RETURN(RunData r, LoadRun(run_folder));
  std::string title = StringOr(At(r.report, "task"), "name", "run") + " — akg_cli report";
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
                     Tag("title", HtmlEscape(title)) + Tag("style", kCss) + "</head><body><main>";
  page += Header(r) + SummarySection(r) + VerdictSection(r) + ChartSection(r);
  if (r.search) page += TreeSection(r);
  page += LogSection(r) + TableSection(r) + UtilisationSection(At(r.report, "device_utilisation"));
  page += TaskSection(r) + KernelSection(r);
  page += Muted("written by akg_cli report from " + r.dir.string() + "; command: " +
                StringOr(r.report, "command", ""));
  return page + "</main></body></html>\n";
}

}  // namespace akg
