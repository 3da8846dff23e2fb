// `akg_cli bench`: a suite of task files through one workflow on one Session, with a table of
// per-task outcomes and suite figures (fast_0, fast_1, geomean speedups).
//
//   bench DIR|FILES... --backend B --arch A --dsl D [--workflow W] [--devices 0,1]
//         [--config FILE] [--json] [--out DIR] [--resume DIR]
//
//   flags -> checks that need no Session (target, devices, the task files, --resume's
//            results.json and its target) -> Session::Open (config) -> the out folder
//         -> one Run per task (Check, Task, Execute) on up to |--devices| worker threads,
//            all on the one Session, so the device pool and its warm servers outlive a task
//         -> after every task: a row line on stderr, results.json and results.md rewritten
//            atomically (bench_results.h) -> the table and figures on stdout (or --json)
//
// Every task's outcome is a row: a decline, a failing kernel, a bad task file or a cancel never
// stops the suite. Ctrl-C (the process root token) cancels the running tasks and starts no
// more; the rows so far are written. --resume DIR re-reads DIR/results.json and runs only the
// tasks without a finished row (a cancelled task runs again), on the same target.
//
// A failure of the agent itself (kInternal: the harness Python cannot import torch, a folder
// cannot be written) would fail every later task too: the bench starts no more tasks.
//
// Exit codes: 0 the suite ran (whatever the verdicts), 2 bad input (one `akg_cli: error:` line;
// nothing written), 1 the agent failed (the rows so far are written) or the results could not
// be, 130 interrupted.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "env/env.h"

namespace CLI {
class App;
}

namespace akg {

struct BenchOptions {
  std::vector<std::string> inputs;  // one folder (its *.py, sorted, not recursive) or files
  std::string framework = "torch";
  std::string backend;
  std::string arch;
  std::string dsl;
  std::string workflow;             // "" = the config's default_workflow (or --resume's)
  std::string devices = "0";        // comma list; also how many tasks run at once
  std::string config_file;          // --config, overrides configs/<dsl>.yaml key by key
  std::string out_dir;              // "" = <log_dir>/bench-<UTC stamp>
  std::string resume;               // --resume: a bench folder holding results.json
  bool json = false;                // results.json's object on stdout instead of the table
  std::string command_line;         // recorded in results.json
};

struct BenchDeps {
  Env* env = nullptr;
  std::ostream* out = nullptr;  // the table (or JSON)
  std::ostream* err = nullptr;  // progress, notes, one-line errors
};

int RunBenchCommand(const BenchOptions& options, const BenchDeps& deps);

// Adds the flags to `cmd`; the runner uses the real environment.
std::function<int()> SetupBenchCommand(CLI::App* cmd, const std::string& command_line);

}  // namespace akg
