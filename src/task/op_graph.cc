#include "task/op_graph.h"

#include <set>

#include "task/op_category.h"

namespace akg {
namespace {

// One dim of the JSON: an int, or a symbolic size (a string) as -1.
int64_t Dim(const Json& d) { return d.is_number_integer() ? d.get<int64_t>() : -1; }

std::optional<TensorType> TypeOf(const Json& j) {
  if (!j.is_object() || !j.contains("shape") || !j["shape"].is_array()) return std::nullopt;
  TensorType t;
  for (const Json& d : j["shape"]) t.shape.push_back(Dim(d));
  t.dtype = StringOr(j, "dtype", "float32");
  return t;
}

NodeRole RoleOf(const Json& node) {
  std::string op = StringOr(node, "op", "");
  if (op == "output") return NodeRole::kOutput;
  if (op != "placeholder") return NodeRole::kCall;
  std::string role = StringOr(node, "role", "user_input");
  if (role == "parameter") return NodeRole::kParameter;
  if (role == "buffer") return NodeRole::kBuffer;
  if (role == "constant") return NodeRole::kConstant;
  return NodeRole::kInput;
}

void CollectRefs(const Json& value, std::vector<std::string>* names) {
  if (value.is_object() && value.contains("node") && value["node"].is_string()) {
    names->push_back(value["node"].get<std::string>());
  } else if (value.is_array() || value.is_object()) {
    for (const Json& item : value) CollectRefs(item, names);
  }
}

int64_t ShapeProduct(const std::vector<int64_t>& shape, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t i = from; i < to && i < shape.size(); ++i) n *= shape[i] < 0 ? 0 : shape[i];
  return n;
}

// FLOPs of a matrix product or convolution, from the operand and result shapes (the rules of
// torch.utils.flop_counter: 2 per multiply-add).
int64_t FlopsOf(const OpNode& n, const OpGraph& g) {
  if (!n.type) return 0;
  auto operand_type = [&](size_t k) -> const TensorType* {
    if (k >= n.operands.size()) return nullptr;
    const OpNode& o = g.nodes[static_cast<size_t>(n.operands[k])];
    return o.type ? &*o.type : nullptr;
  };
  const std::vector<int64_t>& out = n.type->shape;
  int64_t out_numel = n.type->Numel();
  static const std::set<std::string> kProducts = {"mm", "bmm", "matmul", "linear", "addmm",
                                                  "baddbmm", "addbmm", "mv", "addmv", "dot"};
  if (kProducts.contains(n.op)) {
    // Every output element is a dot product over the contracted size K: the first operand's
    // last dim (addmm/baddbmm: the second's, after the bias).
    size_t a = (n.op == "addmm" || n.op == "baddbmm" || n.op == "addmv") ? 1 : 0;
    const TensorType* lhs = operand_type(a);
    if (lhs == nullptr || lhs->shape.empty()) return 0;
    int64_t k = lhs->shape.back() < 0 ? 0 : lhs->shape.back();
    return 2 * out_numel * k;
  }
  if (n.op.rfind("conv", 0) == 0 && n.op.find("backward") == std::string::npos) {
    const TensorType* w = operand_type(1);
    if (w == nullptr || w->shape.size() < 2 || out.size() < 2) return 0;
    // Each output element sums over in_channels/groups x kernel taps of the weight; a
    // transposed convolution's weight is [in, out/groups, k...], so it is counted by input.
    bool transposed = n.op.find("transpose") != std::string::npos;
    if (n.op == "convolution" && n.args.is_array() && n.args.size() > 6 && n.args[6].is_boolean()) {
      transposed = n.args[6].get<bool>();
    }
    int64_t taps = ShapeProduct(w->shape, 2, w->shape.size());
    if (transposed) {
      const TensorType* x = operand_type(0);
      if (x == nullptr) return 0;
      return 2 * x->Numel() * w->shape[1] * taps;
    }
    return 2 * out_numel * w->shape[1] * taps;
  }
  return 0;
}

void ParseForwardArgs(const Json& inspection, OpGraph& g) {
  int k = 0;
  for (const Json& in : inspection.value("inputs", Json::array())) {
    ForwardArg a;
    a.index = k++;
    a.kind = StringOr(in, "kind", "tensor");
    if (a.kind == "tensor") a.type = TypeOf(in);
    if (in.contains("value")) a.value = in["value"];
    g.forward_args.push_back(std::move(a));
  }
  for (const Json& out : inspection.value("outputs", Json::array())) {
    if (auto t = TypeOf(out)) g.results.push_back(*t);
  }
  g.reference_ms = NumberOr(inspection, "reference_ms", 0);
}

OpNode MakeNode(const Json& node, int id) {
  OpNode n;
  n.id = id;
  n.name = StringOr(node, "name", "?");
  n.role = RoleOf(node);
  n.fx_op = StringOr(node, "op", "");
  if (node.contains("args")) n.args = node["args"];
  if (node.contains("kwargs") && node["kwargs"].is_object()) n.kwargs = node["kwargs"];
  n.type = TypeOf(node);
  if (node.contains("outputs") && node["outputs"].is_array()) {
    for (const Json& o : node["outputs"]) {
      if (auto t = TypeOf(o)) n.outputs.push_back(*t);
    }
  }
  if (node.contains("value")) n.value = node["value"];
  if (n.role == NodeRole::kInput) n.input_index = node.value("index", -1);
  if (n.role == NodeRole::kCall) {
    n.target = StringOr(node, "target", "");
    auto [name, overload] = OpName(n.target);
    n.op = name;
    n.overload = overload;
    n.in_place = n.target.find(name + "_.") != std::string::npos;
    n.categories = NodeCategories(n.fx_op, n.target, node);
  } else if (n.role != NodeRole::kOutput) {
    n.target = StringOr(node, "target", n.name);
  }
  return n;
}

void ParseNodes(const Json& nodes, OpGraph& g, std::map<std::string, int>& by_name) {
  for (const Json& node : nodes) {
    if (!node.is_object()) continue;
    OpNode n = MakeNode(node, static_cast<int>(g.nodes.size()));
    std::vector<std::string> refs;
    CollectRefs(n.args, &refs);
    CollectRefs(n.kwargs, &refs);
    for (const std::string& r : refs) {
      auto it = by_name.find(r);
      if (it == by_name.end()) continue;
      n.operands.push_back(it->second);
      ++g.nodes[static_cast<size_t>(it->second)].uses;
    }
    if (n.role == NodeRole::kOutput) {
      // args is [results]: one list of the returned values.
      const Json& results = n.args.is_array() && !n.args.empty() ? n.args[0] : Json();
      for (const Json& r : results.is_array() ? results : Json::array({results})) {
        auto it = r.is_object() && r.contains("node") && r["node"].is_string()
                      ? by_name.find(r["node"].get<std::string>()) : by_name.end();
        g.outputs.push_back(it == by_name.end() ? -1 : it->second);
      }
    }
    by_name[n.name] = n.id;
    g.nodes.push_back(std::move(n));
  }
  for (OpNode& n : g.nodes) n.flops = FlopsOf(n, g);
}

}  // namespace

