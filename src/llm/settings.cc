#include "llm/settings.h"

#include <cstdlib>
#include <set>

#include <yaml-cpp/yaml.h>

#include "core/files.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kLevelNames = {"complex", "standard", "fast"};
const std::set<std::string> kProviders = {"openai", "anthropic", "command", "replay", "builtin"};

struct Where {
  const std::string& file;
  std::string Key(const std::string& key) const { return "key '" + key + "' in " + file; }
};

Status Bad(const Where& w, const std::string& key, const std::string& expected) {
  return ConfigError(w.Key(key) + " must be " + expected);
}

Status Unknown(const Where& w, const std::string& key, const std::set<std::string>& known) {
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  return ConfigError("unknown " + w.Key(key) + "; known keys here: " + list);
}

template <typename T>
Result<T> Scalar(const Where& w, const std::string& key, const YAML::Node& n,
                 const std::string& expected) {
  try {
    if (n.IsScalar()) return n.as<T>();
  } catch (const YAML::Exception&) {
  }
  return Bad(w, key, expected);
}

Result<double> NonNegative(const Where& w, const std::string& key, const YAML::Node& n) {
  auto v = Scalar<double>(w, key, n, "a number >= 0");
  if (v.ok() && *v < 0) return Bad(w, key, "a number >= 0");
  return v;
}

Result<int> IntAtLeast(const Where& w, const std::string& key, const YAML::Node& n, int min) {
  auto v = Scalar<int>(w, key, n, "an integer >= " + std::to_string(min));
  if (v.ok() && *v < min) return Bad(w, key, "an integer >= " + std::to_string(min));
  return v;
}

// Converts a YAML node to JSON (scalars become numbers/bools when they parse as such).
Json YamlToJson(const YAML::Node& n) {
  if (n.IsMap()) {
    Json j = Json::object();
    for (const auto& kv : n) j[kv.first.as<std::string>()] = YamlToJson(kv.second);
    return j;
  }
  if (n.IsSequence()) {
    Json j = Json::array();
    for (const auto& item : n) j.push_back(YamlToJson(item));
    return j;
  }
  if (!n.IsScalar()) return nullptr;
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted
  if (s == "true" || s == "false") return s == "true";
  if (s == "null" || s == "~") return nullptr;
  try {
    size_t pos = 0;
    long long i = std::stoll(s, &pos);
    if (pos == s.size()) return i;
    double d = std::stod(s, &pos);
    if (pos == s.size()) return d;
  } catch (...) {
  }
  return s;
}

std::string ExpandHome(const std::string& path, const EnvLookup& env) {
  if (path.rfind("~/", 0) == 0) {
    if (auto home = env("HOME")) return *home + path.substr(1);
  }
  return path;
}

Status ApplyTimeouts(const Where& w, const std::string& prefix, const YAML::Node& n, Timeouts* t) {
  if (!n.IsMap()) return Bad(w, prefix, "a mapping");
  for (const auto& kv : n) {
    std::string name = kv.first.as<std::string>(), key = prefix + "." + name;
    double* field = name == "connect_s" ? &t->connect_s
                    : name == "total_s" ? &t->total_s
                    : name == "idle_s"  ? &t->idle_s : nullptr;
    if (!field) return Unknown(w, key, {"connect_s", "total_s", "idle_s"});
    AKG_ASSIGN_OR_RETURN(*field, NonNegative(w, key, kv.second));
    if (*field <= 0) return Bad(w, key, "a positive number");
  }
  return Status::Ok();
}

Status ApplyRetry(const Where& w, const std::string& prefix, const YAML::Node& n, RetryPolicy* r) {
  if (!n.IsMap()) return Bad(w, prefix, "a mapping");
  for (const auto& kv : n) {
    std::string name = kv.first.as<std::string>(), key = prefix + "." + name;
    if (name == "max_retries") {
      AKG_ASSIGN_OR_RETURN(r->max_retries, IntAtLeast(w, key, kv.second, 0));
    } else if (name == "base_delay_s") {
      AKG_ASSIGN_OR_RETURN(r->base_delay_s, NonNegative(w, key, kv.second));
    } else if (name == "max_delay_s") {
      AKG_ASSIGN_OR_RETURN(r->max_delay_s, NonNegative(w, key, kv.second));
    } else if (name == "jitter") {
      AKG_ASSIGN_OR_RETURN(r->jitter, NonNegative(w, key, kv.second));
      if (r->jitter >= 1) return Bad(w, key, "a number in [0, 1)");
    } else {
      return Unknown(w, key, {"max_retries", "base_delay_s", "max_delay_s", "jitter"});
    }
  }
  return Status::Ok();
}

