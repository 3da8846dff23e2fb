#include "skills/skills.h"

#include <algorithm>
#include <map>
#include <set>
#include <system_error>
#include <tuple>

#include <yaml-cpp/yaml.h>

#include "core/files.h"
#include "task/op_category.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

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
  static const std::set<std::string> kCategorySet(OperatorCategoryNames().begin(),
                                                  OperatorCategoryNames().end());
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


std::vector<std::string> OperatorCategories(const OpGraph& graph) { return graph.Categories(); }

}  // namespace akg
