#include "skills/skills.h"

#include <algorithm>
#include <map>
#include <set>
#include <system_error>
#include <tuple>

#include <yaml-cpp/yaml.h>

#include "core/files.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

// The fixed order of OperatorCategories' answer, also the allowed values of `categories`.
const std::vector<std::string> kCategories = {
    "elementwise", "reduction", "matmul",   "convolution", "normalization", "softmax",
    "pooling",     "attention", "scan",     "indexing",    "other"};
const std::set<std::string> kStages = {"design", "generate", "debug", "optimise"};
const std::set<std::string> kKeys = {"name",       "description", "dsl",    "backend", "arch",
                                     "categories", "stages",      "priority"};

std::string JoinSet(const std::set<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// ---- front matter ----------------------------------------------------------------------------

Status KeyError(const fs::path& file, const std::string& key, const std::string& problem) {
  return ConfigError("skill " + file.string() + ": key '" + key + "' " + problem);
}

std::string Describe(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "nothing";
}

Result<std::string> ScalarString(const fs::path& file, const std::string& key,
                                 const YAML::Node& node) {
  if (!node.IsScalar() || node.Scalar().empty()) {
    return KeyError(file, key, "must be a non-empty string (got " + Describe(node) + ")");
  }
  return node.Scalar();
}

// A list of strings; `allowed` (when not empty) restricts the values.
Result<std::vector<std::string>> StringList(const fs::path& file, const std::string& key,
                                            const YAML::Node& node,
                                            const std::set<std::string>& allowed) {
  if (node.IsNull()) return std::vector<std::string>();
  if (!node.IsSequence()) {
    return KeyError(file, key, "must be a list such as [a, b] (got " + Describe(node) + ")");
  }
  std::vector<std::string> items;
  for (const auto& item : node) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      return KeyError(file, key, "must hold strings (got " + Describe(item) + ")");
    }
    if (!allowed.empty() && !allowed.count(item.Scalar())) {
      return KeyError(file, key, "has unknown value '" + item.Scalar() + "'; use one of: " +
                                     JoinSet(allowed));
    }
    items.push_back(item.Scalar());
  }
  return items;
}

Status ApplyKey(const fs::path& file, const std::string& key, const YAML::Node& value,
                Skill* skill) {
  static const std::set<std::string> kCategorySet(kCategories.begin(), kCategories.end());
  if (key == "name") {
    AKG_ASSIGN_OR_RETURN(skill->name, ScalarString(file, key, value));
  } else if (key == "description") {
    AKG_ASSIGN_OR_RETURN(skill->description, ScalarString(file, key, value));
  } else if (key == "dsl") {
    AKG_ASSIGN_OR_RETURN(skill->dsl, ScalarString(file, key, value));
  } else if (key == "backend") {
    AKG_ASSIGN_OR_RETURN(skill->backend, ScalarString(file, key, value));
  } else if (key == "arch") {
    AKG_ASSIGN_OR_RETURN(skill->arch, StringList(file, key, value, {}));
  } else if (key == "categories") {
    AKG_ASSIGN_OR_RETURN(skill->categories, StringList(file, key, value, kCategorySet));
  } else if (key == "stages") {
    AKG_ASSIGN_OR_RETURN(skill->stages, StringList(file, key, value, kStages));
  } else if (key == "priority") {
    try {
      if (!value.IsScalar()) throw YAML::Exception(YAML::Mark(), "not a scalar");
      skill->priority = value.as<int>();
    } catch (const YAML::Exception&) {
      return KeyError(file, key, "must be an integer (got " + Describe(value) + ")");
    }
  }
  return Status::Ok();
}