Status ApplyModel(const Where& w, const std::string& name, const YAML::Node& n, const EnvLookup& env,
                  ModelSpec* m) {
  std::string prefix = "models." + name;
  if (!n.IsMap()) return Bad(w, prefix, "a mapping");
  m->name = name;
  static const std::set<std::string> kKeys = {
      "provider", "base_url", "api_key", "api_key_env", "model", "temperature", "max_tokens",
      "stream", "extra_body", "command", "replay", "timeouts", "retry", "concurrency", "price"};
  for (const auto& kv : n) {
    std::string k = kv.first.as<std::string>(), key = prefix + "." + k;
    const YAML::Node& v = kv.second;
    if (!kKeys.count(k)) return Unknown(w, key, kKeys);
    if (k == "provider") {
      AKG_ASSIGN_OR_RETURN(m->provider, Scalar<std::string>(w, key, v, "a string"));
      if (!kProviders.count(m->provider)) {
        return Bad(w, key, "one of openai, anthropic, command, replay, builtin");
      }
    } else if (k == "base_url") {
      AKG_ASSIGN_OR_RETURN(m->base_url, Scalar<std::string>(w, key, v, "a URL"));
    } else if (k == "api_key") {
      AKG_ASSIGN_OR_RETURN(m->api_key, Scalar<std::string>(w, key, v, "a string"));
    } else if (k == "api_key_env") {
      AKG_ASSIGN_OR_RETURN(std::string var, Scalar<std::string>(w, key, v, "a variable name"));
      auto value = env(var);
      if (!value || value->empty()) {
        return ConfigError(w.Key(key) + " names the variable " + var +
                           ", which is not set; export it or remove the key");
      }
      m->api_key = *value;
    } else if (k == "model") {
      AKG_ASSIGN_OR_RETURN(m->model, Scalar<std::string>(w, key, v, "a model id"));
    } else if (k == "temperature") {
      AKG_ASSIGN_OR_RETURN(double t, NonNegative(w, key, v));
      m->temperature = t;
    } else if (k == "max_tokens") {
      AKG_ASSIGN_OR_RETURN(m->max_tokens, IntAtLeast(w, key, v, 1));
    } else if (k == "stream") {
      AKG_ASSIGN_OR_RETURN(m->stream, Scalar<bool>(w, key, v, "true or false"));
    } else if (k == "extra_body") {
      if (!v.IsMap()) return Bad(w, key, "a mapping");
      m->extra_body = YamlToJson(v);
    } else if (k == "command") {
      m->command.clear();
      if (v.IsScalar()) {
        m->command = {"/bin/sh", "-c", v.Scalar()};
      } else if (v.IsSequence() && v.size() > 0) {
        for (const auto& item : v) {
          if (!item.IsScalar()) return Bad(w, key, "a list of strings or one shell command");
          m->command.push_back(ExpandHome(item.Scalar(), env));
        }
      } else {
        return Bad(w, key, "a list of strings or one shell command");
      }
    } else if (k == "replay") {
      AKG_ASSIGN_OR_RETURN(m->replay_path, Scalar<std::string>(w, key, v, "a file path"));
      m->replay_path = ExpandHome(m->replay_path, env);
    } else if (k == "timeouts") {
      AKG_RETURN_IF_ERROR(ApplyTimeouts(w, key, v, &m->timeouts));
    } else if (k == "retry") {
      AKG_RETURN_IF_ERROR(ApplyRetry(w, key, v, &m->retry));
    } else if (k == "concurrency") {
      AKG_ASSIGN_OR_RETURN(m->concurrency, IntAtLeast(w, key, v, 1));
    } else if (k == "price") {
      if (!v.IsMap()) return Bad(w, key, "a mapping");
      Price p;
      for (const auto& pk : v) {
        std::string pn = pk.first.as<std::string>(), pkey = key + "." + pn;
        if (pn == "input_per_mtok") {
          AKG_ASSIGN_OR_RETURN(p.input_per_mtok, NonNegative(w, pkey, pk.second));
        } else if (pn == "output_per_mtok") {
          AKG_ASSIGN_OR_RETURN(p.output_per_mtok, NonNegative(w, pkey, pk.second));
        } else {
          return Unknown(w, pkey, {"input_per_mtok", "output_per_mtok"});
        }
      }
      m->price = p;
    }
  }
  return Status::Ok();
}

