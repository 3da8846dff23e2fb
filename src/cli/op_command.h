// `akg_cli op`: from a task (file, pasted code or sentence) and a target to a verified,
// profiled kernel. A thin front end over the Session and one Run (src/session):
//
//   flags -> checks that need no Session (exactly one task, the files exist, stdin read)
//         -> Session::Open (target, config, settings, skills, device pool)
//         -> Run: Check, Task (staged, inspected), Execute (agents, folder, workflow, reports)
//         -> the final table on `out`; RunEvents printed as lines as they come
//
// --resume RUN_FOLDER takes the target, workflow, devices and --config of the interrupted
// run from its run.json (and the task from its task.py/inspect.json) and continues it.
//
// Everything that can be wrong with the input is checked before the run folder is created,
// so a bad invocation leaves nothing behind.
#pragma once

#include <iosfwd>
#include <string>

#include "env/env.h"

namespace akg {

struct OpOptions {
  std::string framework = "torch";
  std::string backend;
  std::string arch;
  std::string dsl;
  std::string devices = "0";           // comma list of device ids
  std::string task_file;               // --task ("-": pasted code on stdin)
  std::string intent;                  // --intent
  std::string workflow;                // "" = the config's default_workflow
  std::string kernel_file;             // --kernel: the kernel verifier_only checks
  std::string resume;                  // --resume: an interrupted evolve/adaptive_search folder
  std::string replay;                  // --replay: a run folder whose LLM transcript serves every call
  std::string config_file;             // --config, overrides configs/<dsl>.yaml key by key
  std::string out_dir;                 // --out: the run folder ("" = <log_dir>/<stamp>-...)
  bool yes = false;                    // --yes: never ask (the interactive session's confirm)
  bool json = false;                   // --json: the result as JSON on stdout, progress on stderr
  std::string command_line;            // for the report
};

struct OpDeps {
  Env* env = nullptr;
  std::ostream* out = nullptr;  // progress and the final table
  std::ostream* err = nullptr;  // one-line errors and notices
};

// Exit codes: 0 a verified kernel, 1 none found, 2 usage/config/input error, 130 interrupted.
// With --json, stdout holds one JSON object: {"exit_code", "run_folder", "report"} (report.json's
// content), or {"exit_code", "error"}; progress and notes go to stderr.
int RunOpCommand(const OpOptions& options, const OpDeps& deps);

}  // namespace akg
