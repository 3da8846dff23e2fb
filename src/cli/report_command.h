// `akg_cli report RUN [--out FILE]`: one self-contained HTML page for a finished run, built
// from its folder's files by store/html_report.h.
//
//   RUN: a run folder ─────────────────────────────┐
//        or a run ID ── RunHistory::Get ── folder ─┴─> BuildHtmlReport -> WriteFileAtomic
//                                                      (FILE, default RUN_FOLDER/report.html)
//                                                   -> the path written, one line on `out`
//
// A RUN that is all digits is a run ID unless a folder of that name exists. The run history
// is the one `akg_cli runs` reads: --db, else history_db in settings.yaml, else
// DefaultHistoryPath. Nothing is written when anything is wrong with the input.
// Exit codes: 0 the page was written; 2 bad input (not a run folder, an unknown ID, --out
// names a folder), one `akg_cli: error:` line naming the folder or ID and the fix; 1 the
// page could not be written.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include "env/env.h"

namespace CLI {
class App;
}

namespace akg {

struct ReportOptions {
  std::string run;       // a run folder, or a run ID from `akg_cli runs` (required)
  std::string out_file;  // --out: the page's path ("" = RUN_FOLDER/report.html)
  std::string db;        // --db: the history file for run IDs ("" = settings, else default)
};

// `env` gives the settings and HOME/XDG_DATA_HOME that locate the run history; it is read
// only for a run ID, and null means the real environment.
int RunReportCommand(const ReportOptions& options, std::ostream& out, std::ostream& err,
                     const Env* env = nullptr);

// Adds RUN, --out and --db to `cmd`; the runner writes to std::cout / std::cerr.
std::function<int()> SetupReportCommand(CLI::App* cmd);

}  // namespace akg