// Checks what a provider needs once every source has been applied.
Status CheckModel(const ModelSpec& m, const std::string& origin) {
  auto need = [&](bool ok, const std::string& what) {
    return ok ? Status::Ok()
              : ConfigError("model '" + m.name + "' (" + origin + ", provider " + m.provider +
                            ") needs " + what);
  };
  if (m.provider == "openai" || m.provider == "anthropic") {
    AKG_RETURN_IF_ERROR(need(!m.model.empty(), "a model id (key 'model')"));
    AKG_RETURN_IF_ERROR(need(!m.base_url.empty(), "a base_url"));
    if (m.base_url.rfind("http://", 0) != 0 && m.base_url.rfind("https://", 0) != 0) {
      return ConfigError("model '" + m.name + "' (" + origin + ") has base_url '" + m.base_url +
                         "', which is not an http:// or https:// URL");
    }
  } else if (m.provider == "command") {
    AKG_RETURN_IF_ERROR(need(!m.command.empty(), "a command (key 'command')"));
  } else if (m.provider == "replay") {
    AKG_RETURN_IF_ERROR(need(!m.replay_path.empty(), "a transcript (key 'replay')"));
  }
  return Status::Ok();
}

void FillDefaults(ModelSpec* m, const EnvLookup& env) {
  if (m->provider.empty()) m->provider = "openai";
  if (m->provider == "openai") {
    if (m->base_url.empty()) m->base_url = "https://api.openai.com/v1";
    if (m->api_key.empty()) {
      if (auto k = env("OPENAI_API_KEY")) m->api_key = *k;
    }
  } else if (m->provider == "anthropic") {
    if (m->base_url.empty()) m->base_url = "https://api.anthropic.com";
    if (m->api_key.empty()) {
      if (auto k = env("ANTHROPIC_API_KEY")) m->api_key = *k;
    }
  }
}

}  // namespace

EnvLookup ProcessEnvLookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Status ApplySettingsYaml(const std::string& yaml_text, const std::string& file,
                         const EnvLookup& env, LlmSettings* settings) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return ConfigError("cannot parse " + file + ": " + e.msg + " (line " +
                       std::to_string(e.mark.line + 1) + ")");
  }
  if (root.IsNull()) return Status::Ok();
  Where w{file};
  if (!root.IsMap()) return Bad(w, "(top level)", "a mapping");
  for (const auto& kv : root) {
    std::string k = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (k == "models") {
      if (!v.IsMap()) return Bad(w, k, "a mapping of model names");
      for (const auto& mk : v) {
        ModelSpec m;
        std::string name = mk.first.as<std::string>();
        AKG_RETURN_IF_ERROR(ApplyModel(w, name, mk.second, env, &m));
        FillDefaults(&m, env);
        AKG_RETURN_IF_ERROR(CheckModel(m, file));
        settings->models[name] = std::move(m);
      }
    } else if (k == "levels") {
      if (!v.IsMap()) return Bad(w, k, "a mapping of level: model name");
      for (const auto& lk : v) {
        std::string level = lk.first.as<std::string>(), key = "levels." + level;
        if (level != "complex" && level != "standard" && level != "fast") {
          return Unknown(w, key, {"complex", "standard", "fast"});
        }
        AKG_ASSIGN_OR_RETURN(settings->levels[level], Scalar<std::string>(w, key, lk.second, "a model name"));
      }
    } else if (k == "budget") {
      if (!v.IsMap()) return Bad(w, k, "a mapping");
      for (const auto& bk : v) {
        std::string b = bk.first.as<std::string>(), key = "budget." + b;
        if (b == "tokens") {
          AKG_ASSIGN_OR_RETURN(long long t, Scalar<long long>(w, key, bk.second, "a token count >= 1"));
          if (t < 1) return Bad(w, key, "a token count >= 1");
          settings->budget.tokens = t;
        } else if (b == "cost") {
          AKG_ASSIGN_OR_RETURN(double c, NonNegative(w, key, bk.second));
          settings->budget.cost = c;
        } else if (b == "wall_s") {
          AKG_ASSIGN_OR_RETURN(double s, NonNegative(w, key, bk.second));
          settings->budget.wall_s = s;
        } else {
          return Unknown(w, key, {"tokens", "cost", "wall_s"});
        }
      }
    } else if (k == "skills_dirs") {
      if (!v.IsSequence()) return Bad(w, k, "a list of folders");
      for (const auto& item : v) {
        if (!item.IsScalar()) return Bad(w, k, "a list of folders");
        settings->skills_dirs.emplace_back(ExpandHome(item.Scalar(), env));
      }
    } else if (k == "history_db") {
      AKG_ASSIGN_OR_RETURN(std::string db, Scalar<std::string>(w, k, v, "a file path"));
      if (db.empty()) return Bad(w, k, "a file path");
      // Relative to the file that says it, not to wherever akg_cli happens to run.
      fs::path path = ExpandHome(db, env);
      settings->history_db = path.is_absolute() ? path : fs::path(file).parent_path() / path;
    } else {
      return Unknown(w, k, {"models", "levels", "budget", "skills_dirs", "history_db"});
    }
  }
  for (const auto& [level, name] : settings->levels) {
    if (!settings->models.count(name)) {
      return ConfigError("key 'levels." + level + "' in " + file + " names model '" + name +
                         "', which no settings file defines under 'models'");
    }
  }
  settings->sources.push_back(file);
  return Status::Ok();
}

