#include "builtin/intent.h"

#include <cctype>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "builtin/expr_emit.h"

namespace akg {
namespace {

struct ParamSpec {
  const char* name;
  double fallback;
  std::set<std::string> keywords;  // words that name this parameter in a sentence
};

// One catalogue operator. `code` uses {x} (the running value), {p0}, {p1} (parameters);
// binary operators use {y} (a new tensor argument) or {s} (a number) instead.
struct CatalogueOp {
  const char* name;
  std::vector<std::string> phrases;
  std::vector<ParamSpec> params;
  const char* code;
  const char* scalar_code = nullptr;  // binary operators only
  bool positive_domain = false;       // wants positive inputs (log, sqrt, ...)
};

const std::vector<CatalogueOp>& Catalogue() {
  static const auto* ops = new std::vector<CatalogueOp>{
      {"relu", {"relu", "rectified linear unit", "rectified linear"}, {}, "torch.relu({x})"},
      {"leaky relu", {"leaky relu", "leakyrelu", "leaky_relu", "lrelu"},
       {{"negative_slope", 0.01, {"slope", "negative_slope", "negative"}}},
       "F.leaky_relu({x}, negative_slope={p0})"},
      {"relu6", {"relu6", "relu 6"}, {}, "F.relu6({x})"},
      {"sigmoid", {"sigmoid", "logistic"}, {}, "torch.sigmoid({x})"},
      {"tanh gelu", {"gelu tanh", "tanh gelu", "approximate gelu", "gelu approximate", "fast gelu"},
       {}, "F.gelu({x}, approximate=\"tanh\")"},
      {"gelu", {"gelu"}, {}, "F.gelu({x})"},
      {"tanh", {"tanh", "hyperbolic tangent"}, {}, "torch.tanh({x})"},
      {"silu (swish)", {"silu", "swish"}, {}, "F.silu({x})"},
      {"elu", {"elu"}, {{"alpha", 1.0, {"alpha"}}}, "F.elu({x}, alpha={p0})"},
      {"selu", {"selu"}, {}, "F.selu({x})"},
      {"celu", {"celu"}, {{"alpha", 1.0, {"alpha"}}}, "F.celu({x}, alpha={p0})"},
      {"hardtanh", {"hardtanh", "hard tanh"},
       {{"min_val", -1.0, {"min", "minimum", "lower", "low"}},
        {"max_val", 1.0, {"max", "maximum", "upper", "high"}}},
       "F.hardtanh({x}, min_val={p0}, max_val={p1})"},
      {"hardsigmoid", {"hardsigmoid", "hard sigmoid"}, {}, "F.hardsigmoid({x})"},
      {"hardswish", {"hardswish", "hard swish"}, {}, "F.hardswish({x})"},
      {"softplus", {"softplus", "soft plus"},
       {{"beta", 1.0, {"beta"}}, {"threshold", 20.0, {"threshold"}}},
       "F.softplus({x}, beta={p0}, threshold={p1})"},
      {"softsign", {"softsign", "soft sign"}, {}, "F.softsign({x})"},
      {"exp", {"exp", "exponential", "exponent"}, {}, "torch.exp({x})"},
      {"log", {"log", "logarithm", "ln"}, {}, "torch.log({x})", nullptr, true},
      {"abs", {"abs", "absolute value", "absolute"}, {}, "torch.abs({x})"},
      {"negate", {"negate", "neg", "negation", "negative"}, {}, "-{x}"},
      {"sqrt", {"sqrt", "square root"}, {}, "torch.sqrt({x})", nullptr, true},
      {"rsqrt", {"rsqrt", "inverse square root", "reciprocal square root"}, {},
       "torch.rsqrt({x})", nullptr, true},
      {"reciprocal", {"reciprocal", "inverse"}, {}, "torch.reciprocal({x})", nullptr, true},
      {"square", {"square", "squared"}, {}, "{x} * {x}"},
      {"clamp", {"clamp", "clip"},
       {{"min", -1.0, {"min", "minimum", "lower", "low"}},
        {"max", 1.0, {"max", "maximum", "upper", "high"}}},
       "torch.clamp({x}, min={p0}, max={p1})"},
      {"add", {"add", "plus", "sum", "adds", "+"}, {}, "{x} + {y}", "{x} + {s}"},
      {"subtract", {"subtract", "sub", "minus", "-"}, {}, "{x} - {y}", "{x} - {s}"},
      {"multiply", {"multiply", "mul", "times", "scale", "scaled", "multiplied", "product", "*"}, {},
       "{x} * {y}", "{x} * {s}"},
      {"divide", {"divide", "div", "divided", "/"}, {}, "{x} / {y}", "{x} / {s}"},
      {"maximum", {"maximum", "max"}, {}, "torch.maximum({x}, {y})", "torch.clamp({x}, min={s})"},
      {"minimum", {"minimum", "min"}, {}, "torch.minimum({x}, {y})", "torch.clamp({x}, max={s})"},
  };
  return *ops;
}

const std::set<std::string>& Fillers() {
  static const auto* words = new std::set<std::string>{
      "generate", "create", "write", "make", "build", "implement", "give", "need", "want",
      "i", "we", "please", "me", "us", "a", "an", "the", "kernel", "kernels", "operator",
      "operators", "op", "ops", "operation", "function", "activation", "layer", "module",
      "elementwise", "element", "wise", "pointwise", "apply", "applies", "applying", "applied",
      "compute", "computes", "computing", "calculate", "perform", "do", "of", "to", "on",
      "for", "with", "that", "which", "it", "its", "result", "output", "x", "value", "values",
      "fused", "fast", "simple", "by", "using", "use", "in", "is", "as", "from", "each",
      "every", "torch", "pytorch", "approximation", "between", "shape", "size", "sized",
      "float32", "fp32", "by"};
  return *words;
}

// Words that end a step, so multi-word names never match across them.
const std::set<std::string>& Separators() {
  static const auto* words = new std::set<std::string>{"then", "and", "followed", "after",
                                                       "finally", "next", ",", ";"};
  return *words;
}

const std::set<std::string>& TensorWords() {
  static const auto* words = new std::set<std::string>{
      "tensor", "tensors", "input", "inputs", "another", "y", "second", "third", "other"};
  return *words;
}

struct Token {
  std::string text;
  std::optional<double> number;
  bool separator = false;
};

std::optional<double> ParseNumber(const std::string& w) {
  static const std::map<std::string, double> kWords = {
      {"zero", 0}, {"one", 1}, {"two", 2}, {"three", 3}, {"four", 4}, {"five", 5},
      {"six", 6}, {"seven", 7}, {"eight", 8}, {"nine", 9}, {"ten", 10}, {"half", 0.5}};
  if (auto it = kWords.find(w); it != kWords.end()) return it->second;
  static const std::regex kNumber(R"([+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)");
  if (std::regex_match(w, kNumber)) return std::stod(w);
  return std::nullopt;
}

std::vector<int> ParseShape(const std::string& word) {
  std::vector<int> dims;
  std::stringstream in(word);
  for (std::string part; std::getline(in, part, 'x');) dims.push_back(std::stoi(part));
  return dims;
}

// Lowercase words, numbers and separators; fillers dropped; a shape such as "16x1024" is
// taken out into `shape`.
std::vector<Token> Tokenize(const std::string& sentence, std::vector<int>* shape) {
  std::string text;
  for (char c : sentence) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == ',' || l == ';' || l == '*' || l == '/') text += std::string(" ") + l + " ";
    else if (std::string("()[]{}:!?\"'`").find(l) != std::string::npos) text += ' ';
    else text += l;
  }
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) {
    while (!w.empty() && w.back() == '.') w.pop_back();
    if (w == "-" || ParseNumber(w) || w.find('-') == std::string::npos) {
      words.push_back(w);
      continue;
    }
    std::stringstream parts(w);  // "leaky-relu", "element-wise"
    for (std::string part; std::getline(parts, part, '-');) words.push_back(part);
  }
  static const std::regex kShape(R"(\d+(x\d+)+)");
  std::vector<Token> tokens;
  for (const std::string& w : words) {
    if (w.empty()) continue;
    if (std::regex_match(w, kShape)) *shape = ParseShape(w);
    else if (Separators().contains(w)) tokens.push_back({w, std::nullopt, true});
    else if (auto n = ParseNumber(w)) tokens.push_back({w, n, false});
    else if (!Fillers().contains(w)) tokens.push_back({w, std::nullopt, false});
  }
  return tokens;
}

