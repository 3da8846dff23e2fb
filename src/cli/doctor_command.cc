#include "cli/doctor_command.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/doctor_checks.h"
#include "cli/interactive.h"
#include "config/dsl_config.h"
#include "config/target.h"
#include "core/json.h"
#include "llm/registry.h"
#include "llm/settings.h"
#include "store/history.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLevels[] = {"complex", "standard", "fast"};
constexpr int kOnlineMaxTokens = 8;
constexpr double kOnlineTimeoutS = 30;

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

Result<DoctorTarget> ResolveTarget(const DoctorOptions& o) {
  DoctorTarget t;
  if (o.backend.empty() && o.arch.empty() && o.dsl.empty()) return t;
  std::vector<std::string> absent;
  if (o.backend.empty()) absent.push_back("--backend");
  if (o.arch.empty()) absent.push_back("--arch");
  if (o.dsl.empty()) absent.push_back("--dsl");
  if (!absent.empty()) {
    return UsageError("doctor checks one whole target: give --backend, --arch and --dsl "
                      "together (missing: " + Join(absent) + "), or none for the CPU path");
  }
  AKG_ASSIGN_OR_RETURN(TargetRow row, ValidateTarget({"torch", o.backend, o.arch, o.dsl}));
  t.backend = o.backend;
  t.arch = o.arch;
  t.dsl = o.dsl;
  t.device = row.harness_device;
  return t;
}

std::vector<std::string> Packages(const DoctorTarget& t) {
  std::vector<std::string> p = {"torch", "numpy", "triton"};
  if (t.dsl == "tilelang_cuda") p.push_back("tilelang");
  if (t.device == "npu") p.push_back("torch_npu");
  return p;
}

// The same rule as DefaultCacheDir (verify/peaks.h), read through Env so tests control it.
fs::path CacheDir(const Env& env) {
  if (auto xdg = env.Var("XDG_CACHE_HOME"); xdg && !xdg->empty()) return fs::path(*xdg) / "akg";
  if (auto home = env.Var("HOME"); home && !home->empty()) {
    return fs::path(*home) / ".cache" / "akg";
  }
  return fs::temp_directory_path() / "akg";
}

// Makes and removes a file in `dir`: the only test of writability that also holds for root,
// read-only mounts and ACLs. "" = it worked.
std::string TryWrite(const fs::path& dir) {
  std::string pattern = (dir / ".akg-doctor-XXXXXX").string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0) return std::strerror(errno);
  ::close(fd);
  ::unlink(name.data());
  return "";
}

// Whether files can be made in `folder`: in it, or (when it does not exist yet) in the
// nearest folder above it that does. Leaves nothing behind.
DoctorCheck CheckFolder(const std::string& name, const fs::path& folder, bool needed) {
  DoctorCheck c(name);
  c.needed = needed;
  if (folder.empty()) {
    c.status = CheckStatus::kProblem;
    c.detail = "no folder: neither HOME nor the XDG variable for it is set";
    c.fix = "export HOME=<your home folder>";
    return c;
  }
  std::error_code ec;
  fs::path existing = folder;
  while (!fs::exists(existing, ec) && existing.has_parent_path() &&
         existing != existing.parent_path()) {
    existing = existing.parent_path();
  }
  if (!fs::is_directory(existing, ec)) {
    c.status = CheckStatus::kProblem;
    c.detail = folder.string() + ": " + existing.string() + " is not a folder";
    c.fix = "mv " + ShellWord(existing.string()) + " " + ShellWord(existing.string() + ".bak");
    return c;
  }
  std::string error = TryWrite(existing);
  if (!error.empty()) {
    c.status = CheckStatus::kProblem;
    c.detail = folder.string() + ": cannot write in " + existing.string() + ": " + error;
    c.fix = "chmod u+w " + ShellWord(existing.string());
    return c;
  }
  c.detail = folder.string() + (existing == folder
                                    ? " (writable)"
                                    : " (not made yet; " + existing.string() + " is writable)");
  return c;
}

