// The HTML page of one finished run (`akg_cli report`): one self-contained file, inline CSS and
// inline SVG, no script and nothing fetched, so it opens from disk, offline, years later.
//
//   run folder (read only)                       page sections
//   report.json (required) ───────────────────>  summary: verdict, speedups, fraction of SOL
//   attempts/NN/verify.json, profile.json ─┐     verdict counts over attempts / candidates
//   candidates/<id>/meta.json ─────────────┼──>  chart: best speedup so far (BestSpeedupSvg)
//   search_log.jsonl ──────────────────────┘     evolve: lineage by island, migrations;
//                                                adaptive_search: the UCB tree; ask/tell log
//   report.json "device_utilisation" ────────>  per-device utilisation
//   task.py, inspect.json ───────────────────>  the task: name, inputs/outputs, source
//   kernel.py ───────────────────────────────>  the final kernel (HighlightPython)
//
// Every string from the folder goes through HtmlEscape, so a kernel's text cannot become markup.
// Only report.json is required; each other file, when missing or unreadable, drops its part of
// the page with a line saying what was absent.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace akg {

// The page for `run_folder`. Fails with kInput when the folder does not exist or holds no
// report.json (it is not a run folder), or report.json is not JSON; the message names the
// folder and what to give instead. Writes nothing.
Result<std::string> BuildHtmlReport(const std::filesystem::path& run_folder);

// Text made safe for HTML element content and attribute values: & < > " ' become entities and
// a NUL becomes U+FFFD (browsers drop it, which would hide that it was there).
std::string HtmlEscape(std::string_view text);

// Python source as escaped HTML with tokens wrapped in <span class=...>: "k" keyword, "b"
// builtin, "s" string (prefixes and triple quotes included), "c" comment, "n" number, "d"
// decorator, "f" the name after def/class. A lexer, not a parser: unterminated strings end at
// the end of their line (or of the text, for triple quotes), and nothing is ever dropped.
std::string HighlightPython(std::string_view source);

// One attempt or candidate on the chart, in the order it was made.
struct ChartPoint {
  std::string label;              // x-axis label: "c0003", or "1" for attempt 1
  std::optional<double> speedup;  // vs eager when it passed and was profiled, else none
  std::string verdict;            // shown in the point's tooltip, e.g. "wrong_answer"
};

// best[i] = the highest speedup among points[0..i]; none until the first measured point.
std::vector<std::optional<double>> BestSoFar(const std::vector<ChartPoint>& points);

// An inline <svg> of the best speedup so far (a step line), each point's own speedup (dots;
// crosses on the axis for points that failed), and the eager parity line at 1.0x. Empty
// `points` give a one-line <p> instead. Width and height are in CSS pixels.
std::string BestSpeedupSvg(const std::vector<ChartPoint>& points, int width = 980,
                           int height = 300);

}  // namespace akg
