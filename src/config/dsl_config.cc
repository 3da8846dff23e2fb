#include "config/dsl_config.h"

#include <functional>
#include <set>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/files.h"

namespace akg {
namespace {

const std::set<std::string> kLevels = {"complex", "standard", "fast"};
const std::set<std::string> kAgents = {"kernel_designer", "kernel_gen", "task_constructor"};
const std::set<std::string> kWorkflows = {"default",  "coder_only", "kernelgen_only",
                                          "verifier_only", "evolve", "adaptive_search"};

struct Ctx {
  const std::string& file;
  DslConfig* config;
};

std::string Where(const Ctx& ctx, const std::string& key) {
  return "key '" + key + "' in " + ctx.file;
}

Status TypeError(const Ctx& ctx, const std::string& key, const std::string& expected,
                 const YAML::Node& node) {
  std::string got = node.IsScalar() ? "'" + node.Scalar() + "'"
                    : node.IsMap()  ? "a mapping"
                    : node.IsSequence() ? "a list" : "nothing";
  return ConfigError(Where(ctx, key) + " must be " + expected + " (got " + got + ")");
}

Result<int> PositiveInt(const Ctx& ctx, const std::string& key, const YAML::Node& node,
                        int min_value) {
  try {
    if (node.IsScalar()) {
      int v = node.as<int>();
      if (v >= min_value) return v;
    }
  } catch (const YAML::Exception&) {
  }
  return TypeError(ctx, key, "an integer >= " + std::to_string(min_value), node);
}

Result<double> PositiveNumber(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  try {
    if (node.IsScalar()) {
      double v = node.as<double>();
      if (v > 0) return v;
    }
  } catch (const YAML::Exception&) {
  }
  return TypeError(ctx, key, "a positive number", node);
}

// A ratio such as p90/p10: a number above 1 (at or below it every measurement would be noisy).
Result<double> RatioAboveOne(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  try {
    if (node.IsScalar()) {
      double v = node.as<double>();
      if (v > 1) return v;
    }
  } catch (const YAML::Exception&) {
  }
  return TypeError(ctx, key, "a number above 1", node);
}

Result<double> NonNegativeNumber(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  try {
    if (node.IsScalar()) {
      double v = node.as<double>();
      if (v >= 0) return v;
    }
  } catch (const YAML::Exception&) {
  }
  return TypeError(ctx, key, "a number >= 0", node);
}

Result<std::string> OneOf(const Ctx& ctx, const std::string& key, const YAML::Node& node,
                          const std::set<std::string>& allowed) {
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  if (!node.IsScalar() || !allowed.count(node.Scalar())) {
    return TypeError(ctx, key, "one of " + list, node);
  }
  return node.Scalar();
}

Result<std::vector<std::string>> StringList(const Ctx& ctx, const std::string& key,
                                            const YAML::Node& node,
                                            const std::set<std::string>& allowed) {
  if (!node.IsSequence()) return TypeError(ctx, key, "a list", node);
  std::vector<std::string> items;
  for (const auto& item : node) {
    if (!item.IsScalar() || (!allowed.empty() && !allowed.count(item.Scalar()))) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return TypeError(ctx, key, allowed.empty() ? "a list of strings" : "a list of: " + list, item);
    }
    items.push_back(item.Scalar());
  }
  return items;
}

Result<bool> Bool(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  try {
    if (node.IsScalar()) return node.as<bool>();
  } catch (const YAML::Exception&) {
  }
  return TypeError(ctx, key, "true or false", node);
}

Result<std::optional<double>> OptionalTolerance(const Ctx& ctx, const std::string& key,
                                                const YAML::Node& node) {
  if (node.IsNull()) return std::optional<double>();
  AKG_ASSIGN_OR_RETURN(double v, PositiveNumber(ctx, key, node));
  return std::optional<double>(v);
}

using Handler = std::function<Status(const Ctx&, const std::string&, const YAML::Node&)>;

Status ApplyMap(const Ctx& ctx, const std::string& prefix, const YAML::Node& node,
                const std::map<std::string, Handler>& handlers) {
  if (!node.IsMap()) return TypeError(ctx, prefix.empty() ? "(top level)" : prefix, "a mapping", node);
  for (const auto& kv : node) {
    std::string name = kv.first.as<std::string>();
    std::string key = prefix.empty() ? name : prefix + "." + name;
    auto it = handlers.find(name);
    if (it == handlers.end()) {
      std::string known;
      for (const auto& h : handlers) known += (known.empty() ? "" : ", ") + h.first;
      return ConfigError("unknown " + Where(ctx, key) + "; known keys here: " + known);
    }
    AKG_RETURN_IF_ERROR(it->second(ctx, key, kv.second));
    ctx.config->sources[key] = ctx.file;
  }
  return Status::Ok();
}

Status ApplyAgents(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  std::map<std::string, Handler> handlers;
  for (const auto& agent : kAgents) {
    handlers[agent] = [agent](const Ctx& c, const std::string& k, const YAML::Node& n) {
      AKG_ASSIGN_OR_RETURN(c.config->agent_model_config[agent], OneOf(c, k, n, kLevels));
      return Status::Ok();
    };
  }
  return ApplyMap(ctx, key, node, handlers);
}

// Binds a handler that parses with `parse` and stores into `target->*field`.
template <typename S, typename T, typename Parse>
Handler Member(S* target, T S::*field, Parse parse) {
  return [target, field, parse](const Ctx& c, const std::string& k, const YAML::Node& n) -> Status {
    AKG_ASSIGN_OR_RETURN(target->*field, parse(c, k, n));
    return Status::Ok();
  };
}

auto IntAtLeast(int min_value) {
  return [min_value](const Ctx& c, const std::string& k, const YAML::Node& n) {
    return PositiveInt(c, k, n, min_value);
  };
}

auto ListOf(std::set<std::string> allowed) {
  return [allowed](const Ctx& c, const std::string& k, const YAML::Node& n) {
    return StringList(c, k, n, allowed);
  };
}

Status ApplyProfile(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  using P = ProfileSettings;
  P* p = &ctx.config->profile_settings;
  return ApplyMap(ctx, key, node, {
      {"run_times", Member(p, &P::run_times, IntAtLeast(1))},
      {"warmup_times", Member(p, &P::warmup_times, IntAtLeast(0))},
      {"baselines", Member(p, &P::baselines, ListOf({"eager", "torch_compile"}))},
      {"graph_below_us", Member(p, &P::graph_below_us, PositiveNumber)},
      {"suspect_speedup", Member(p, &P::suspect_speedup, PositiveNumber)},
      {"reuse_compile_baseline", Member(p, &P::reuse_compile_baseline, Bool)},
      {"shared_eager_baseline", Member(p, &P::shared_eager_baseline, Bool)},
      {"noisy_spread", Member(p, &P::noisy_spread, RatioAboveOne)},
      {"counters", Member(p, &P::counters, Bool)},
  });
}

// A fraction in [0, 1]: of eager's speed, or of the speed of light.
Result<double> Fraction(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  try {
    if (node.IsScalar()) {
      double v = node.as<double>();
      if (v >= 0 && v <= 1) return v;
    }
  } catch (const YAML::Exception&) {
  }
  return TypeError(ctx, key, "a number from 0 to 1", node);
}

Status ApplyOptimise(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  using O = OptimiseSettings;
  O* o = &ctx.config->optimise_settings;
  return ApplyMap(ctx, key, node, {
      {"below_baseline", Member(o, &O::below_baseline, Fraction)},
      {"below_sol", Member(o, &O::below_sol, Fraction)},
  });
}

Status ApplyVerify(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  using V = VerifySettings;
  V* v = &ctx.config->verify_settings;
  auto policies = [](const Ctx& c, const std::string& k, const YAML::Node& n) {
    return OneOf(c, k, n, {"strict", "partial"});
  };
  auto shape_modes = [](const Ctx& c, const std::string& k, const YAML::Node& n) {
    return OneOf(c, k, n, {"task", "vary"});
  };
  return ApplyMap(ctx, key, node, {
      {"trials", Member(v, &V::trials, IntAtLeast(1))},
      {"seed", Member(v, &V::seed, IntAtLeast(0))},
      {"atol", Member(v, &V::atol, OptionalTolerance)},
      {"rtol", Member(v, &V::rtol, OptionalTolerance)},
      {"policy", Member(v, &V::policy, policies)},
      {"shapes", Member(v, &V::shapes, shape_modes)},
      {"reference_cache", Member(v, &V::reference_cache, Bool)},
      {"build_off_device", Member(v, &V::build_off_device, Bool)},
      {"extra_glue", Member(v, &V::extra_glue, ListOf({}))},
  });
}

Status ApplySearch(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  using S = SearchSettings;
  S* s = &ctx.config->search;
  return ApplyMap(ctx, key, node, {
      {"rounds", Member(s, &S::rounds, IntAtLeast(1))},
      {"islands", Member(s, &S::islands, IntAtLeast(1))},
      {"population", Member(s, &S::population, IntAtLeast(1))},
      {"elite", Member(s, &S::elite, IntAtLeast(0))},
      {"migration_interval", Member(s, &S::migration_interval, IntAtLeast(0))},
      {"inspirations", Member(s, &S::inspirations, IntAtLeast(0))},
      {"max_candidates", Member(s, &S::max_candidates, IntAtLeast(0))},
      {"max_wall_s", Member(s, &S::max_wall_s, NonNegativeNumber)},
      {"patience", Member(s, &S::patience, IntAtLeast(0))},
      {"concurrency", Member(s, &S::concurrency, IntAtLeast(1))},
      {"ucb_c", Member(s, &S::ucb_c, NonNegativeNumber)},
      {"seed", Member(s, &S::seed, IntAtLeast(0))},
      {"cpu_slots", Member(s, &S::cpu_slots, IntAtLeast(1))},
  });
}

Result<std::string> AnyString(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  if (!node.IsScalar()) return TypeError(ctx, key, "a string", node);
  return node.Scalar();
}

Result<std::string> NonEmptyString(const Ctx& ctx, const std::string& key, const YAML::Node& node) {
  if (!node.IsScalar() || node.Scalar().empty()) return TypeError(ctx, key, "a non-empty string", node);
  return node.Scalar();
}

}  // namespace