bool KeyRequired(const ModelSpec& m) {
  // A local OpenAI-compatible server (vLLM, llama.cpp) takes no key; the hosted APIs do.
  return m.provider == "anthropic" ||
         (m.provider == "openai" && m.base_url.find("api.openai.com") != std::string::npos);
}

// One tiny call through the client a run would use: ok, or the provider's one line.
std::string CallModel(ModelRegistry* registry, const std::string& level, bool* ok) {
  auto client = registry->ForLevel(level);
  *ok = false;
  if (!client.ok()) return "failed: " + client.status().message();
  LlmRequest request;
  request.agent = "doctor";
  request.messages = {{"user", "Reply with one word: ok"}};
  request.max_tokens = kOnlineMaxTokens;
  LlmErrorKind kind = LlmErrorKind::kNone;
  auto reply = (*client)->Complete(request, &kind);
  if (reply.ok()) {
    *ok = true;
    return fmt::format("answered in {:.1f} s", reply->seconds);
  }
  // A reasoning model spends 8 tokens before any text: it was reached, which is the question.
  if (kind == LlmErrorKind::kTruncated || kind == LlmErrorKind::kEmpty) {
    *ok = true;
    return fmt::format("reached (no text within {} tokens)", kOnlineMaxTokens);
  }
  std::string line = reply.status().message();
  return "failed: " + line.substr(0, line.find('\n'));
}

