// `akg_cli doctor`: whether this machine can run a target, one line per thing it needs, and for
// each missing piece the command that fixes it.
//
//   doctor [--backend B --arch A --dsl D] [--online] [--json]
//
//   flags ─ValidateTarget─▶ DoctorTarget (none named: the CPU path, cpu/x86_64/cpp)
//     ─▶ the probes of doctor_checks.h: c++ compiler, nvcc (and torch's CUDA), the harness
//        Python and its packages, the GPUs, then here: the DSL config, the models of
//        settings.yaml (with --online one tiny call each), the folders the agent writes
//     ─▶ lines (ok / missing / problem / skipped, with fix lines), or JSON on `out`
//
// API keys are never printed, only whether one is set; every line also passes RedactSecrets.
// Exit codes: 0 the target can run here (every check it needs is ok), 1 it cannot, 2 bad flags
// (one `akg_cli: error:` line on `err`). With --json, `out` gets the JSON document and nothing
// else.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include "env/env.h"

namespace CLI {
class App;
}

namespace akg {

struct DoctorOptions {
  // The target to check; all three or none ("" = none: the CPU path cpu/x86_64/cpp).
  std::string backend;
  std::string arch;
  std::string dsl;
  bool online = false;  // --online: one call (8 tokens at most) to each configured model
  bool json = false;    // --json: {"ok", "target", "checks": [...]} on stdout instead of lines
};

// Adds the flags to `cmd`; the runner uses the real environment.
std::function<int()> SetupDoctorCommand(CLI::App* cmd);

int RunDoctorCommand(const DoctorOptions& options, Env* env, std::ostream& out, std::ostream& err);

}  // namespace akg
