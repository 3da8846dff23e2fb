#include "prompt/template.h"

#include <algorithm>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "core/files.h"

namespace akg {
namespace {

struct Node {
  enum class Kind { kText, kVariable, kSection, kInverted };
  Kind kind = Kind::kText;
  std::string text;  // literal text, or the variable / section name
  int line = 0;      // 1-based line of the tag
  std::vector<Node> children;
};

class Parser {
 public:
  Parser(const std::string& text, const std::string& name) : text_(text), name_(name) {}

  Result<std::vector<Node>> Parse() {
    struct Open {
      Node node;
      std::vector<Node>* parent;
    };
    std::vector<Node> root;
    std::vector<std::unique_ptr<Open>> stack;
    auto current = [&]() -> std::vector<Node>& {
      return stack.empty() ? root : stack.back()->node.children;
    };
    size_t pos = 0;
    while (pos < text_.size()) {
      size_t open = text_.find("{{", pos);
      if (open == std::string::npos) {
        AddText(current(), text_.substr(pos));
        break;
      }
      size_t close = text_.find("}}", open + 2);
      int line = LineOf(open);
      if (close == std::string::npos) {
        return Error(line, "a '{{' tag is never closed with '}}'");
      }
      std::string tag = Trim(text_.substr(open + 2, close - open - 2));
      size_t after = close + 2;
      char sigil = tag.empty() ? '\0' : tag[0];
      bool block = sigil == '#' || sigil == '^' || sigil == '/' || sigil == '!';
      size_t text_end = open;
      if (block) StripStandaloneLine(open, &text_end, &after);
      AddText(current(), text_.substr(pos, text_end - pos));
      pos = after;
      if (sigil == '!') continue;
      std::string name = block ? Trim(tag.substr(1)) : tag;
      if (name.empty()) return Error(line, "an empty tag '{{" + tag + "}}'");
      if (sigil == '#' || sigil == '^') {
        auto o = std::make_unique<Open>();
        o->node.kind = sigil == '#' ? Node::Kind::kSection : Node::Kind::kInverted;
        o->node.text = name;
        o->node.line = line;
        stack.push_back(std::move(o));
      } else if (sigil == '/') {
        if (stack.empty()) {
          return Error(line, "'{{/" + name + "}}' closes a section that was never opened");
        }
        if (stack.back()->node.text != name) {
          return Error(line, fmt::format("'{{{{/{}}}}}' closes the section '{}' opened on line {}",
                                         name, stack.back()->node.text, stack.back()->node.line));
        }
        Node done = std::move(stack.back()->node);
        stack.pop_back();
        current().push_back(std::move(done));
      } else {
        current().push_back(Node{Node::Kind::kVariable, name, line, {}});
      }
    }
    if (!stack.empty()) {
      const Node& n = stack.back()->node;
      return Error(n.line, "section '" + n.text + "' is never closed with '{{/" + n.text + "}}'");
    }
    return root;
  }

 private:
  static std::string Trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
  }

  static void AddText(std::vector<Node>& nodes, std::string text) {
    if (!text.empty()) nodes.push_back(Node{Node::Kind::kText, std::move(text), 0, {}});
  }

  int LineOf(size_t pos) const {
    return 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + pos, '\n'));
  }

  // A block tag alone on its line (only blanks around it) takes the whole line with it: the
  // text before it ends at the line's start and parsing resumes after its newline.
  void StripStandaloneLine(size_t open, size_t* text_end, size_t* after) const {
    size_t line_start = open;
    while (line_start > 0 && (text_[line_start - 1] == ' ' || text_[line_start - 1] == '\t')) {
      --line_start;
    }
    if (line_start > 0 && text_[line_start - 1] != '\n') return;
    size_t end = *after;
    while (end < text_.size() && (text_[end] == ' ' || text_[end] == '\t' || text_[end] == '\r')) {
      ++end;
    }
    if (end < text_.size() && text_[end] != '\n') return;
    *text_end = line_start;
    *after = end < text_.size() ? end + 1 : end;
  }

  Status Error(int line, const std::string& what) const {
    return ConfigError(fmt::format("prompt template '{}', line {}: {}; fix the template", name_,
                                   line, what));
  }

  const std::string& text_;
  const std::string& name_;
};

bool Truthy(const Json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0.0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  return !v.empty();  // arrays and objects
}

std::string ValueText(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) return fmt::format("{}", v.get<double>());
  return v.dump(2);
}

class Renderer {
 public:
  explicit Renderer(const std::string& name) : name_(name) {}

  Status Render(const std::vector<Node>& nodes, std::vector<const Json*>& stack,
                std::string* out) {
    for (const Node& n : nodes) {
      if (n.kind == Node::Kind::kText) {
        *out += n.text;
        continue;
      }
      const Json* value = Lookup(n.text, stack);
      if (value == nullptr) {
        return ConfigError(fmt::format(
            "prompt template '{}', line {}: unknown variable '{}'; fix the template or give "
            "the variable a value",
            name_, n.line, n.text));
      }
      if (n.kind == Node::Kind::kVariable) {
        *out += ValueText(*value);
      } else if (n.kind == Node::Kind::kInverted) {
        if (!Truthy(*value)) AKG_RETURN_IF_ERROR(Render(n.children, stack, out));
      } else if (Truthy(*value)) {
        if (value->is_array()) {
          for (const Json& element : *value) AKG_RETURN_IF_ERROR(RenderWith(n, element, stack, out));
        } else {
          AKG_RETURN_IF_ERROR(RenderWith(n, *value, stack, out));
        }
      }
    }
    return Status::Ok();
  }

 private:
  Status RenderWith(const Node& n, const Json& context, std::vector<const Json*>& stack,
                    std::string* out) {
    stack.push_back(&context);
    Status s = Render(n.children, stack, out);
    stack.pop_back();
    return s;
  }

  // The first context (innermost first) whose object holds the name's first part; the rest of
  // a dotted name must resolve inside that value.
  static const Json* Lookup(const std::string& name, const std::vector<const Json*>& stack) {
    if (name == ".") return stack.back();
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t dot = name.find('.', start);
      parts.push_back(name.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
      const Json& ctx = **it;
      if (!ctx.is_object() || !ctx.contains(parts[0])) continue;
      const Json* v = &ctx[parts[0]];
      for (size_t i = 1; i < parts.size(); ++i) {
        if (!v->is_object() || !v->contains(parts[i])) return nullptr;
        v = &(*v)[parts[i]];
      }
      return v;
    }
    return nullptr;
  }

  const std::string& name_;
};

}  // namespace

Result<std::string> RenderTemplate(const std::string& text, const Json& context,
                                   const std::string& template_name) {
  AKG_ASSIGN_OR_RETURN(std::vector<Node> nodes, Parser(text, template_name).Parse());
  std::vector<const Json*> stack = {&context};
  std::string out;
  AKG_RETURN_IF_ERROR(Renderer(template_name).Render(nodes, stack, &out));
  return out;
}

Result<std::string> RenderTemplateFile(const std::filesystem::path& dir, const std::string& file,
                                       const Json& context) {
  std::filesystem::path path = dir / file;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return ConfigError(fmt::format(
        "prompt template '{}' not found in the prompts folder '{}'; reinstall or set AKG_HOME "
        "to the project folder",
        file, dir.string()));
  }
  AKG_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return RenderTemplate(text, context, file);
}

}  // namespace akg