// What a run would get for `level`, and with --online whether it answers. `called` keeps one
// call per model, however many levels share it.
DoctorCheck ModelCheck(const LlmSettings& settings, const std::string& level, bool online,
                       ModelRegistry* registry,
                       std::map<std::string, std::pair<bool, std::string>>* called) {
  DoctorCheck c("model " + level, true);  // a model that cannot answer stops LLM-backed runs
  auto spec = ResolveLevel(settings, level);
  if (!spec || spec->provider == "builtin") {
    c.detail = "builtin (the offline model)";
    return c;
  }
  c.detail = registry->DescribeLevel(level);
  if (!settings.levels.count(level)) c.detail += ", by fallback";
  bool http = spec->provider == "openai" || spec->provider == "anthropic";
  if (http) c.detail += spec->api_key.empty() ? ", no API key" : ", API key set";
  if (http && spec->api_key.empty() && KeyRequired(*spec)) {
    c.status = CheckStatus::kProblem;
    c.fix = fmt::format("export {}=<your key>  # or api_key_env in .akg/settings.yaml",
                        spec->provider == "anthropic" ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY");
    return c;
  }
  if (!online) return c;
  if (spec->provider == "replay") {
    c.detail += "; online: skipped (a replay makes no calls)";
    return c;
  }
  if (!called->count(spec->name)) {
    bool ok = false;
    std::string line = CallModel(registry, level, &ok);
    (*called)[spec->name] = {ok, line};
  }
  const auto& [ok, line] = (*called)[spec->name];
  c.detail += "; online: " + line;
  if (!ok) {
    c.status = CheckStatus::kProblem;
    std::string where = settings.sources.empty() ? ".akg/settings.yaml" : settings.sources.back();
    c.fix = "fix model '" + spec->name + "' in " + where;
  }
  return c;
}

std::vector<DoctorCheck> ModelChecks(const LlmSettings& settings, bool online, Env* env) {
  std::vector<DoctorCheck> checks;
  DoctorCheck from("settings");
  from.detail = settings.sources.empty()
                    ? "no settings file or AKG_*_MODEL variable: every agent uses the builtin "
                      "offline model"
                    : "from " + Join(settings.sources);
  checks.push_back(from);
  // The doctor's calls must be quick: no retries, no long waits, no long answers.
  LlmSettings quick = settings;
  for (auto& [name, m] : quick.models) {
    m.retry.max_retries = 0;
    m.timeouts.total_s = std::min(m.timeouts.total_s, kOnlineTimeoutS);
    m.timeouts.idle_s = std::min(m.timeouts.idle_s, kOnlineTimeoutS);
    m.stream = false;
  }
  ModelRegistry registry(quick, LlmDeps{env->runner(), env->clock()}, nullptr, nullptr);
  std::map<std::string, std::pair<bool, std::string>> called;  // model name -> (ok, line)
  for (const char* level : kLevels) {
    checks.push_back(ModelCheck(settings, level, online, &registry, &called));
  }
  return checks;
}

std::vector<DoctorCheck> FolderChecks(const Env& env, const std::string& log_dir,
                                      const fs::path& history_db) {
  fs::path runs = fs::path(log_dir).is_absolute() ? fs::path(log_dir) : env.WorkingDir() / log_dir;
  fs::path history = history_db.empty() ? DefaultHistoryPath(env) : history_db;
  fs::path session = InteractiveHistoryPath(env);
  // Only the run folder stops a run; the histories and the cache are conveniences whose
  // failures are notes.
  return {
      CheckFolder("run folder", runs.lexically_normal(), true),
      CheckFolder("run history", history.empty() ? fs::path() : history.parent_path(), false),
      CheckFolder("session history", session.empty() ? fs::path() : session.parent_path(), false),
      CheckFolder("cache", CacheDir(env), false)};
}

bool Blocks(const DoctorCheck& c) {
  return c.needed && (c.status == CheckStatus::kMissing || c.status == CheckStatus::kProblem);
}

void PrintText(const std::vector<DoctorCheck>& checks, const DoctorTarget& t, bool named,
               std::ostream& out) {
  out << "akg_cli doctor: " << t.Name() << (named ? "" : " (no target named: the CPU path)")
      << "\n";
  size_t width = 0;
  for (const auto& c : checks) width = std::max(width, c.name.size());
  std::vector<std::string> blocking;
  for (const auto& c : checks) {
    bool bad = c.status == CheckStatus::kMissing || c.status == CheckStatus::kProblem;
    std::string note = bad && !c.needed ? " (optional for " + t.Name() + ")" : "";
    out << fmt::format("  {:<8} {:<{}}  {}{}\n", CheckStatusName(c.status), c.name, width, c.detail,
                       note);
    if (!c.fix.empty()) out << fmt::format("  {:<8} {:<{}}  fix: {}\n", "", "", width, c.fix);
    if (Blocks(c)) blocking.push_back(c.name);
  }
  if (blocking.empty()) {
    out << "ready: " << t.Name() << " can run here\n";
  } else {
    out << "not ready: " << t.Name() << " cannot run here until these are fixed: " << Join(blocking)
        << "\n";
  }
}

void PrintJson(const std::vector<DoctorCheck>& checks, const DoctorTarget& t, bool named, bool ok,
               std::ostream& out) {
  // Ordered, so that "ok" and "target" come first for a person reading it.
  using Ordered = nlohmann::ordered_json;
  Ordered list = Ordered::array();
  for (const auto& c : checks) {
    list.push_back({{"name", c.name},
                    {"status", CheckStatusName(c.status)},
                    {"detail", c.detail},
                    {"fix", c.fix},
                    {"needed", c.needed}});
  }
  Ordered doc = {{"ok", ok}, {"target", t.Name()}, {"target_named", named}, {"checks", list}};
  // Tool output may hold bytes that are not UTF-8; dump() would throw on them.
  out << doc.dump(2, ' ', false, Ordered::error_handler_t::replace) << "\n";
}


DoctorCheck ConfigCheck(const Result<DslConfig>& config, const fs::path& file) {
  DoctorCheck c("dsl config", true);
  c.detail = file.string();
  if (!config.ok()) {
    c.status = CheckStatus::kProblem;
    c.detail = config.status().message();
    c.fix = "export AKG_HOME=<the folder with configs/ and harness/>  # or fix the file";
  }
  return c;
}

std::vector<DoctorCheck> SettingsChecks(const Result<LlmSettings>& settings, bool online,
                                        Env* env) {
  if (settings.ok()) return ModelChecks(*settings, online, env);
  DoctorCheck bad("settings", true);
  bad.status = CheckStatus::kProblem;
  bad.detail = settings.status().message();
  bad.fix = "fix the file or variable the message names";
  return {bad};
}

// Every check, in the order they are printed: the machine, the harness Python, the GPUs, then
// the agent's own config, models and folders. `keys` gets the API keys to redact.
std::vector<DoctorCheck> AllChecks(const DoctorOptions& o, const DoctorTarget& t, Env* env,
                                   std::vector<std::string>* keys) {
  fs::path home = AkgHome(*env);
  auto config = LoadDslConfig(home / "configs", t.dsl, std::nullopt);
  std::vector<DoctorCheck> checks = {CheckCompiler(env)};
  auto add = [&checks](std::vector<DoctorCheck> more) {
    for (auto& c : more) checks.push_back(std::move(c));
  };
  std::string rule;
  std::string python = FindHarnessPython(*env, config.ok() ? config->python : "", &rule);
  std::vector<std::string> packages = Packages(t);
  PythonProbe probe = ProbePython(env, python, rule, packages);
  add(CheckNvcc(env, probe, t));
  auto pins = RequirementPins(home / "harness" / "requirements.txt");
  add(PythonChecks(probe, t, packages, pins, home));
  checks.push_back(CheckGpus(env, probe, t));
  checks.push_back(ConfigCheck(config, home / "configs" / (t.dsl + ".yaml")));
  auto settings = LoadLlmSettings(env->WorkingDir(), env->Lookup());
  if (settings.ok()) *keys = ApiKeys(*settings);
  add(SettingsChecks(settings, o.online, env));
  add(FolderChecks(*env, config.ok() ? config->log_dir : DslConfig().log_dir,
                   settings.ok() ? settings->history_db : fs::path()));
  return checks;
}

}  // namespace