Status ApplyConfigYaml(const std::string& yaml_text, const std::string& file, DslConfig* config) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return ConfigError("bad YAML in " + file + " at line " + std::to_string(e.mark.line + 1) +
                       ": " + e.msg + "; fix the syntax");
  }
  if (root.IsNull()) return Status::Ok();  // an empty file changes nothing
  Ctx ctx{file, config};
  auto workflows = [](const Ctx& c, const std::string& k, const YAML::Node& n) {
    return OneOf(c, k, n, kWorkflows);
  };
  auto harness_modes = [](const Ctx& c, const std::string& k, const YAML::Node& n) {
    return OneOf(c, k, n, {"warm", "cold"});
  };
  return ApplyMap(ctx, "", root, {
      {"agent_model_config", ApplyAgents},
      {"log_dir", Member(config, &DslConfig::log_dir, NonEmptyString)},
      {"default_workflow", Member(config, &DslConfig::default_workflow, workflows)},
      {"max_steps", Member(config, &DslConfig::max_steps, IntAtLeast(1))},
      {"optimise_steps", Member(config, &DslConfig::optimise_steps, IntAtLeast(0))},
      {"optimise_settings", ApplyOptimise},
      {"verify_timeout", Member(config, &DslConfig::verify_timeout, PositiveNumber)},
      {"profile_timeout", Member(config, &DslConfig::profile_timeout, PositiveNumber)},
      {"inspect_timeout", Member(config, &DslConfig::inspect_timeout, PositiveNumber)},
      {"profile_settings", ApplyProfile},
      {"verify_settings", ApplyVerify},
      {"search", ApplySearch},
      {"python", Member(config, &DslConfig::python, AnyString)},
      {"harness_mode", Member(config, &DslConfig::harness_mode, harness_modes)},
  });
}

Result<DslConfig> LoadDslConfig(const std::filesystem::path& config_dir, const std::string& dsl,
                                const std::optional<std::filesystem::path>& override_file) {
  DslConfig config;
  std::filesystem::path base = config_dir / (dsl + ".yaml");
  auto text = ReadFile(base);
  if (!text.ok()) {
    return ConfigError("missing DSL config '" + base.string() +
                       "'; reinstall or set AKG_HOME to the project folder");
  }
  AKG_RETURN_IF_ERROR(ApplyConfigYaml(*text, base.string(), &config));
  if (override_file) {
    auto user = ReadFile(*override_file);
    if (!user.ok()) {
      return ConfigError("cannot read config file '" + override_file->string() +
                         "'; check the --config path");
    }
    AKG_RETURN_IF_ERROR(ApplyConfigYaml(*user, override_file->string(), &config));
  }
  return config;
}

}  // namespace akg
