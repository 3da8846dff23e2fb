// ParseElementwiseGraph: walks the task's OpGraph (a torch.export graph), checks what the
// builtin model can take (operators, placeholders, dtypes, one output) and lowers each call
// (aten_lowering).
#include <map>
#include <string>

#include "builtin/aten_lowering.h"
#include "builtin/elementwise_ir.h"

namespace akg {
namespace {

Status CheckDtype(const OpNode& node) {
  std::string dtype = node.type ? node.type->dtype : "float32";
  if (dtype == "float32" || dtype == "float16" || dtype == "bfloat16") return Status::Ok();
  return UnsupportedError("the builtin model handles float32, float16 and bfloat16 tensors; '" +
                          node.name + "' is " + dtype);
}

// Names the first operator the builtin model cannot write, before anything else is judged:
// for a convolution task "cannot write aten.conv2d" says more than "has parameters".
Status CheckOperators(const OpGraph& graph) {
  for (const OpNode& node : graph.nodes) {
    if (node.role != NodeRole::kCall) continue;
    AtenCall call = MakeAtenCall(node);
    if (node.fx_op != "call_function" || FindAtenHandler(call.name) == nullptr) {
      std::string what = node.fx_op == "call_function" ? call.target
                                                       : node.fx_op + " '" + node.name + "'";
      return UnsupportedError("the builtin model cannot write " + what +
                              " (it handles elementwise operators only)");
    }
  }
  return Status::Ok();
}

Status AddPlaceholders(const OpGraph& graph, Lowering& l, ElementwiseGraph& g) {
  std::vector<std::string> foreign;
  std::map<int, const OpNode*> by_index;
  for (const OpNode& node : graph.nodes) {
    if (node.role == NodeRole::kCall || node.role == NodeRole::kOutput) continue;
    if (node.role != NodeRole::kInput) {
      foreign.push_back(node.target);
      continue;
    }
    if (!node.type) {
      return UnsupportedError("forward argument '" + node.name + "' is not a tensor; the " +
                              "builtin model handles tensor arguments only");
    }
    AKG_RETURN_IF_ERROR(CheckDtype(node));
    by_index[node.input_index < 0 ? static_cast<int>(by_index.size()) : node.input_index] = &node;
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
    g.inputs.push_back({node->name, node->type->shape, node->type->dtype});
    l.ids[node->name] = l.b.Add(ExprOp::kInput, {}, {}, index);
  }
  return Status::Ok();
}

Status LowerCall(const OpGraph& graph, const OpNode& node, Lowering& l) {
  AKG_RETURN_IF_ERROR(CheckDtype(node));
  AtenCall call = MakeAtenCall(node);
  if (node.in_place && !node.operands.empty()) {
    const OpNode& mutated = graph.nodes[static_cast<size_t>(node.operands[0])];
    if (mutated.uses > 1) {
      return UnsupportedError("the task changes '" + mutated.name + "' in place with " +
                              call.target + " and reads it elsewhere; the builtin model cannot "
                              "follow that");
    }
  }
  AKG_ASSIGN_OR_RETURN(int id, (*FindAtenHandler(call.name))(call, l));
  l.ids[node.name] = id;
  return Status::Ok();
}

Status SetOutput(const OpGraph& graph, Lowering& l, ElementwiseGraph& g) {
  if (graph.outputs.size() != 1 || graph.outputs[0] < 0) {
    return UnsupportedError("the task returns " + std::to_string(graph.outputs.size()) +
                            " values; the builtin model handles exactly one tensor output");
  }
  const OpNode& out = graph.nodes[static_cast<size_t>(graph.outputs[0])];
  auto it = l.ids.find(out.name);
  if (it == l.ids.end()) return InputError("the graph's output names an unknown node");
  g.output = it->second;
  g.output_shape = out.type ? out.type->shape : std::vector<int64_t>();
  g.output_dtype = out.type ? out.type->dtype : "float32";
  return Status::Ok();
}

Status WalkNodes(const OpGraph& graph, ElementwiseGraph& g) {
  AKG_RETURN_IF_ERROR(CheckOperators(graph));
  Lowering lowering(&g);
  AKG_RETURN_IF_ERROR(AddPlaceholders(graph, lowering, g));
  for (const OpNode& node : graph.nodes) {
    if (node.role != NodeRole::kCall) continue;
    AKG_RETURN_IF_ERROR(LowerCall(graph, node, lowering));
    ++g.eager_kernels;
  }
  bool has_output = false;
  for (const OpNode& node : graph.nodes) has_output |= node.role == NodeRole::kOutput;
  if (!has_output) return InputError("the graph has no output node");
  return SetOutput(graph, lowering, g);
}

Status CheckResult(const OpGraph& graph, ElementwiseGraph& g) {
  for (const ForwardArg& in : graph.forward_args) {
    if (in.kind != "tensor") {
      return UnsupportedError("forward argument " + std::to_string(in.index) +
                              " is not a tensor; the builtin model handles tensor arguments only");
    }
  }
  if (g.output_dtype != "float32" && g.output_dtype != "float16" && g.output_dtype != "bfloat16") {
    return UnsupportedError("the task's output is " + g.output_dtype +
                            "; the builtin model handles float32, float16 and bfloat16 outputs");
  }
  if (g.UsedInputs().empty()) {
    return UnsupportedError("the task's output does not depend on any tensor argument");
  }
  return Status::Ok();
}

}  // namespace

Result<ElementwiseGraph> ParseElementwiseGraph(const OpGraph& graph) {
  if (!graph.has_graph()) {
    return UnsupportedError("the harness could not capture the task's graph (" + graph.error +
                            "); the builtin model needs one");
  }
  if (graph.source != "torch.export") {
    return UnsupportedError("the builtin model needs a torch.export graph; the task was only "
                            "traced by " + graph.source);
  }
  ElementwiseGraph g;
  try {
    AKG_RETURN_IF_ERROR(WalkNodes(graph, g));
  } catch (const Json::exception& e) {
    return InputError(std::string("malformed inspect result: ") + e.what());
  }
  AKG_RETURN_IF_ERROR(CheckResult(graph, g));
  return g;
}

}  // namespace akg