// Splits "---\n<yaml>\n---\n<body>" into the YAML text and the body.
Result<std::pair<std::string, std::string>> SplitFrontMatter(const fs::path& file,
                                                             const std::string& text) {
  auto line_end = [&](size_t from) {
    size_t nl = text.find('\n', from);
    return nl == std::string::npos ? text.size() : nl;
  };
  auto is_fence = [&](size_t from) {
    std::string line = text.substr(from, line_end(from) - from);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line == "---";
  };
  size_t start = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;  // a UTF-8 byte order mark
  if (start >= text.size() || !is_fence(start)) {
    return ConfigError("skill " + file.string() +
                       " has no front matter; start the file with a '---' line, the YAML keys "
                       "(name, description, dsl, ...) and another '---' line");
  }
  size_t yaml_begin = std::min(line_end(start) + 1, text.size());
  for (size_t pos = yaml_begin; pos < text.size(); pos = line_end(pos) + 1) {
    if (is_fence(pos)) {
      size_t body_begin = std::min(line_end(pos) + 1, text.size());
      return std::make_pair(text.substr(yaml_begin, pos - yaml_begin), text.substr(body_begin));
    }
  }
  return ConfigError("skill " + file.string() +
                     ": the front matter never ends; close it with a '---' line");
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

Result<Skill> ParseSkill(const fs::path& file, const std::string& text,
                         const std::string& folder_dsl) {
  AKG_ASSIGN_OR_RETURN(auto parts, SplitFrontMatter(file, text));
  YAML::Node root;
  try {
    root = YAML::Load(parts.first);
  } catch (const YAML::Exception& e) {
    return ConfigError("skill " + file.string() + ": bad YAML in the front matter at line " +
                       std::to_string(e.mark.line + 2) + ": " + e.msg + "; fix the syntax");
  }
  if (!root.IsMap()) {
    return ConfigError("skill " + file.string() +
                       ": the front matter must be a YAML mapping of keys (name: ..., dsl: ...)");
  }
  Skill skill;
  skill.path = file;
  for (const auto& kv : root) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (!kKeys.count(key)) {
      return KeyError(file, key, "is unknown; use only: " + JoinSet(kKeys));
    }
    AKG_RETURN_IF_ERROR(ApplyKey(file, key, kv.second, &skill));
  }
  for (const char* key : {"name", "description", "dsl"}) {
    if (!root[key]) return KeyError(file, key, "is missing; every skill needs name, description, dsl");
  }
  if (skill.dsl != folder_dsl) {
    return KeyError(file, "dsl", "is '" + skill.dsl + "' but the file is in folder '" +
                                     folder_dsl + "'; move the file or fix the key");
  }
  skill.body = Trim(parts.second) + "\n";
  if (skill.body.size() < 2) {
    return ConfigError("skill " + file.string() + " has an empty body; write the Markdown after "
                       "the closing '---'");
  }
  return skill;
}

