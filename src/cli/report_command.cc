#include "cli/report_command.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <memory>
#include <system_error>

#include <CLI/CLI.hpp>

#include "core/files.h"
#include "llm/settings.h"
#include "store/history.h"
#include "store/html_report.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

constexpr const char* kExamples = R"(
Examples:
  akg_cli report runs/20261125-120000-relu-cpp          # writes .../report.html
  akg_cli report runs/20261125-120000-relu-cpp --out relu.html
  akg_cli report 12                                     # run 12 of `akg_cli runs`
)";

// Digits only, and short enough for int64_t.
bool LooksLikeRunId(const std::string& s) {
  return !s.empty() && s.size() <= 18 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

Result<fs::path> FolderOfRunId(const ReportOptions& o, const Env& env) {
  // The same file `akg_cli runs` reads, so its IDs are the ones given here.
  AKG_ASSIGN_OR_RETURN(fs::path db, ChooseHistoryPath(o.db, env));
  std::error_code ec;
  if (db.empty() || !fs::exists(db, ec)) {
    return InputError("no run " + o.run + ": there is no run history yet" +
                      (db.empty() ? std::string() : " (" + db.string() + ")") +
                      "; give the run folder instead");
  }
  AKG_ASSIGN_OR_RETURN(std::unique_ptr<RunHistory> history, RunHistory::Open(db));
  AKG_ASSIGN_OR_RETURN(HistoryRun run, history->Get(std::stoll(o.run)));
  if (!fs::is_directory(run.run_folder, ec)) {
    return InputError("run " + o.run + "'s folder '" + run.run_folder +
                      "' is gone (moved or deleted); give the run folder where it is now");
  }
  return fs::path(run.run_folder);
}

Result<fs::path> RunFolderOf(const ReportOptions& o, const Env* env) {
  std::error_code ec;
  if (!LooksLikeRunId(o.run) || fs::exists(o.run, ec)) return fs::path(o.run);
  if (env) return FolderOfRunId(o, *env);
  SystemEnv system;
  return FolderOfRunId(o, system);
}

Result<fs::path> PagePath(const ReportOptions& o, const fs::path& folder) {
  if (o.out_file.empty()) return folder / "report.html";
  fs::path p = o.out_file;
  std::error_code ec;
  if (fs::is_directory(p, ec) || o.out_file.back() == '/') {
    return UsageError("--out '" + o.out_file + "' is a folder; give a file, e.g. --out " +
                      (p / "report.html").string());
  }
  return p;
}

}  // namespace

int RunReportCommand(const ReportOptions& options, std::ostream& out, std::ostream& err,
                     const Env* env) {
  auto fail = [&err](const Status& s) {
    err << "akg_cli: error: " << s.message() << "\n";
    return s.kind() == ErrorKind::kInternal ? 1 : 2;
  };
  if (options.run.empty()) {
    return fail(UsageError("give the run: akg_cli report RUN_FOLDER [--out FILE]"));
  }
  auto folder = RunFolderOf(options, env);
  if (!folder.ok()) return fail(folder.status());
  auto page = BuildHtmlReport(*folder);
  if (!page.ok()) return fail(page.status());
  auto path = PagePath(options, *folder);
  if (!path.ok()) return fail(path.status());
  if (Status s = WriteFileAtomic(*path, *page); !s.ok()) return fail(s);
  std::error_code ec;
  fs::path shown = fs::absolute(*path, ec);
  out << (ec ? *path : shown.lexically_normal()).string() << "\n";
  return 0;
}

std::function<int()> SetupReportCommand(CLI::App* cmd) {
  auto o = std::make_shared<ReportOptions>();
  cmd->add_option("RUN", o->run, "the run folder, or a run ID from `akg_cli runs`")->required();
  cmd->add_option("--out", o->out_file, "where the page goes (default: RUN_FOLDER/report.html)");
  cmd->add_option("--db", o->db,
                  "the run history, for a run ID (default: the one `akg_cli runs` reads)");
  cmd->footer(kExamples);
  return [o] { return RunReportCommand(*o, std::cout, std::cerr); };
}

}  // namespace akg
