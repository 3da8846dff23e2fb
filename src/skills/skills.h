// Skills: Markdown documents of DSL- and hardware-specific knowledge that the designer and
// KernelGen put into their prompts.
//
//   skills/<dsl>/*.md (+ user folders from settings) ──LoadSkills──▶ [Skill]
//   [Skill] + SkillQuery (dsl, backend, arch, operator categories, stage) ──SelectSkills──▶ chosen
//   inspect result (op graph) ──OperatorCategories──▶ ["elementwise", "reduction", ...]
//
// Front matter (YAML between two `---` lines) names the skill and where it applies:
//   name, description, dsl, backend, arch (list; empty = any), categories (list; empty = any),
//   stages (list of design | generate | debug | optimise; empty = any), priority (int, default 0)
// name, description and dsl are required; dsl must equal the folder's name; an unknown key, a
// value of the wrong type, an unknown category or stage, or a missing closing `---` is an error.
// The builtin skills live in <source>/skills/<dsl>/ (see skills/README.md for the format).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "task/op_graph.h"

namespace akg {

struct Skill {
  std::string name;
  std::string description;
  std::string dsl;
  std::string backend;
  std::vector<std::string> arch;        // empty = any arch
  std::vector<std::string> categories;  // empty = any operator category
  std::vector<std::string> stages;      // empty = every stage
  int priority = 0;                     // higher first
  std::string body;                     // Markdown after the front matter
  std::filesystem::path path;
};

struct SkillQuery {
  std::string dsl;
  std::string backend;
  std::string arch;
  std::vector<std::string> categories;  // the task's operator categories
  std::string stage;                    // "design" | "generate" | "debug" | "optimise"
  size_t max_chars = 24000;             // budget for the chosen bodies together
};

// Loads every <root>/<dsl>/*.md under each root (a missing root is skipped), roots in order,
// files sorted by path. A skill from a later root replaces an earlier one of the same dsl and
// name (so a user folder can override a builtin skill); the same dsl and name twice in one root
// is an error. A file with bad front matter is an error naming the file and the key.
Result<std::vector<Skill>> LoadSkills(const std::vector<std::filesystem::path>& roots);

// The skills that apply, best first (priority, then specificity, then name), within the
// character budget. dsl must match exactly. backend, arch, stage: a skill that lists them
// applies only where the query's value is listed; an empty query value means "unknown" and
// filters nothing. categories: a skill that lists them applies where it shares one with the
// query's; empty query categories (no graph) filter nothing. Specificity is the number of
// constraints (backend, arch, categories, stages) the skill lists. A skill whose body does not
// fit what is left of max_chars is skipped and the next one tried.
std::vector<const Skill*> SelectSkills(const std::vector<Skill>& skills, const SkillQuery& query);

// The operator categories of an inspected task ("elementwise", "reduction", "matmul",
// "convolution", "normalization", "softmax", "pooling", "attention", "scan", "indexing",
// "other") in that fixed order: the union of its calls' categories (task/op_category.h).
// No graph gives an empty list.
std::vector<std::string> OperatorCategories(const OpGraph& graph);

}  // namespace akg