// The *.md files of <root>/<dsl>/ for every dsl folder, sorted.
Result<std::vector<fs::path>> SkillFiles(const fs::path& root) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator dsl_it(root, ec), end; !ec && dsl_it != end; dsl_it.increment(ec)) {
    if (!dsl_it->is_directory(ec)) continue;
    for (fs::directory_iterator it(dsl_it->path(), ec); !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".md") files.push_back(it->path());
    }
  }
  if (ec) return InternalError("cannot list skills folder " + root.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// ---- selection -------------------------------------------------------------------------------

bool Contains(const std::vector<std::string>& items, const std::string& value) {
  return std::find(items.begin(), items.end(), value) != items.end();
}

bool Applies(const Skill& s, const SkillQuery& q) {
  if (s.dsl != q.dsl) return false;
  if (!s.backend.empty() && !q.backend.empty() && s.backend != q.backend) return false;
  if (!s.arch.empty() && !q.arch.empty() && !Contains(s.arch, q.arch)) return false;
  if (!s.stages.empty() && !q.stage.empty() && !Contains(s.stages, q.stage)) return false;
  if (!s.categories.empty() && !q.categories.empty()) {
    bool shared = std::any_of(q.categories.begin(), q.categories.end(),
                              [&](const std::string& c) { return Contains(s.categories, c); });
    if (!shared) return false;
  }
  return true;
}

int Specificity(const Skill& s) {
  return !s.backend.empty() + !s.arch.empty() + !s.categories.empty() + !s.stages.empty();
}

// ---- operator categories -----------------------------------------------------------------

// Views, metadata, shape arithmetic, tensor creation, copies and dropout: no category.
const std::set<std::string> kNoCategory = {
    "view", "reshape", "unsafe_view", "permute", "transpose", "t", "expand", "expand_as",
    "unsqueeze", "squeeze", "flatten", "unflatten", "contiguous", "alias", "detach", "slice",
    "select", "narrow", "split", "split_with_sizes", "chunk", "unbind", "as_strided", "view_as",
    "reshape_as", "movedim", "swapaxes", "sym_size", "sym_numel", "sym_stride", "size", "dim",
    "numel", "stride", "sym_storage_offset", "assert_scalar", "assert_tensor_metadata",
    "sym_constrain_range_for_size", "empty", "empty_like", "empty_strided", "zeros",
    "zeros_like", "ones", "ones_like", "full", "full_like", "new_empty", "new_zeros",
    "new_ones", "new_full", "arange", "linspace", "eye", "scalar_tensor", "tensor",
    "lift_fresh_copy", "getitem", "item", "to", "type_as", "clone", "copy", "set_grad_enabled",
    "dropout", "native_dropout", "feature_dropout", "alpha_dropout", "rand", "randn",
    "randint", "rand_like", "randn_like", "data_ptr", "element_size", "is_contiguous", "cuda",
    "cpu", "float", "half", "double", "bfloat16", "int", "long", "bool", "type", "getattr",
    "len"};

const std::map<std::string, std::vector<std::string>> kExact = {
    {"mm", {"matmul"}}, {"addmm", {"matmul"}}, {"bmm", {"matmul"}}, {"baddbmm", {"matmul"}},
    {"addbmm", {"matmul"}}, {"matmul", {"matmul"}}, {"linear", {"matmul"}},
    {"addmv", {"matmul"}}, {"mv", {"matmul"}}, {"dot", {"matmul"}}, {"vdot", {"matmul"}},
    {"einsum", {"matmul"}}, {"tensordot", {"matmul"}}, {"outer", {"matmul"}},
    {"addmm_activation", {"matmul", "elementwise"}}, {"bilinear", {"matmul"}},
    {"inner", {"matmul"}}, {"chain_matmul", {"matmul"}}, {"cdist", {"matmul"}},
    {"softmax", {"softmax"}}, {"log_softmax", {"softmax"}}, {"softmin", {"softmax"}},
    {"safe_softmax", {"softmax"}}, {"gumbel_softmax", {"softmax"}},
    {"cross_entropy", {"softmax", "reduction"}}, {"cross_entropy_loss", {"softmax", "reduction"}},
    {"logsumexp", {"reduction"}}, {"norm", {"reduction"}}, {"linalg_vector_norm", {"reduction"}},
    {"linalg_norm", {"reduction"}}, {"frobenius_norm", {"reduction"}},
    {"vector_norm", {"reduction"}}, {"normalize", {"normalization"}},
    {"sum", {"reduction"}}, {"mean", {"reduction"}}, {"amax", {"reduction"}},
    {"amin", {"reduction"}}, {"prod", {"reduction"}}, {"var", {"reduction"}},
    {"std", {"reduction"}}, {"var_mean", {"reduction"}}, {"std_mean", {"reduction"}},
    {"argmax", {"reduction"}}, {"argmin", {"reduction"}}, {"all", {"reduction"}},
    {"any", {"reduction"}}, {"count_nonzero", {"reduction"}}, {"nansum", {"reduction"}},
    {"nanmean", {"reduction"}}, {"median", {"reduction"}}, {"nanmedian", {"reduction"}},
    {"mode", {"reduction"}}, {"aminmax", {"reduction"}}, {"cosine_similarity", {"reduction"}},
    {"pairwise_distance", {"reduction"}}, {"kthvalue", {"reduction"}},
    {"gather", {"indexing"}}, {"take", {"indexing"}}, {"take_along_dim", {"indexing"}},
    {"masked_select", {"indexing"}}, {"masked_scatter", {"indexing"}}, {"nonzero", {"indexing"}},
    {"one_hot", {"indexing"}}, {"slice_scatter", {"indexing"}}, {"select_scatter", {"indexing"}},
    {"diagonal_scatter", {"indexing"}}, {"unique", {"indexing"}}, {"bincount", {"indexing"}},
    {"histc", {"indexing"}}, {"logcumsumexp", {"scan"}}, {"im2col", {"convolution"}},
    {"col2im", {"convolution"}}, {"unfold", {"convolution"}}, {"fold", {"convolution"}}};

const std::set<std::string> kElementwise = {
    "add", "sub", "rsub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod",
    "neg", "abs", "relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "exp", "exp2", "expm1",
    "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "pow", "float_power", "square", "clamp",
    "clamp_min", "clamp_max", "clip", "hardtanh", "hardswish", "hardsigmoid", "elu", "selu",
    "celu", "leaky_relu", "mish", "softplus", "softsign", "logsigmoid", "log_sigmoid",
    "log_sigmoid_forward", "threshold", "where", "maximum", "minimum", "fmax", "fmin", "sign",
    "sgn", "signbit", "floor", "ceil", "round", "trunc", "frac", "reciprocal", "sin", "cos",
    "tan", "asin", "acos", "atan", "atan2", "arctan2", "sinh", "cosh", "asinh", "acosh", "atanh",
    "erf", "erfc", "erfinv", "lerp", "addcmul", "addcdiv", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_and", "logical_or", "logical_not", "logical_xor", "bitwise_and", "bitwise_or",
    "bitwise_not", "bitwise_xor", "masked_fill", "isnan", "isinf", "isfinite", "nan_to_num",
    "prelu", "rrelu", "glu", "tanhshrink", "softshrink", "hardshrink", "logit", "xlogy",
    "hypot", "heaviside", "lgamma", "digamma", "i0", "sinc", "deg2rad", "rad2deg", "copysign",
    "to_copy", "fill", "tril", "triu", "and", "or", "xor", "invert", "truediv", "floordiv",
    "mod", "positive"};

// "aten.add.Tensor" -> ("add", "Tensor"); "torch.nn.functional.relu" -> ("relu", "");
// leading and trailing underscores go ("_softmax" -> "softmax", "add_" -> "add").
std::pair<std::string, std::string> OpName(const std::string& target) {
  std::string name = target, overload;
  if (target.rfind("aten.", 0) == 0) {
    name = target.substr(5);
    size_t dot = name.find('.');
    if (dot != std::string::npos) {
      overload = name.substr(dot + 1);
      name = name.substr(0, dot);
    }
  } else if (size_t dot = target.rfind('.'); dot != std::string::npos) {
    name = target.substr(dot + 1);
  }
  size_t b = name.find_first_not_of('_'), e = name.find_last_not_of('_');
  name = b == std::string::npos ? "" : name.substr(b, e - b + 1);
  return {name, overload};
}

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
bool Has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

std::vector<std::string> CategoriesOfOp(const std::string& name, const std::string& overload,
                                        const Json& node) {
  if (name.empty() || kNoCategory.count(name)) return {};
  if (auto it = kExact.find(name); it != kExact.end()) return it->second;
  if (name == "max" || name == "min") {
    // max.other / torch.max(a, b) compare elementwise; max.dim / max.default reduce.
    const Json& args = node.contains("args") ? node["args"] : Json::array();
    bool binary = overload == "other" || overload == "binary_out" ||
                  (overload.empty() && args.is_array() && args.size() > 1 && args[1].is_object() &&
                   args[1].contains("node"));
    return {binary ? "elementwise" : "reduction"};
  }
  if (StartsWith(name, "conv")) return {"convolution"};
  if (Has(name, "pool")) return {"pooling"};
  if (StartsWith(name, "scaled_dot_product") || Has(name, "attention")) return {"attention"};
  if (Has(name, "norm")) return {"normalization"};  // batch/layer/group/instance/rms norms
  if (StartsWith(name, "cum")) return {"scan"};
  if (StartsWith(name, "index") || StartsWith(name, "scatter") || StartsWith(name, "embedding")) {
    return {"indexing"};
  }
  if (Has(name, "loss") || Has(name, "kl_div")) return {"reduction"};
  if (StartsWith(name, "upsample") || Has(name, "_pad")) return {"other"};
  if (kElementwise.count(name)) return {"elementwise"};
  return {"other"};  // data movement (cat, pad, roll, sort, ...) and anything unknown
}

// torch.fx call_module nodes name a module path ("layers.0.conv1"); its type is not in the
// graph, so the last component is read as a hint.
std::vector<std::string> CategoriesOfModule(const std::string& path) {
  std::string last = path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
  std::transform(last.begin(), last.end(), last.begin(), ::tolower);
  const std::vector<std::pair<const char*, const char*>> hints = {
      {"conv", "convolution"}, {"attn", "attention"}, {"attention", "attention"},
      {"pool", "pooling"},     {"norm", "normalization"}, {"bn", "normalization"},
      {"ln", "normalization"}, {"softmax", "softmax"},   {"embed", "indexing"},
      {"linear", "matmul"},    {"fc", "matmul"},         {"proj", "matmul"},
      {"dense", "matmul"},     {"lstm", "matmul"},       {"gru", "matmul"},
      {"rnn", "matmul"},       {"relu", "elementwise"},  {"gelu", "elementwise"},
      {"act", "elementwise"},  {"sigmoid", "elementwise"}, {"tanh", "elementwise"},
      {"silu", "elementwise"}, {"dropout", ""}};
  for (const auto& [hint, category] : hints) {
    if (Has(last, hint)) return *category ? std::vector<std::string>{category}
                                          : std::vector<std::string>{};
  }
  return {"other"};
}

}  // namespace

