#include "agents/prompt_context.h"

#include <map>

#include <fmt/format.h>

#include "prompt/template.h"

namespace akg {
namespace {

// j[key] without the undefined behaviour of a const operator[] on a missing key.
const Json& Field(const Json& j, const char* key) {
  static const Json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}

std::string Shape(const Json& shape) {
  if (!shape.is_array()) return "[?]";
  std::string s;
  for (const Json& d : shape) s += (s.empty() ? "" : ", ") + d.dump();
  return "[" + s + "]";
}

// "tensor float32 [16, 64]", "float 0.5", "list of 3: ..."
std::string DescribeValue(const Json& v) {
  std::string kind = StringOr(v, "kind", "other");
  if (kind == "tensor") return "tensor " + StringOr(v, "dtype", "?") + " " + Shape(Field(v, "shape"));
  if (kind == "scalar") {
    return StringOr(v, "type", "scalar") + " " + (v.contains("value") ? v["value"].dump() : "?");
  }
  if (kind == "none") return "None";
  if (kind == "list" && v.contains("items") && v["items"].is_array()) {
    std::string items;
    for (const Json& item : v["items"]) items += (items.empty() ? "" : "; ") + DescribeValue(item);
    return fmt::format("list of {}: {}", v["items"].size(), items);
  }
  return "other " + StringOr(v, "repr", "");
}

Json DescribeList(const Json& inspection, const char* key, const char* label) {
  Json lines = Json::array();
  if (!inspection.contains(key) || !inspection[key].is_array()) return lines;
  int k = 0;
  for (const Json& v : inspection[key]) {
    if (v.contains("name")) {  // parameters and buffers
      lines.push_back(StringOr(v, "name", "?") + ": " + StringOr(v, "dtype", "?") + " " +
                      Shape(Field(v, "shape")));
    } else {
      lines.push_back(fmt::format("{} {}: {}", label, k, DescribeValue(v)));
    }
    ++k;
  }
  return lines;
}

std::string Argument(const Json& a) {
  if (a.is_object() && a.contains("node")) return StringOr(a, "node", "?");
  if (a.is_object() && a.contains("repr")) return StringOr(a, "repr", "?");
  if (a.is_array()) {
    std::string s;
    for (const Json& e : a) s += (s.empty() ? "" : ", ") + Argument(e);
    return "[" + s + "]";
  }
  return a.dump();
}

std::string TypeText(const TensorType& t) { return t.dtype + ShapeText(t.shape); }

std::string NodeResult(const OpNode& n) {
  if (!n.outputs.empty()) {
    std::string s;
    for (const TensorType& o : n.outputs) s += (s.empty() ? "" : ", ") + TypeText(o);
    return "(" + s + ")";
  }
  return n.type ? TypeText(*n.type) : "?";
}

std::string NodeLine(const OpNode& n) {
  if (n.role == NodeRole::kOutput) {
    // args is [outputs]: one list (or tuple) of the returned nodes.
    bool single = n.args.is_array() && n.args.size() == 1;
    return "return " + Argument(single ? n.args[0] : n.args);
  }
  if (n.role != NodeRole::kCall) {
    std::string what = n.role == NodeRole::kInput
                           ? fmt::format("forward argument {}", n.input_index)
                           : std::string(NodeRoleName(n.role)) + " " + n.target;
    if (n.value) return fmt::format("{}: {} = {}", n.name, what, n.value->dump());
    return fmt::format("{}: {} {}", n.name, what, NodeResult(n));
  }
  std::string args;
  if (n.args.is_array()) {
    for (const Json& a : n.args) args += (args.empty() ? "" : ", ") + Argument(a);
  }
  for (const auto& [k, v] : n.kwargs.items()) {
    args += (args.empty() ? "" : ", ") + k + "=" + Argument(v);
  }
  return fmt::format("{} = {}({}) -> {}", n.name, n.target.empty() ? n.fx_op : n.target, args,
                     NodeResult(n));
}

std::string DeviceName(const Target& t) {
  static const std::map<std::string, std::string> kNames = {
      {"h100", "NVIDIA H100 (Hopper, sm_90, 80 GB HBM3, 50 MB L2, 132 SMs)"},
      {"h200", "NVIDIA H200 (Hopper, sm_90, 141 GB HBM3e, 50 MB L2, 132 SMs)"},
      {"a100", "NVIDIA A100 (Ampere, sm_80, 80 GB HBM2e, 40 MB L2, 108 SMs)"},
      {"l40s", "NVIDIA L40S (Ada, sm_89, 48 GB GDDR6, 96 MB L2, 142 SMs)"},
      {"rtx4090", "NVIDIA RTX 4090 (Ada, sm_89, 24 GB GDDR6X, 72 MB L2, 128 SMs)"},
      {"x86_64", "x86-64 CPU (AVX2/AVX-512 as -march=native finds them, OpenMP threads)"},
      {"aarch64", "AArch64 CPU (NEON/SVE as -march=native finds them, OpenMP threads)"},
  };
  auto it = kNames.find(t.arch);
  if (it != kNames.end()) return it->second;
  if (t.backend == "ascend") return "Huawei Ascend NPU " + t.arch + " (AI cores with cube and vector units)";
  if (t.backend == "cuda") return "NVIDIA GPU " + t.arch;
  return t.backend + " " + t.arch;
}

Json PeaksContext(const Json& peaks) {
  Json out = {{"known", false}, {"text", ""}, {"source", ""}};
  if (!peaks.is_object()) return out;
  double bw = NumberOr(peaks, "bandwidth_gbs", 0);
  std::string rates;
  double fp32 = 0;
  if (peaks.contains("tflops") && peaks["tflops"].is_object()) {
    for (const char* p : {"fp32", "tf32", "bf16", "fp16"}) {
      double r = NumberOr(peaks["tflops"], p, 0);
      if (r > 0) rates += fmt::format("{}{} {} TFLOP/s", rates.empty() ? "" : ", ", p, r);
      if (std::string(p) == "fp32") fp32 = r;
    }
  }
  if (bw <= 0 && rates.empty()) return out;
  std::string text;
  if (bw > 0) text = fmt::format("memory bandwidth {} GB/s (bytes read + written)", bw);
  if (!rates.empty()) text += (text.empty() ? "" : "; ") + rates;
  if (bw > 0 && fp32 > 0) {
    text += fmt::format("; fp32 ridge point {:.1f} FLOP/byte (below it a kernel is memory bound)",
                        fp32 * 1e3 / bw);
  }
  out["known"] = true;
  out["text"] = text;
  out["source"] = StringOr(peaks, "source", "");
  return out;
}

std::string JoinCategories(const std::vector<std::string>& categories) {
  std::string s;
  for (const std::string& c : categories) s += (s.empty() ? "" : ", ") + c;
  return s;
}

}  // namespace

std::string OpGraphSummary(const OpGraph& graph, size_t max_nodes) {
  if (!graph.has_graph()) {
    return "(no operator graph: " + (graph.error.empty() ? "not exported" : graph.error) + ")";
  }
  if (graph.nodes.empty()) return "(empty operator graph)";
  std::vector<std::string> lines;
  for (const OpNode& n : graph.nodes) lines.push_back(NodeLine(n));
  std::string out = "source: " + graph.source + "\n";
  if (lines.size() > max_nodes) {
    size_t head = max_nodes - max_nodes / 4, tail = max_nodes / 4;
    for (size_t i = 0; i < head; ++i) out += lines[i] + "\n";
    out += fmt::format("... {} more nodes ...\n", lines.size() - head - tail);
    for (size_t i = lines.size() - tail; i < lines.size(); ++i) out += lines[i] + "\n";
  } else {
    for (const std::string& l : lines) out += l + "\n";
  }
  return out;
}

std::string LogExcerpt(const std::string& log, size_t max_chars) {
  if (log.size() <= max_chars) return log;
  // Compilers put the first error at the head; tracebacks put the cause at the tail.
  size_t head = max_chars * 2 / 5, tail = max_chars - head;
  return log.substr(0, head) +
         fmt::format("\n[... {} characters cut ...]\n", log.size() - head - tail) +
         log.substr(log.size() - tail);
}

std::string FailureAdvice(const std::string& reason) {
  static const std::map<std::string, std::string> kAdvice = {
      {"shape_specific",
       "The kernel is right at the task's sizes and wrong at the other sizes the message "
       "names, so something in it depends on the task's sizes. Find every number that came "
       "from the task file (batch size, length, channels, hidden size, or a product of them) "
       "in the kernel source, the launch grid, loop bounds, strides, `tl.constexpr` or "
       "`#define` values and `__init__`, and read it at call time instead: `x.shape`, "
       "`x.numel()`, `x.stride()`, the constructor's arguments. Compute the grid from those "
       "sizes (`triton.cdiv(n, BLOCK)`, `(n + B - 1) / B`) and mask or guard the last partial "
       "block and tile: the other sizes are odd, not multiples of 16 and not powers of two. "
       "Native source must take sizes as arguments, not as constants written into the "
       "source."},
  };
  auto it = kAdvice.find(reason);
  return it == kAdvice.end() ? "" : it->second;
}

std::string FormatSpeedup(double speedup) {
  return speedup > 0 ? fmt::format("{:.2f}x", speedup) : "not measured";
}

Result<LlmRequest> RenderChatRequest(const std::string& agent, const LlmAgentOptions& options,
                                     const std::string& system_file, const std::string& user_file,
                                     const Json& ctx) {
  AKG_ASSIGN_OR_RETURN(std::string system, RenderTemplateFile(options.prompts_dir, system_file, ctx));
  AKG_ASSIGN_OR_RETURN(std::string user, RenderTemplateFile(options.prompts_dir, user_file, ctx));
  LlmRequest req;
  req.agent = agent;
  req.messages = {{"system", system}, {"user", user}};
  req.temperature = options.temperature;
  return req;
}

Json TaskContext(const TaskInfo& task) {
  const Json& in = task.inspection;
  OpGraphPtr graph = GraphOf(task);
  double ms = NumberOr(in, "reference_ms", 0);
  return {{"name", task.name},
          {"source", task.source},
          {"inputs", DescribeList(in, "inputs", "argument")},
          {"init_inputs", DescribeList(in, "init_inputs", "argument")},
          {"outputs", DescribeList(in, "outputs", "output")},
          {"parameters", DescribeList(in, "parameters", "")},
          {"buffers", DescribeList(in, "buffers", "")},
          {"device_used", StringOr(in, "device_used", "")},
          {"reference_ms", ms > 0 ? fmt::format("{:.4g} ms", ms) : ""},
          {"categories", JoinCategories(graph->Categories())},
          {"op_graph", OpGraphSummary(*graph)}};
}

Json TargetContext(const Target& target, const LlmAgentOptions& options) {
  Json dsl_is = Json::object();
  for (const std::string& d : KnownDsls()) dsl_is[d] = d == target.dsl;
  std::string extra;
  for (const std::string& g : options.extra_glue) extra += (extra.empty() ? "" : ", ") + g;
  return {{"framework", target.framework},
          {"backend", target.backend},
          {"arch", target.arch},
          {"dsl", target.dsl},
          {"dsl_is", dsl_is},
          {"device_name", DeviceName(target)},
          {"gpu", target.backend != "cpu"},  // CPU prompts speak of cores, caches and SIMD
          {"peaks", PeaksContext(options.arch_peaks)},
          {"policy", options.policy},
          {"policy_strict", options.policy != "partial"},
          {"shapes_vary", options.shapes != "task"},
          {"extra_glue", extra}};
}

Result<Json> AgentContext(const TaskInfo& task, const Target& target,
                          const LlmAgentOptions& options) {
  Json ctx = {{"task", TaskContext(task)}, {"target", TargetContext(target, options)}};
  AKG_ASSIGN_OR_RETURN(std::string notes,
                       RenderTemplateFile(options.prompts_dir, "dsl_" + target.dsl + ".md", ctx));
  AKG_ASSIGN_OR_RETURN(std::string contract,
                       RenderTemplateFile(options.prompts_dir, "candidate_contract.md", ctx));
  ctx["dsl_notes"] = notes;
  ctx["contract"] = contract;
  return ctx;
}

Json SkillLedger::Select(const LlmAgentOptions& options, const std::string& stage,
                         const OpGraph& graph) {
  Json out = Json::array();
  if (options.skills == nullptr || options.skills->empty()) return out;
  SkillQuery query = options.skill_query;
  query.stage = stage;
  query.categories = graph.Categories();
  std::vector<const Skill*> chosen = SelectSkills(*options.skills, query);
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Skill* s : chosen) {
    names_.insert(s->name);
    out.push_back({{"name", s->name}, {"description", s->description}, {"body", s->body}});
  }
  return out;
}

std::vector<std::string> SkillLedger::names() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {names_.begin(), names_.end()};
}

}  // namespace akg