std::string CatalogueText() {
  std::string s;
  for (const std::string& name : IntentCatalogue()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

Status NotUnderstood(const std::string& what) {
  return UnsupportedError("the builtin model could not map " + what +
                          " to an elementwise operator; it knows: " + CatalogueText());
}

// The longest catalogue phrase at tokens[i]; {nullptr, 0} when none matches.
std::pair<const CatalogueOp*, size_t> MatchOp(const std::vector<Token>& tokens, size_t i) {
  std::pair<const CatalogueOp*, size_t> best{nullptr, 0};
  for (const CatalogueOp& op : Catalogue()) {
    for (const std::string& phrase : op.phrases) {
      std::istringstream in(phrase);
      size_t n = 0;
      bool match = true;
      for (std::string w; match && in >> w; ++n) {
        match = i + n < tokens.size() && tokens[i + n].text == w;
      }
      if (match && n > best.second) best = {&op, n};
    }
  }
  return best;
}

struct Step {
  const CatalogueOp* op = nullptr;
  std::vector<double> params;
  std::vector<bool> given;
  int pending = -1;              // parameter named by the last keyword
  std::optional<double> scalar;  // binary operator with a number
  bool tensor = false;           // binary operator with a new tensor argument
};

Step NewStep(const CatalogueOp* op) {
  Step s;
  s.op = op;
  for (const ParamSpec& p : op->params) s.params.push_back(p.fallback);
  s.given.assign(op->params.size(), false);
  return s;
}

int KeywordParam(const Step& s, const std::string& word) {
  for (size_t i = 0; i < s.op->params.size(); ++i) {
    if (s.op->params[i].keywords.contains(word)) return static_cast<int>(i);
  }
  return -1;
}

Status AddNumber(Step& s, double value, const std::string& text) {
  if (s.op->scalar_code != nullptr) {
    if (s.scalar || s.tensor) return NotUnderstood("a second operand '" + text + "' of " + s.op->name);
    s.scalar = value;
    return Status::Ok();
  }
  int index = s.pending;
  for (size_t i = 0; index < 0 && i < s.given.size(); ++i) {
    if (!s.given[i]) index = static_cast<int>(i);
  }
  if (index < 0) return NotUnderstood("the number " + text + " after " + s.op->name);
  s.params[index] = value;
  s.given[index] = true;
  s.pending = -1;
  return Status::Ok();
}

// Handles a token that is not an operator name; `next` is the token after it or nullptr.
Status AddArgument(Step* s, const Token& tok, const Token* next) {
  if (tok.number) {
    // "two tensors" counts operands; it is not a parameter.
    if (next != nullptr && (next->text == "tensors" || next->text == "inputs")) {
      return Status::Ok();
    }
    if (s == nullptr) return NotUnderstood("the number " + tok.text + " before any operator");
    return AddNumber(*s, *tok.number, tok.text);
  }
  if (TensorWords().contains(tok.text)) {
    // "relu on a tensor" just names the input; after add/multiply/... it is an operand.
    if (s == nullptr || s->op->scalar_code == nullptr) return Status::Ok();
    if (s->scalar) return NotUnderstood("'" + tok.text + "' after a number for " + s->op->name);
    s->tensor = true;
    return Status::Ok();
  }
  return NotUnderstood("'" + tok.text + "'");
}

Result<std::vector<Step>> ParseSteps(const std::vector<Token>& tokens) {
  std::vector<Step> steps;
  for (size_t i = 0; i < tokens.size();) {
    const Token& tok = tokens[i];
    Step* cur = steps.empty() ? nullptr : &steps.back();
    if (tok.separator) {
      ++i;
    } else if (int p = cur ? KeywordParam(*cur, tok.text) : -1; p >= 0) {
      cur->pending = p;
      ++i;
    } else if (auto [op, len] = MatchOp(tokens, i); op != nullptr) {
      steps.push_back(NewStep(op));
      i += len;
    } else {
      AKG_RETURN_IF_ERROR(AddArgument(cur, tok, i + 1 < tokens.size() ? &tokens[i + 1] : nullptr));
      ++i;
    }
  }
  if (steps.empty()) return NotUnderstood("the request (it names no operator)");
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& s = steps[i];
    if (s.op->scalar_code == nullptr || s.scalar || s.tensor) continue;
    if (i > 0) {
      return UnsupportedError("the request says '" + std::string(s.op->name) +
                              "' without an operand; say e.g. '" + s.op->name + " 2' or '" +
                              s.op->name + " a tensor'");
    }
    s.tensor = true;  // "add" alone at the start: add two tensors
  }
  return steps;
}

std::string Replace(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    for (size_t at; (at = text.find("{" + key + "}")) != std::string::npos;) {
      text.replace(at, key.size() + 2, value);
    }
  }
  return text;
}

