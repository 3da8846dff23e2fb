#include "cli/op_command.h"

#include <filesystem>
#include <mutex>
#include <ostream>

#include "core/json.h"
#include "session/run.h"
#include "session/run_manifest.h"
#include "session/session.h"
#include "workflow/progress.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

int ExitCodeFor(const Status& s) {
  if (s.kind() == ErrorKind::kCancelled) return 130;
  if (s.kind() == ErrorKind::kInternal) return 1;
  return 2;
}

int Fail(const OpOptions& o, const OpDeps& deps, const Status& s) {
  *deps.err << "akg_cli: error: " << s.message() << "\n";
  int code = ExitCodeFor(s);
  if (o.json) *deps.out << Json{{"exit_code", code}, {"error", s.message()}}.dump(2) << "\n";
  return code;
}

struct Plan {
  SessionOptions session;
  RunRequest run;
};

// The session and the run the flags ask for; the checks that need no Session (so no harness
// server starts for a bad invocation). --resume reads them from the folder's run.json.
Result<Plan> PlanFromFlags(const OpOptions& o, Env* env) {
  Plan p;
  p.run.kernel_file = o.kernel_file;
  p.run.command_line = o.command_line;
  if (!o.resume.empty()) {
    if (!o.task_file.empty() || !o.intent.empty() || !o.out_dir.empty()) {
      return UsageError("--resume continues the run in its own folder with its own task; drop "
                        "--task, --intent and --out");
    }
    AKG_ASSIGN_OR_RETURN(RunManifest m, ReadResumableManifest(o.resume));
    p.session = m.session;
    p.session.replay = o.replay;
    p.run.workflow = m.workflow;
    p.run.task = {TaskInput::Kind::kResume, o.resume};
    return p;
  }
  p.session.target = {o.framework, o.backend, o.arch, o.dsl};
  p.session.devices = o.devices;
  p.session.config_file = o.config_file;
  p.session.replay = o.replay;
  p.run.workflow = o.workflow;
  p.run.out_dir = o.out_dir;
  if (o.backend.empty() || o.arch.empty() || o.dsl.empty()) {
    return UsageError("give --backend, --arch and --dsl (or --resume RUN_FOLDER)");
  }
  AKG_RETURN_IF_ERROR(ValidateTarget(p.session.target).status());
  AKG_RETURN_IF_ERROR(ParseDevices(o.devices).status());
  if (o.task_file.empty() == o.intent.empty()) {
    return UsageError("give exactly one of --task FILE or --intent TEXT (on a terminal, without "
                      "either, op starts an interactive session)");
  }
  if (!o.intent.empty()) {
    p.run.task = {TaskInput::Kind::kSentence, o.intent};
  } else if (o.task_file == "-") {
    AKG_ASSIGN_OR_RETURN(std::string code, env->ReadStdin());
    if (code.find_first_not_of(" \n\t\r") == std::string::npos) {
      return InputError("--task - read no code from stdin; pipe or paste the PyTorch code");
    }
    p.run.task = {TaskInput::Kind::kCode, code};
  } else {
    if (!fs::is_regular_file(o.task_file)) {
      return InputError("task file '" + o.task_file + "' does not exist; check the --task path");
    }
    p.run.task = {TaskInput::Kind::kFile, o.task_file};
  }
  return p;
}

}  // namespace

int RunOpCommand(const OpOptions& given, const OpDeps& deps) {
  auto plan = PlanFromFlags(given, deps.env);
  if (!plan.ok()) return Fail(given, deps, plan.status());
  auto note_mu = std::make_shared<std::mutex>();
  std::ostream* err = deps.err;
  NoteSink notes = [err, note_mu](const std::string& note) {
    std::lock_guard<std::mutex> lock(*note_mu);
    *err << "akg_cli: note: " << note << "\n";
  };
  auto session = Session::Open(plan->session, deps.env, notes);
  if (!session.ok()) return Fail(given, deps, session.status());

  // --json keeps stdout for the result: progress goes where the notes go.
  Progress progress(given.json ? deps.err : deps.out, !given.json && deps.env->StdoutIsTerminal());
  RunEventSink print = [&progress](const RunEvent& e) {
    if (e.kind == RunEvent::Kind::kStatus) {
      progress.Status(FormatRunEvent(e));
    } else {
      progress.Line(FormatRunEvent(e));
    }
  };
  Run run(session->get(), plan->run, print);
  if (Status checked = run.Check(); !checked.ok()) return Fail(given, deps, checked);
  auto result = run.Execute();
  progress.Finish();
  if (!result.ok()) return Fail(given, deps, result.status());
  if (given.json) {
    *deps.out << Json{{"exit_code", result->exit_code}, {"run_folder", result->folder.string()},
                      {"report", result->report}}.dump(2)
              << "\n";
  } else {
    *deps.out << "\n" << result->final_table;
  }
  return result->exit_code;
}

}  // namespace akg
