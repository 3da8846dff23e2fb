// ParseElementwiseGraph: walks the nodes of a torch.export graph, checks what the builtin model
// can take (operators, placeholders, dtypes, one output) and lowers each call (aten_lowering).
#include <map>
#include <string>

#include "builtin/aten_lowering.h"
#include "builtin/elementwise_ir.h"

namespace akg {
namespace {

bool IsFloatDtype(const std::string& dtype) {
  return dtype == "float32" || dtype == "float16" || dtype == "bfloat16";
}

Status CheckDtype(const Json& node) {
  std::string dtype = node.value("dtype", std::string("float32"));
  if (IsFloatDtype(dtype)) return Status::Ok();
  return UnsupportedError("the builtin model handles float32, float16 and bfloat16 tensors; '" +
                          node.value("name", std::string("?")) + "' is " + dtype);
}

// How often each node name is referenced by other nodes' arguments.
void CountUses(const Json& value, std::map<std::string, int>* uses) {
  if (value.is_object() && value.contains("node") && value["node"].is_string()) {
    ++(*uses)[value["node"].get<std::string>()];
  } else if (value.is_array() || value.is_object()) {
    for (const Json& item : value) CountUses(item, uses);
  }
}

// Names the first operator the builtin model cannot write, before anything else is judged:
// for a convolution task "cannot write aten.conv2d" says more than "has parameters".
Status CheckOperators(const Json& nodes) {
  for (const Json& node : nodes) {
    std::string op = node.value("op", std::string());
    if (op == "placeholder" || op == "output") continue;
    AtenCall call = MakeAtenCall(node);
    if (op != "call_function" || FindAtenHandler(call.name) == nullptr) {
      std::string what = op == "call_function" ? call.target : op + " '" +
                         node.value("name", std::string("?")) + "'";
      return UnsupportedError("the builtin model cannot write " + what +
                              " (it handles elementwise operators only)");
    }
  }
  return Status::Ok();
}

Status AddPlaceholders(const Json& nodes, Lowering& l, ElementwiseGraph& g) {
  std::vector<std::string> foreign;
  std::map<int, const Json*> by_index;
  for (const Json& node : nodes) {
    if (node.value("op", std::string()) != "placeholder") continue;
    std::string name = node.value("name", std::string("?"));
    if (node.value("role", std::string("user_input")) != "user_input") {
      foreign.push_back(node.value("target", name));
      continue;
    }
    if (!node.contains("shape") || !node.contains("dtype")) {
      return UnsupportedError("forward argument '" + name + "' is not a tensor; the builtin " +
                              "model handles tensor arguments only");
    }
    AKG_RETURN_IF_ERROR(CheckDtype(node));
    by_index[node.value("index", static_cast<int>(by_index.size()))] = &node;
  }
  if (!foreign.empty()) {
    std::string names;
    for (const std::string& n : foreign) names += (names.empty() ? "" : ", ") + n;
    return UnsupportedError("the task has parameters, buffers or constant tensors (" + names +
                            "); the builtin model handles only tasks whose forward reads its "
                            "tensor arguments alone");
  }
  for (const auto& [index, node] : by_index) {
    if (index != static_cast<int>(g.inputs.size())) {
      return InputError("the graph's user inputs are not numbered 0..n-1");
    }
    std::string name = (*node)["name"].get<std::string>();
    g.inputs.push_back({name, (*node)["shape"].get<std::vector<int64_t>>(),
                        (*node)["dtype"].get<std::string>()});
    l.ids[name] = l.b.Add(ExprOp::kInput, {}, {}, index);
  }
  return Status::Ok();
}

Status LowerCall(const Json& node, const std::map<std::string, int>& uses, Lowering& l) {
  AKG_RETURN_IF_ERROR(CheckDtype(node));
  AtenCall call = MakeAtenCall(node);
  bool in_place = call.target.find(call.name + "_.") != std::string::npos;
  if (in_place && !call.args->empty() && (*call.args)[0].contains("node")) {
    std::string mutated = (*call.args)[0]["node"].get<std::string>();
    auto it = uses.find(mutated);
    if (it != uses.end() && it->second > 1) {
      return UnsupportedError("the task changes '" + mutated + "' in place with " + call.target +
                              " and reads it elsewhere; the builtin model cannot follow that");
    }
  }
  AKG_ASSIGN_OR_RETURN(int id, (*FindAtenHandler(call.name))(call, l));
  l.ids[node.value("name", std::string())] = id;
  return Status::Ok();
}

Status SetOutput(const Json& node, const std::map<std::string, const Json*>& by_name,
                 Lowering& l, ElementwiseGraph& g) {
  const Json& results = node.contains("args") && node["args"].is_array() && !node["args"].empty()
                            ? node["args"][0] : Json();
  if (!results.is_array() || results.size() != 1 || !results[0].is_object() ||
      !results[0].contains("node")) {
    return UnsupportedError("the task returns " + results.dump() + "; the builtin model handles "
                            "exactly one tensor output");
  }
  std::string name = results[0]["node"].get<std::string>();
  auto it = l.ids.find(name);
  auto meta = by_name.find(name);
  if (it == l.ids.end() || meta == by_name.end()) {
    return InputError("the graph's output names an unknown node");
  }
  g.output = it->second;
  g.output_shape = meta->second->value("shape", std::vector<int64_t>());
  g.output_dtype = meta->second->value("dtype", std::string("float32"));
  return Status::Ok();
}

Status WalkNodes(const Json& nodes, ElementwiseGraph& g) {
  AKG_RETURN_IF_ERROR(CheckOperators(nodes));
  Lowering lowering(&g);
  AKG_RETURN_IF_ERROR(AddPlaceholders(nodes, lowering, g));
  std::map<std::string, int> uses;
  for (const Json& node : nodes) {
    CountUses(node.value("args", Json()), &uses);
    CountUses(node.value("kwargs", Json()), &uses);
  }
  std::map<std::string, const Json*> by_name;
  for (const Json& node : nodes) {
    std::string op = node.value("op", std::string());
    by_name[node.value("name", std::string())] = &node;
    if (op == "call_function") {
      AKG_RETURN_IF_ERROR(LowerCall(node, uses, lowering));
      ++g.eager_kernels;
    } else if (op == "output") {
      AKG_RETURN_IF_ERROR(SetOutput(node, by_name, lowering, g));
    }
  }
  if (g.output < 0) return InputError("the graph has no output node");
  return Status::Ok();
}

Status CheckResult(const Json& inspection, ElementwiseGraph& g) {
  for (const Json& in : inspection.value("inputs", Json::array())) {
    if (in.value("kind", std::string("tensor")) != "tensor") {
      return UnsupportedError("forward argument " + std::to_string(in.value("index", 0)) +
                              " is not a tensor; the builtin model handles tensor arguments only");
    }
  }
  if (!IsFloatDtype(g.output_dtype)) {
    return UnsupportedError("the task's output is " + g.output_dtype +
                            "; the builtin model handles float32, float16 and bfloat16 outputs");
  }
  if (g.UsedInputs().empty()) {
    return UnsupportedError("the task's output does not depend on any tensor argument");
  }
  return Status::Ok();
}

Status ParseInto(const Json& inspection, ElementwiseGraph& g) {
  const Json& graph = inspection.value("graph", Json());
  if (!graph.is_object()) {
    const Json& why = inspection.value("graph_error", Json());
    return UnsupportedError("the harness could not capture the task's graph (" +
                            (why.is_string() ? why.get<std::string>() : why.dump()) +
                            "); the builtin model needs one");
  }
  if (graph.value("source", std::string()) != "torch.export") {
    return UnsupportedError("the builtin model needs a torch.export graph; the task was only "
                            "traced by " + graph.value("source", std::string("?")));
  }
  const Json& nodes = graph.value("nodes", Json::array());
  AKG_RETURN_IF_ERROR(WalkNodes(nodes, g));
  return CheckResult(inspection, g);
}

}  // namespace

Result<ElementwiseGraph> ParseElementwiseGraph(const Json& inspection) {
  ElementwiseGraph g;
  try {
    AKG_RETURN_IF_ERROR(ParseInto(inspection, g));
  } catch (const Json::exception& e) {
    return InputError(std::string("malformed inspect result: ") + e.what());
  }
  return g;
}

}  // namespace akg
