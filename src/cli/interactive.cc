#include "cli/interactive.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <ostream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "cli/report_command.h"
#include "cli/runs_command.h"
#include "core/files.h"
#include "session/run.h"
#include "workflow/progress.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHelp = R"(Say what kernel you need ("Generate a relu kernel") or paste KernelBench-style
PyTorch code (class Model, get_inputs, get_init_inputs); the task is shown before it runs.
  /target KEY=VALUE ...   change backend, arch, dsl, devices (e.g. /target dsl=triton_cuda arch=h100)
  /workflow NAME          default, coder_only, kernelgen_only, evolve, adaptive_search
  /config KEY=VALUE       override the DSL config (e.g. /config max_steps=2)
  /runs                   the runs so far (run history)
  /show N                 one run of the history, with its candidates
  /report N               write run N's HTML report
  /help                   this text
  /exit                   leave (or Ctrl-D); Ctrl-C stops the running step
)";

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

bool OpensLikePython(const std::string& text) {
  for (const char* lead : {"import ", "from ", "class ", "def ", "@", "#"}) {
    if (text.rfind(lead, 0) == 0) return true;
  }
  return text.find("class Model") != std::string::npos;
}

std::string ShapeText(const Json& entry) {
  if (!entry.is_object()) return "?";
  if (StringOr(entry, "kind", "") != "tensor") {
    return StringOr(entry, "type", "value") +
           (entry.contains("value") ? " " + entry["value"].dump() : "");
  }
  std::string dims;
  if (entry.contains("shape") && entry["shape"].is_array()) {
    for (const Json& d : entry["shape"]) dims += (dims.empty() ? "" : ", ") + d.dump();
  }
  return StringOr(entry, "dtype", "?") + " [" + dims + "]";
}

std::string ListText(const Json& inspection, const char* key) {
  std::string out;
  if (inspection.contains(key) && inspection[key].is_array()) {
    for (const Json& e : inspection[key]) out += "\n    " + ShapeText(e);
  }
  return out.empty() ? " none" : out;
}

std::string TaskSummary(const TaskInfo& task) {
  const Json& in = task.inspection;
  return fmt::format("task '{}'\n  inputs:{}\n  init inputs:{}\n  outputs:{}\n  reference: {:.3f} ms "
                     "(eager, {})\n",
                     task.name, ListText(in, "inputs"), ListText(in, "init_inputs"),
                     ListText(in, "outputs"), NumberOr(in, "reference_ms", 0),
                     StringOr(in, "device_used", "?"));
}

class Interactive {
 public:
  Interactive(const OpOptions& o, Env* env, LineReader* reader, std::ostream& out, std::ostream& err)
      : env_(env), reader_(reader), out_(out), err_(err), yes_(o.yes), workflow_(o.workflow) {
    options_.target = {o.framework, o.backend, o.arch, o.dsl};
    options_.devices = o.devices;
    options_.replay = o.replay;
    if (!o.config_file.empty()) {
      auto text = ReadFile(o.config_file);
      if (text.ok()) base_override_ = *text;
      options_.config_file = o.config_file;
    }
  }

  ~Interactive() {
    std::error_code ec;
    if (!override_file_.empty()) fs::remove(override_file_, ec);
  }

  int Loop() {
    auto opened = Open(options_);
    if (!opened.ok()) {
      err_ << "akg_cli: error: " << opened.message() << "\n";
      return 2;
    }
    Banner();
    while (true) {
      ReadResult entry = reader_->Read("akg> ");
      if (entry.kind == ReadResult::Kind::kEof) break;
      if (entry.kind == ReadResult::Kind::kInterrupted) continue;
      EntryKind kind = ClassifyEntry(entry);
      if (kind == EntryKind::kEmpty) continue;
      if (kind != EntryKind::kCode) reader_->Remember(Trim(entry.text));
      if (kind == EntryKind::kCommand) {
        if (!Command(Trim(entry.text))) break;
      } else if (kind == EntryKind::kCode) {
        Task({TaskInput::Kind::kCode, entry.text});
      } else {
        Task({TaskInput::Kind::kSentence, Trim(entry.text)});
      }
    }
    out_ << "bye\n";
    return 0;
  }