int RunDoctorCommand(const DoctorOptions& o, Env* env, std::ostream& out, std::ostream& err) {
  auto target = ResolveTarget(o);
  if (!target.ok()) {
    err << "akg_cli: error: " << target.status().message() << "\n";
    return 2;
  }
  bool named = !o.dsl.empty();  // ResolveTarget takes all three flags or none
  std::vector<std::string> keys;
  std::vector<DoctorCheck> checks = AllChecks(o, *target, env, &keys);
  bool ok = true;
  for (auto& c : checks) {
    // A provider's error or a tool's output could echo a key: never let one out.
    c.detail = RedactSecrets(c.detail, keys);
    c.fix = RedactSecrets(c.fix, keys);
    ok = ok && !Blocks(c);
  }
  if (o.json) {
    PrintJson(checks, *target, named, ok, out);
  } else {
    PrintText(checks, *target, named, out);
  }
  return ok ? 0 : 1;
}

std::function<int()> SetupDoctorCommand(CLI::App* cmd) {
  auto o = std::make_shared<DoctorOptions>();
  cmd->add_option("--backend", o->backend,
                  "cuda | cpu | ascend (with --arch and --dsl; default: the CPU path "
                  "cpu/x86_64/cpp)");
  cmd->add_option("--arch", o->arch, "e.g. x86_64, h100, a100, ascend910b4");
  cmd->add_option("--dsl", o->dsl, "triton_cuda | cuda | tilelang_cuda | cpp | triton_ascend");
  cmd->add_flag("--online", o->online,
                "also make one tiny call (8 tokens at most) to each configured model");
  cmd->add_flag("--json", o->json, "JSON on stdout: {\"ok\", \"target\", \"checks\": [...]}");
  cmd->footer(
      "\nExit code: 0 the target can run here, 1 it cannot, 2 bad flags.\n"
      "Examples:\n  akg_cli doctor\n"
      "  akg_cli doctor --backend cuda --arch h100 --dsl triton_cuda --online\n"
      "  akg_cli doctor --json\n");
  return [o] {
    SystemEnv env;
    return RunDoctorCommand(*o, &env, std::cout, std::cerr);
  };
}

}  // namespace akg