Result<std::vector<Skill>> LoadSkills(const std::vector<fs::path>& roots) {
  std::vector<Skill> skills;
  std::map<std::pair<std::string, std::string>, size_t> index;  // (dsl, name) -> position
  for (const fs::path& root : roots) {
    std::error_code ec;
    if (!fs::exists(root, ec)) continue;
    if (!fs::is_directory(root, ec)) {
      return ConfigError("skills root " + root.string() +
                         " is not a folder; point it at a folder of <dsl>/*.md files");
    }
    AKG_ASSIGN_OR_RETURN(std::vector<fs::path> files, SkillFiles(root));
    std::set<std::pair<std::string, std::string>> in_this_root;
    for (const fs::path& file : files) {
      AKG_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
      AKG_ASSIGN_OR_RETURN(Skill skill,
                           ParseSkill(file, text, file.parent_path().filename().string()));
      auto key = std::make_pair(skill.dsl, skill.name);
      if (!in_this_root.insert(key).second) {
        return KeyError(file, "name", "'" + skill.name + "' is used twice for dsl " + skill.dsl +
                                          " in " + root.string() + "; rename one of them");
      }
      auto it = index.find(key);
      if (it != index.end()) {
        skills[it->second] = std::move(skill);  // a later root overrides
      } else {
        index[key] = skills.size();
        skills.push_back(std::move(skill));
      }
    }
  }
  return skills;
}

