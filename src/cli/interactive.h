// The interactive session: `akg_cli op` with a target and no task, on a terminal.
//
//   LineReader ──entry──▶ ClassifyEntry ──▶ /command | pasted code | a sentence
//     code, sentence ──▶ Run::Task() (TaskConstructor) ──▶ the task shown (inputs, shapes,
//                        dtypes) ──▶ confirm / edit ($EDITOR) / pick a workflow (--yes skips)
//                    ──▶ Run::Execute() with Ctrl-C aimed at the run's token: the run's
//                        children die, the warm servers stay, and the prompt comes back
//     /target, /config  reopen the Session (new device pool and servers) with the change
//     /workflow, /runs, /show N, /report N, /help, /exit; Ctrl-D leaves
//
// Progress: one line per phase, attempt and verdict; a search's live status line; the
// design sketch as one line (it is in the run folder).
#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "cli/line_reader.h"
#include "cli/op_command.h"
#include "core/status.h"
#include "env/env.h"
#include "session/session.h"

namespace akg {

enum class EntryKind { kEmpty, kCommand, kCode, kSentence };
// A paste of several lines, or text that opens like a Python module, is code; a line starting
// with '/' is a command; anything else is a sentence for TaskConstructor.
EntryKind ClassifyEntry(const ReadResult& entry);

// "/config verify_settings.trials=3" -> {"verify_settings.trials", "3"}; errors name the form.
Result<std::pair<std::string, std::string>> ParseConfigSetting(const std::string& text);
// The --config override text with `settings` (dotted keys, YAML values) applied on top.
Result<std::string> MergeConfigOverride(const std::string& base_yaml,
                                        const std::vector<std::pair<std::string, std::string>>& settings);
// "/target dsl=triton_cuda arch=h100 devices=0,1" (or "cuda h100 triton_cuda") on top of `now`.
Result<SessionOptions> ApplyTargetArgs(const SessionOptions& now, const std::string& args);

// Where the session's line history is kept: $XDG_STATE_HOME/akg/history, else
// ~/.local/state/akg/history.
std::filesystem::path InteractiveHistoryPath(const Env& env);

// Runs the session until /exit or Ctrl-D; 0 then (a session that could not open: 2).
int RunInteractiveSession(const OpOptions& options, Env* env, LineReader* reader,
                          std::ostream& out, std::ostream& err);

}  // namespace akg
