// The typed task: the harness's `inspect` result parsed once into an OpGraph. The builtin
// model (its planner), the skill selector, the prompt context and the reports read this, never
// the inspect JSON's node lists.
//
//   inspect result ──ParseOpGraph──▶ OpGraph
//     nodes: placeholders with their role (forward argument, parameter, buffer, constant),
//            calls (target, operator name, overload, arguments, result type, categories,
//            FLOPs), the output
//     forward arguments (tensor or scalar) and results, the reference's one-call time
//     Traffic(): eager kernels and bytes, the minimal bytes, FLOPs by precision
//
// Sizes, bytes and FLOPs come from the shapes the export recorded: no second reference run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace akg {

// A tensor's type at inspect time. A symbolic dim (an unbacked size) is -1.
struct TensorType {
  std::vector<int64_t> shape;
  std::string dtype = "float32";

  int64_t Numel() const;   // 1 for a scalar shape; 0 when a dim is symbolic
  int64_t Bytes() const;
};

// Bytes per element of a dtype name; 4 for unknown names.
int DtypeBytes(const std::string& dtype);
bool IsFloatDtype(const std::string& dtype);  // float32, float16, bfloat16, float64

enum class NodeRole { kInput, kParameter, kBuffer, kConstant, kCall, kOutput };
const char* NodeRoleName(NodeRole role);  // "input", "parameter", ...

struct OpNode {
  int id = -1;
  std::string name;            // the graph's node name ("x", "add_1")
  NodeRole role = NodeRole::kCall;
  int input_index = -1;        // kInput: the forward argument's position
  // kCall: "aten.add.Tensor" (or a qualified Python name from torch.fx); a parameter, buffer
  // or constant: its path in the module ("ln.weight").
  std::string target;
  std::string op;              // kCall: "add" (no namespace, overload or in-place suffix)
  std::string overload;        // kCall: "Tensor"
  bool in_place = false;       // kCall: "aten.relu_.default"
  std::string fx_op;           // the torch.fx opcode: call_function, call_module, call_method
  Json args = Json::array();   // as in the inspect JSON: node references are {"node": name}
  Json kwargs = Json::object();
  std::vector<int> operands;   // ids of the nodes args and kwargs reference, in order
  std::optional<TensorType> type;    // a tensor result (or placeholder)
  std::vector<TensorType> outputs;   // a tuple result
  std::optional<Json> value;         // a scalar result or placeholder value
  std::vector<std::string> categories;  // skills' categories (op_category.h)
  int uses = 0;                // references from other nodes (the output included)
  int64_t flops = 0;           // matrix products and convolutions; 0 otherwise
};

struct ForwardArg {
  int index = 0;
  std::string kind = "tensor";       // "tensor", "scalar", "none", "list", "other"
  std::optional<TensorType> type;    // a tensor
  Json value;                        // a scalar's value
};

struct GraphTraffic {
  int eager_kernels = 0;        // ATen calls: what eager mode launches (views included)
  int64_t eager_bytes_read = 0; // every call reading its tensor operands
  int64_t eager_bytes_written = 0;
  int64_t min_bytes = 0;        // forward tensors, parameters and buffers once + results once
  int64_t flops = 0;
  std::map<std::string, int64_t> flops_by_dtype;  // "float32" -> FLOPs of its products
};

struct OpGraph {
  std::string source;          // "torch.export", "torch.fx", or "" when there is no graph
  std::string error;           // why there is no graph (or the export's error for torch.fx)
  std::vector<OpNode> nodes;   // in the graph's (topological) order
  std::vector<int> outputs;    // ids of the returned nodes, in order; -1 for a non-node
  std::vector<ForwardArg> forward_args;
  std::vector<TensorType> results;  // the reference's outputs (tensors only)
  double reference_ms = 0;

  bool has_graph() const { return !source.empty(); }
  const OpNode* Find(const std::string& name) const;
  // Placeholders of one role, in graph order.
  std::vector<const OpNode*> Placeholders(NodeRole role) const;
  std::vector<const OpNode*> Calls() const;
  // The union of the calls' categories in op_category.h's fixed order.
  std::vector<std::string> Categories() const;
  GraphTraffic Traffic() const;

 private:
  std::map<std::string, int> by_name_;
  friend OpGraph ParseOpGraph(const Json& inspection);
};

// Never fails: a missing graph leaves source empty and error set, malformed JSON is recorded
// in error ("malformed inspect result: ...") with whatever parsed before it.
OpGraph ParseOpGraph(const Json& inspection);

// Shared, immutable: parsed once per task and read by every agent.
using OpGraphPtr = std::shared_ptr<const OpGraph>;
OpGraphPtr MakeOpGraph(const Json& inspection);

// "[4, 16]"; a symbolic dim prints as "?".
std::string ShapeText(const std::vector<int64_t>& shape);

}  // namespace akg