std::vector<const Skill*> SelectSkills(const std::vector<Skill>& skills, const SkillQuery& query) {
  std::vector<const Skill*> candidates;
  for (const Skill& s : skills) {
    if (Applies(s, query)) candidates.push_back(&s);
  }
  std::sort(candidates.begin(), candidates.end(), [](const Skill* a, const Skill* b) {
    return std::make_tuple(-a->priority, -Specificity(*a), a->name, a->path) <
           std::make_tuple(-b->priority, -Specificity(*b), b->name, b->path);
  });
  std::vector<const Skill*> chosen;
  size_t used = 0;
  for (const Skill* s : candidates) {
    if (used + s->body.size() > query.max_chars) continue;
    used += s->body.size();
    chosen.push_back(s);
  }
  return chosen;
}

std::vector<std::string> OperatorCategories(const Json& inspection) {
  if (!inspection.is_object() || !inspection.contains("graph")) return {};
  const Json& graph = inspection["graph"];
  if (!graph.is_object() || !graph.contains("nodes") || !graph["nodes"].is_array()) return {};
  std::set<std::string> found;
  for (const Json& node : graph["nodes"]) {
    if (!node.is_object()) continue;
    std::string op = StringOr(node, "op", "");
    std::string target = StringOr(node, "target", "");
    std::vector<std::string> cats;
    if (op == "call_module") {
      cats = CategoriesOfModule(target);
    } else if (op == "call_function" || op == "call_method") {
      bool python_operator = StartsWith(target, "_operator.") || StartsWith(target, "operator.");
      auto [name, overload] = OpName(target);
      if (python_operator) {
        // Shape arithmetic on SymInts has no tensor shape; on tensors it is computation.
        if (node.contains("shape") && name != "getitem") {
          cats = {name == "matmul" ? "matmul" : "elementwise"};
        }
      } else {
        cats = CategoriesOfOp(name, overload, node);
      }
    }
    found.insert(cats.begin(), cats.end());
  }
  std::vector<std::string> ordered;
  for (const auto& c : kCategories) {
    if (found.count(c)) ordered.push_back(c);
  }
  return ordered;
}

}  // namespace akg