 private:
  Status Open(const SessionOptions& o) {
    auto notes = [this](const std::string& note) {
      std::lock_guard<std::mutex> lock(note_mu_);
      err_ << "akg_cli: note: " << note << "\n";
    };
    AKG_ASSIGN_OR_RETURN(auto session, Session::Open(o, env_, notes));
    session_.reset();  // the old servers stop before the new ones start importing
    session_ = std::move(session);
    options_ = o;
    return Status::Ok();
  }

  std::string Workflow() const {
    return workflow_.empty() ? session_->config().default_workflow : workflow_;
  }

  void Banner() {
    const Target& t = session_->target();
    bool llm = !session_->llm_settings().models.empty();
    out_ << fmt::format("akg_cli interactive session: {}/{}/{} on devices {}, workflow {}, {}\n",
                        t.backend, t.arch, t.dsl, options_.devices, Workflow(),
                        llm ? "models from the settings" : "the builtin offline model");
    out_ << "Say what kernel you need, or paste PyTorch code; /help lists the commands.\n";
  }

  // false: leave the session.
  bool Command(const std::string& line) {
    std::string name = line.substr(0, line.find(' '));
    std::string args = line.size() > name.size() ? Trim(line.substr(name.size())) : "";
    if (name == "/exit" || name == "/quit") return false;
    if (name == "/help") {
      out_ << kHelp;
    } else if (name == "/workflow") {
      SetWorkflow(args);
    } else if (name == "/target") {
      auto next = ApplyTargetArgs(options_, args);
      Reopen(next);
    } else if (name == "/config") {
      ConfigCommand(args);
    } else if (name == "/runs" || name == "/show" || name == "/report") {
      History(name, args);
    } else {
      out_ << "unknown command " << name << "; /help lists the commands\n";
    }
    return true;
  }

  void SetWorkflow(const std::string& name) {
    const WorkflowInfo* w = FindWorkflow(name);
    if (w == nullptr || w->needs_kernel) {
      out_ << "unknown workflow '" << name << "'; use default, coder_only, kernelgen_only, evolve "
              "or adaptive_search (verifier_only needs `op --kernel`)\n";
      return;
    }
    workflow_ = name;
    out_ << "workflow: " << workflow_ << "\n";
  }

  void Reopen(const Result<SessionOptions>& next) {
    if (!next.ok()) {
      out_ << "error: " << next.status().message() << "\n";
      return;
    }
    out_ << "[session] starting the device pool for " << next->target.backend << "/"
         << next->target.arch << "/" << next->target.dsl << "\n";
    if (Status s = Open(*next); !s.ok()) {
      out_ << "error: " << s.message() << " (the session keeps " << options_.target.dsl << ")\n";
      return;
    }
    Banner();
  }

  void ConfigCommand(const std::string& args) {
    auto setting = ParseConfigSetting(args);
    if (!setting.ok()) {
      out_ << "error: " << setting.status().message() << "\n";
      return;
    }
    auto settings = config_settings_;
    settings.push_back(*setting);
    auto merged = MergeConfigOverride(base_override_, settings);
    if (!merged.ok()) {
      out_ << "error: " << merged.status().message() << "\n";
      return;
    }
    if (override_file_.empty()) {
      std::string tmpl = (fs::temp_directory_path() / "akg-config-XXXXXX").string();
      int fd = mkstemp(tmpl.data());
      if (fd < 0) {
        out_ << "error: cannot create a temporary config file\n";
        return;
      }
      close(fd);
      override_file_ = tmpl;
    }
    if (Status w = WriteFileAtomic(override_file_, *merged); !w.ok()) {
      out_ << "error: " << w.message() << "\n";
      return;
    }
    SessionOptions next = options_;
    next.config_file = override_file_.string();
    if (Status s = Open(next); !s.ok()) {
      out_ << "error: " << s.message() << "\n";
      return;
    }
    config_settings_ = std::move(settings);
    out_ << "config: " << setting->first << " = " << setting->second << "\n";
  }

  void History(const std::string& name, const std::string& args);