int64_t TensorType::Numel() const {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return 0;
    n *= d;
  }
  return n;
}

int64_t TensorType::Bytes() const { return Numel() * DtypeBytes(dtype); }

int DtypeBytes(const std::string& dtype) {
  if (dtype == "float16" || dtype == "bfloat16" || dtype == "int16") return 2;
  if (dtype == "float64" || dtype == "int64" || dtype == "complex64") return 8;
  if (dtype == "int8" || dtype == "uint8" || dtype == "bool" || dtype == "float8_e4m3fn" ||
      dtype == "float8_e5m2") {
    return 1;
  }
  return 4;
}

bool IsFloatDtype(const std::string& dtype) {
  return dtype == "float32" || dtype == "float16" || dtype == "bfloat16" || dtype == "float64";
}

const char* NodeRoleName(NodeRole role) {
  switch (role) {
    case NodeRole::kInput: return "input";
    case NodeRole::kParameter: return "parameter";
    case NodeRole::kBuffer: return "buffer";
    case NodeRole::kConstant: return "constant";
    case NodeRole::kCall: return "call";
    case NodeRole::kOutput: return "output";
  }
  return "?";
}

const OpNode* OpGraph::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &nodes[static_cast<size_t>(it->second)];
}

std::vector<const OpNode*> OpGraph::Placeholders(NodeRole role) const {
  std::vector<const OpNode*> out;
  for (const OpNode& n : nodes) {
    if (n.role == role) out.push_back(&n);
  }
  return out;
}

std::vector<const OpNode*> OpGraph::Calls() const { return Placeholders(NodeRole::kCall); }

std::vector<std::string> OpGraph::Categories() const {
  std::set<std::string> found;
  for (const OpNode& n : nodes) found.insert(n.categories.begin(), n.categories.end());
  std::vector<std::string> ordered;
  for (const std::string& c : OperatorCategoryNames()) {
    if (found.contains(c)) ordered.push_back(c);
  }
  return ordered;
}

GraphTraffic OpGraph::Traffic() const {
  GraphTraffic t;
  for (const OpNode& n : nodes) {
    switch (n.role) {
      case NodeRole::kInput:
      case NodeRole::kParameter:
      case NodeRole::kBuffer:
      case NodeRole::kConstant:
        if (n.type) t.min_bytes += n.type->Bytes();
        break;
      case NodeRole::kCall:
        ++t.eager_kernels;
        if (n.type) t.eager_bytes_written += n.type->Bytes();
        for (const TensorType& o : n.outputs) t.eager_bytes_written += o.Bytes();
        for (int id : n.operands) {
          const OpNode& o = nodes[static_cast<size_t>(id)];
          if (o.type) t.eager_bytes_read += o.type->Bytes();
        }
        t.flops += n.flops;
        if (n.flops > 0) t.flops_by_dtype[n.type ? n.type->dtype : "?"] += n.flops;
        break;
      case NodeRole::kOutput:
        for (int id : outputs) {
          if (id >= 0 && nodes[static_cast<size_t>(id)].type) {
            t.min_bytes += nodes[static_cast<size_t>(id)].type->Bytes();
          }
        }
        break;
    }
  }
  return t;
}

OpGraph ParseOpGraph(const Json& inspection) {
  OpGraph g;
  try {
    if (!inspection.is_object()) {
      g.error = "malformed inspect result: not a JSON object";
      return g;
    }
    ParseForwardArgs(inspection, g);
    const Json& graph = inspection.value("graph", Json());
    if (!graph.is_object()) {
      const Json& why = inspection.value("graph_error", Json());
      g.error = why.is_string() ? why.get<std::string>() : "not exported";
      return g;
    }
    g.source = StringOr(graph, "source", "?");
    g.error = StringOr(graph, "export_error", "");
    ParseNodes(graph.value("nodes", Json::array()), g, g.by_name_);
  } catch (const Json::exception& e) {
    g.error = std::string("malformed inspect result: ") + e.what();
  }
  return g;
}

OpGraphPtr MakeOpGraph(const Json& inspection) {
  return std::make_shared<const OpGraph>(ParseOpGraph(inspection));
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += (i ? ", " : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  }
  return s + "]";
}

}  // namespace akg
