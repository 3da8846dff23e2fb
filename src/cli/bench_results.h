// The pure part of `akg_cli bench`: one row per task read from its Run's outcome, the suite
// figures over the rows, the table, results.json (and back, for --resume) and results.md.
// No files, no processes: bench_command.cc writes what these return.
//
//   Run::Execute -> RunResult.report (report.json) -> RowFromReport ─┐
//   Run's error (declined, bad task file, cancelled) -> RowFromError ─┴─> BenchRow
//   rows -> ComputeFigures -> FormatBenchTable / BenchResultsJson / BenchMarkdown
//   results.json -> BenchResultsFromJson -> TasksToRun (--resume: the tasks without a row)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/target.h"
#include "core/json.h"
#include "core/status.h"

namespace akg {

// What happened to one task.
//   passed     a kernel was verified (correct)
//   failed     the agent wrote kernels, none passed (or kernelgen_only: never verified)
//   declined   the agent wrote no kernel (the builtin model cannot handle the task)
//   not_verified  a kernel was built on the CPU but nothing here can run it (no CUDA device)
//   error        the task itself could not be run (bad task file, the reference raises)
//   agent_error  the agent itself failed (the harness Python cannot import torch, a folder
//                cannot be written): not the task's fault, so the bench stops and --resume
//                runs it again
//   cancelled    Ctrl-C stopped it; not a finished task, so --resume runs it again
struct BenchRow {
  std::string task;       // the task file's stem; also its run folder's name
  std::string task_file;  // the path as found
  std::string status = "error";
  bool handled = false;   // the agent produced a kernel (no decline)
  bool correct = false;   // a kernel passed verification
  // From the final kernel's profile; nullopt = not measured (never invented).
  std::optional<double> eager_ms, compile_ms, median_ms;
  std::optional<double> speedup_vs_eager, speedup_vs_compile, sol_fraction;
  // false when the times are not performance (Triton's interpreter on the CPU): such a row
  // counts in fast_0 but not in fast_1 or the geomeans.
  bool performance_valid = true;
  int attempts = 0;       // kernels checked (attempts, or a search's candidates)
  std::string why;        // the decline message or the failing verdict's reason; "" if passed
  std::string run_folder; // "" when the run left none (declined, bad task file)
  double wall_seconds = 0;
};

// The row of a run that finished (report.json's content, RunResult.exit_code).
BenchRow RowFromReport(const std::string& task, const std::string& task_file, const Json& report,
                       int exit_code);
// The row of a run that ended in an error: kUnsupported is a decline, kCancelled a cancel,
// kInternal an agent_error, anything else (a bad task file) an error.
BenchRow RowFromError(const std::string& task, const std::string& task_file, const Status& error);

struct SuiteFigures {
  int tasks = 0, handled = 0, correct = 0;
  int faster_than_eager = 0;    // correct and speedup vs eager > 1
  int faster_than_compile = 0;  // correct and speedup vs torch.compile > 1
  int with_compile = 0;         // correct rows with a torch.compile figure
  double fast_0 = 0;            // correct / tasks
  double fast_1_eager = 0;      // faster_than_eager / tasks
  std::optional<double> fast_1_compile;  // nullopt when no row has a torch.compile figure
  // Over the correct rows that have the figure; nullopt when none has.
  std::optional<double> geomean_vs_eager, geomean_vs_compile;
  int geomean_eager_n = 0, geomean_compile_n = 0;
};

SuiteFigures ComputeFigures(const std::vector<BenchRow>& rows);
// nullopt for no values; every value must be > 0.
std::optional<double> Geomean(const std::vector<double>& values);

// Plain text, aligned columns, one row per task; "—" for what was not measured.
std::string FormatBenchTable(const std::vector<BenchRow>& rows);
std::string FormatFigures(const SuiteFigures& f);
// The line printed when a task ends: "relu: passed, 0.0123 ms, 1.52x vs eager, 1 attempt".
std::string FormatRowLine(const BenchRow& row);

// Everything results.json holds.
struct BenchResults {
  static constexpr int kSchemaVersion = 1;
  Target target;
  std::string workflow;
  std::string devices;
  std::string command;          // the first command line
  std::string started_utc;
  std::string finished_utc;     // "" while the bench runs (or when it crashed)
  bool interrupted = false;
  struct Resume {
    std::string command, started_utc;
  };
  std::vector<Resume> resumes;  // each --resume of this folder
  std::vector<BenchRow> rows;
};

// The results.json object: the fields above, per task the row, and "figures".
Json BenchResultsJson(const BenchResults& r);
// The error names `what` (the file) and the problem; a newer schema is refused.
Result<BenchResults> BenchResultsFromJson(const Json& j, const std::string& what);
std::string BenchMarkdown(const BenchResults& r);

// A row --resume keeps: not cancelled, not an agent_error.
bool Finished(const BenchRow& row);
// --resume: the indices of `task_names` that have no finished row. `rows` keeps the finished
// rows only, in their order.
std::vector<size_t> TasksToRun(const std::vector<std::string>& task_names,
                               std::vector<BenchRow>* rows);

// "Why" as the table shows it: one line, at most `width` characters.
std::string ShortWhy(const std::string& why, size_t width = 60);

}  // namespace akg