std::string SourceFor(const std::vector<Step>& steps, const std::vector<int>& shape,
                      const std::string& sentence) {
  static const char* kNames[] = {"y", "z", "w", "v", "u"};
  std::string args = "x", body, chain;
  bool positive = false;
  int extra = 0;
  for (const Step& s : steps) {
    std::map<std::string, std::string> values{{"x", "x"}};
    std::string name = s.op->name;
    if (s.tensor) {
      values["y"] = extra < 5 ? kNames[extra] : "arg" + std::to_string(extra + 1);
      args += ", " + values["y"];
      ++extra;
      name += " a tensor";
    }
    if (s.scalar) {
      values["s"] = PyFloatLiteral(*s.scalar);
      bool by = name == "multiply" || name == "divide";
      name += (by ? " by " : " ") + values["s"];
    }
    for (size_t i = 0; i < s.params.size(); ++i) {
      values["p" + std::to_string(i)] = PyFloatLiteral(s.params[i]);
      name += (i ? ", " : " (") + std::string(s.op->params[i].name) + "=" +
              values["p" + std::to_string(i)] + (i + 1 == s.params.size() ? ")" : "");
    }
    body += "        x = " + Replace(s.scalar ? s.op->scalar_code : s.op->code, values) + "\n";
    chain += (chain.empty() ? "" : ", then ") + name;
    positive = positive || s.op->positive_domain;
  }
  std::string dims;
  for (int d : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
  std::string draw = positive ? "torch.rand(" + dims + ") + 0.1" : "torch.randn(" + dims + ")";
  std::string inputs = draw;
  for (int k = 0; k < extra; ++k) inputs += ", " + draw;
  std::string quoted;
  for (char c : sentence) quoted += (c == '"' || c == '\\' || c == '\n') ? ' ' : c;
  return "\"\"\"Task written by the AKG builtin model from: " + quoted + "\"\"\"\n"
         "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n"
         "class Model(nn.Module):\n    \"\"\"" + chain + ".\"\"\"\n\n"
         "    def __init__(self):\n        super().__init__()\n\n"
         "    def forward(self, " + args + "):\n" + body + "        return x\n\n\n"
         "def get_inputs():\n    return [" + inputs + "]\n\n\n"
         "def get_init_inputs():\n    return []\n";
}

}  // namespace

std::vector<std::string> IntentCatalogue() {
  std::vector<std::string> names;
  for (const CatalogueOp& op : Catalogue()) names.push_back(op.name);
  return names;
}

Result<std::string> TaskSourceFromIntent(const std::string& sentence) {
  std::vector<int> shape = {16, 16384};
  AKG_ASSIGN_OR_RETURN(std::vector<Step> steps, ParseSteps(Tokenize(sentence, &shape)));
  return SourceFor(steps, shape, sentence);
}

}  // namespace akg