Status ApplySettingsEnv(const EnvLookup& env, LlmSettings* settings) {
  for (const auto& level : kLevelNames) {
    std::string upper;
    for (char c : level) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string prefix = "AKG_" + upper + "_";
    auto model = env(prefix + "MODEL");
    // Without AKG_<LEVEL>_MODEL the level is not defined from the environment; a lone key or
    // URL there is left alone (it may be meant for a settings file's model).
    if (!model || model->empty()) continue;
    ModelSpec m;
    m.name = "env:" + level;
    m.model = *model;
    if (auto v = env(prefix + "BASE_URL")) m.base_url = *v;
    if (auto v = env(prefix + "API_KEY")) m.api_key = *v;
    if (auto v = env(prefix + "PROVIDER"); v && !v->empty()) {
      if (*v != "openai" && *v != "anthropic") {
        return ConfigError(prefix + "PROVIDER is '" + *v +
                           "'; use openai or anthropic (other providers need a settings file)");
      }
      m.provider = *v;
    } else {
      m.provider = m.base_url.find("anthropic.com") != std::string::npos ? "anthropic" : "openai";
    }
    FillDefaults(&m, env);
    AKG_RETURN_IF_ERROR(CheckModel(m, "environment " + prefix + "*"));
    settings->models[m.name] = m;
    settings->levels[level] = m.name;
    settings->sources.push_back("environment " + prefix + "*");
  }
  // Keys from the standard variables for models that have none.
  for (auto& [name, m] : settings->models) FillDefaults(&m, env);
  return Status::Ok();
}

Result<LlmSettings> LoadLlmSettings(const fs::path& project_dir, const EnvLookup& env) {
  LlmSettings settings;
  std::vector<fs::path> files;
  if (auto xdg = env("XDG_CONFIG_HOME"); xdg && !xdg->empty()) {
    files.push_back(fs::path(*xdg) / "akg" / "settings.yaml");
  } else if (auto home = env("HOME"); home && !home->empty()) {
    files.push_back(fs::path(*home) / ".config" / "akg" / "settings.yaml");
  }
  files.push_back(project_dir / ".akg" / "settings.yaml");
  for (const auto& f : files) {
    std::error_code ec;
    if (!fs::is_regular_file(f, ec)) continue;
    AKG_ASSIGN_OR_RETURN(std::string text, ReadFile(f));
    AKG_RETURN_IF_ERROR(ApplySettingsYaml(text, f.string(), env, &settings));
  }
  AKG_RETURN_IF_ERROR(ApplySettingsEnv(env, &settings));
  return settings;
}

std::optional<ModelSpec> ResolveLevel(const LlmSettings& settings, const std::string& level) {
  static const std::map<std::string, std::vector<std::string>> kOrder = {
      {"complex", {"complex", "standard", "fast"}},
      {"standard", {"standard", "complex", "fast"}},
      {"fast", {"fast", "standard", "complex"}}};
  auto order = kOrder.find(level);
  if (order == kOrder.end()) return std::nullopt;
  for (const auto& l : order->second) {
    auto it = settings.levels.find(l);
    if (it == settings.levels.end()) continue;
    auto m = settings.models.find(it->second);
    if (m != settings.models.end()) return m->second;
  }
  return std::nullopt;
}

std::vector<std::string> ApiKeys(const LlmSettings& settings) {
  std::vector<std::string> keys;
  for (const auto& [name, m] : settings.models) {
    if (!m.api_key.empty()) keys.push_back(m.api_key);
  }
  return keys;
}

std::string RedactSecrets(const std::string& text, const std::vector<std::string>& keys) {
  std::string out = text;
  for (const auto& key : keys) {
    if (key.size() < 4) continue;
    size_t pos = 0;
    while ((pos = out.find(key, pos)) != std::string::npos) {
      out.replace(pos, key.size(), "[redacted]");
      pos += 10;
    }
  }
  return out;
}

}  // namespace akg