  void Task(TaskInput input) {
    while (true) {
      akg::Run run(session_.get(), Request(input), Printer());
      if (Status s = run.Check(); !s.ok()) {
        out_ << "error: " << s.message() << "\n";
        return;
      }
      SetInterruptTarget(run.token());
      auto task = run.Task();
      SetInterruptTarget(nullptr);
      if (!task.ok()) {
        out_ << (task.status().kind() == ErrorKind::kCancelled ? "interrupted"
                                                                 : "error: " + task.status().message())
             << "\n";
        return;
      }
      out_ << TaskSummary(**task);
      std::string answer = yes_ ? "y" : Ask();
      if (answer == "n" || answer == "no") {
        out_ << "discarded\n";
        return;
      }
      if (answer == "e" || answer == "edit") {
        auto edited = Edit((*task)->source);
        if (!edited.ok()) {
          out_ << "error: " << edited.status().message() << "\n";
          return;
        }
        input = {TaskInput::Kind::kCode, *edited};
        continue;
      }
      if (answer.rfind("w ", 0) == 0 || answer.rfind("workflow ", 0) == 0) {
        SetWorkflow(Trim(answer.substr(answer.find(' '))));
        continue;  // asks again, with the new workflow
      }
      if (!answer.empty() && answer != "y" && answer != "yes") {
        out_ << "not understood: '" << answer << "'; the task is discarded\n";
        return;
      }
      Execute(run);
      return;
    }
  }

  std::string Ask() {
    ReadResult r = reader_->Read(fmt::format("run it with the {} workflow? [Y]es, [n]o, [e]dit, "
                                             "[w]orkflow NAME: ", Workflow()));
    if (r.kind == ReadResult::Kind::kInterrupted || r.kind == ReadResult::Kind::kEof) return "n";
    std::string a = Trim(r.text);
    for (char& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return a;
  }

  // Opens the task in $VISUAL/$EDITOR (vi when neither is set); the edited text comes back.
  Result<std::string> Edit(const std::string& source) {
    std::string tmpl = (fs::temp_directory_path() / "akg-task-XXXXXX.py").string();
    int fd = mkstemps(tmpl.data(), 3);
    if (fd < 0) return InternalError("cannot create a temporary task file");
    close(fd);
    AKG_RETURN_IF_ERROR(WriteFileAtomic(tmpl, source));
    std::string editor = env_->Var("VISUAL").value_or(env_->Var("EDITOR").value_or("vi"));
    int rc = std::system((editor + " '" + tmpl + "'").c_str());
    auto text = ReadFile(tmpl);
    std::error_code ec;
    fs::remove(tmpl, ec);
    if (rc != 0) return InputError("the editor '" + editor + "' exited with status " + std::to_string(rc));
    return text;
  }

  RunRequest Request(const TaskInput& input) const {
    RunRequest r;
    r.task = input;
    r.workflow = Workflow();
    r.command_line = "akg_cli op (interactive session)";
    return r;
  }

  RunEventSink Printer() {
    return [this](const RunEvent& e) {
      if (e.kind == RunEvent::Kind::kStatus) return progress_.Status(FormatRunEvent(e));
      if (e.kind == RunEvent::Kind::kDesign) {
        int lines = 1;
        for (char c : e.text) lines += c == '\n';
        return progress_.Line(fmt::format("[design] sketch of {} lines (design.md in the run folder)", lines));
      }
      progress_.Line(FormatRunEvent(e));
    };
  }

  void Execute(akg::Run& run) {
    SetInterruptTarget(run.token());
    auto result = run.Execute();
    SetInterruptTarget(nullptr);
    progress_.Finish();
    if (!result.ok()) {
      out_ << (result.status().kind() == ErrorKind::kCancelled ? "interrupted"
                                                                 : "error: " + result.status().message())
           << "\n";
      return;
    }
    out_ << "\n" << result->final_table;
    if (result->outcome.interrupted) {
      const WorkflowInfo* w = FindWorkflow(run.workflow());
      out_ << "interrupted: " << result->folder.string() << " keeps what was done"
           << (w != nullptr && w->resumable ? "; continue it with akg_cli op --resume " +
                                                  result->folder.string()
                                            : "")
           << "\n";
    }
  }

  Env* env_;
  LineReader* reader_;
  std::ostream& out_;
  std::ostream& err_;
  bool yes_;
  std::string workflow_;
  SessionOptions options_;
  std::unique_ptr<Session> session_;
  std::string base_override_;
  std::vector<std::pair<std::string, std::string>> config_settings_;
  fs::path override_file_;
  std::mutex note_mu_;
  Progress progress_{&out_, true};
};

// /runs [DSL or task filter words are not taken: the newest runs], /show N, /report N: the
// same commands as `akg_cli runs`, `runs show` and `report`, on the same history file.
void Interactive::History(const std::string& name, const std::string& args) {
  if (name == "/runs") {
    RunsOptions o;
    o.limit = 20;
    RunRunsCommand(o, env_, out_, out_);
    return;
  }
  std::string id = Trim(args);
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    out_ << "use " << name << " ID, with an ID from /runs\n";
    return;
  }
  if (name == "/show") {
    RunsOptions o;
    o.show = true;
    o.id = std::stoll(id);
    RunRunsCommand(o, env_, out_, out_);
  } else {
    ReportOptions o;
    o.run = id;
    RunReportCommand(o, out_, out_, env_);
  }
}

}  // namespace

EntryKind ClassifyEntry(const ReadResult& entry) {
  std::string text = Trim(entry.text);
  if (text.empty()) return EntryKind::kEmpty;
  bool multiline = text.find('\n') != std::string::npos;
  if (!multiline && text[0] == '/') return EntryKind::kCommand;
  if ((entry.kind == ReadResult::Kind::kPaste && multiline) || OpensLikePython(text)) {
    return EntryKind::kCode;
  }
  return EntryKind::kSentence;
}

Result<std::pair<std::string, std::string>> ParseConfigSetting(const std::string& text) {
  size_t eq = text.find('=');
  std::string key = eq == std::string::npos ? "" : Trim(text.substr(0, eq));
  std::string value = eq == std::string::npos ? "" : Trim(text.substr(eq + 1));
  if (key.empty() || value.empty() || key.find_first_of(" \t") != std::string::npos) {
    return UsageError("use /config KEY=VALUE, e.g. /config max_steps=2 or "
                      "/config verify_settings.trials=3");
  }
  return std::make_pair(key, value);
}

Result<std::string> MergeConfigOverride(
    const std::string& base_yaml, const std::vector<std::pair<std::string, std::string>>& settings) {
  try {
    YAML::Node root = Trim(base_yaml).empty() ? YAML::Node(YAML::NodeType::Map) : YAML::Load(base_yaml);
    if (!root.IsMap()) return InputError("the --config file is not a YAML mapping");
    for (const auto& [key, value] : settings) {
      YAML::Node cur = root;
      std::string rest = key;
      size_t dot;
      while ((dot = rest.find('.')) != std::string::npos) {
        std::string part = rest.substr(0, dot);
        if (!cur[part] || !cur[part].IsMap()) cur[part] = YAML::Node(YAML::NodeType::Map);
        YAML::Node next = cur[part];
        cur.reset(next);
        rest = rest.substr(dot + 1);
      }
      cur[rest] = YAML::Load(value);
    }
    YAML::Emitter emitter;
    emitter << root;
    return std::string(emitter.c_str()) + "\n";
  } catch (const YAML::Exception& e) {
    return InputError(std::string("cannot apply the setting: ") + e.what());
  }
}

Result<SessionOptions> ApplyTargetArgs(const SessionOptions& now, const std::string& args) {
  SessionOptions next = now;
  std::istringstream in(args);
  std::vector<std::string> positional;
  for (std::string word; in >> word;) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      positional.push_back(word);
      continue;
    }
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "backend") next.target.backend = value;
    else if (key == "arch") next.target.arch = value;
    else if (key == "dsl") next.target.dsl = value;
    else if (key == "devices") next.devices = value;
    else if (key == "framework") next.target.framework = value;
    else return UsageError("unknown /target key '" + key + "'; use backend, arch, dsl, devices");
  }
  if (positional.size() == 3 || positional.size() == 4) {
    next.target.backend = positional[0];
    next.target.arch = positional[1];
    next.target.dsl = positional[2];
    if (positional.size() == 4) next.devices = positional[3];
  } else if (!positional.empty() || args.empty()) {
    return UsageError("use /target KEY=VALUE ... (backend, arch, dsl, devices) or "
                      "/target BACKEND ARCH DSL [DEVICES]");
  }
  return next;
}

fs::path InteractiveHistoryPath(const Env& env) {
  if (auto state = env.Var("XDG_STATE_HOME"); state && !state->empty()) {
    return fs::path(*state) / "akg" / "history";
  }
  if (auto home = env.Var("HOME"); home && !home->empty()) {
    return fs::path(*home) / ".local" / "state" / "akg" / "history";
  }
  return "";
}

int RunInteractiveSession(const OpOptions& options, Env* env, LineReader* reader,
                          std::ostream& out, std::ostream& err) {
  Interactive session(options, env, reader, out, err);
  return session.Loop();
}

}  // namespace akg
