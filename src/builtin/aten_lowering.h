// Internal to the builtin model: how single ATen calls of a torch.export graph become
// ExprNodes. elementwise_parse.cc walks the graph and calls these; see kernel_gen.h for the
// map of the area.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "builtin/elementwise_ir.h"
#include "core/json.h"
#include "core/status.h"
#include "task/op_graph.h"

namespace akg {

// Appends nodes to a graph, reusing an existing node with the same (op, args, params, input):
// this is what computes a shared subexpression once.
class ExprBuilder {
 public:
  explicit ExprBuilder(ElementwiseGraph* graph) : graph_(graph) {}
  int Add(ExprOp op, std::vector<int> args, std::vector<double> params = {}, int input = -1);
  int Const(double value) { return Add(ExprOp::kConst, {}, {value}); }
  const ElementwiseGraph& graph() const { return *graph_; }

 private:
  using Key = std::tuple<ExprOp, std::vector<int>, std::vector<double>, int>;
  ElementwiseGraph* graph_;
  std::map<Key, int> index_;
};

// One call_function node: "aten.relu_.default" has name "relu" (in-place suffix dropped);
// targets outside aten have an empty name. args/kwargs point into the node (never null).
struct AtenCall {
  std::string target;
  std::string name;
  const Json* args = nullptr;
  const Json* kwargs = nullptr;
};
AtenCall MakeAtenCall(const OpNode& node);

// The state of one graph's lowering: the builder and the expression id of each graph node.
struct Lowering {
  explicit Lowering(ElementwiseGraph* graph) : b(graph) {}
  ExprBuilder b;
  std::map<std::string, int> ids;
  // Plans only (plan_lowering.cc): the values of a call that returns several (max.dim), for
  // getitem; the rank of each expression node, filled by the lowering as nodes appear.
  std::map<std::string, std::vector<int>> tuples;
  std::function<int(int)> rank_of;
  std::function<const std::vector<int64_t>*(int)> input_shape_of;  // a node's shape
  const std::vector<int64_t>* view_shape = nullptr;  // the lowered call's result shape

  // The argument at `pos` (or keyword `kw`); nullptr when absent or None.
  const Json* Arg(const AtenCall& call, size_t pos, const char* kw) const;
  // A tensor operand (node reference) or a Python number (becomes a constant).
  Result<int> Operand(const AtenCall& call, size_t pos, const char* kw);
  // A numeric parameter; empty when absent or None.
  Result<std::optional<double>> Number(const AtenCall& call, size_t pos, const char* kw);
  Result<double> NumberOr(const AtenCall& call, size_t pos, const char* kw, double fallback);
};

using AtenHandler = std::function<Result<int>(const AtenCall&, Lowering&)>;
// The handler for an operator name ("relu", "add", ...), or nullptr when unsupported.
const AtenHandler* FindAtenHandler(const std::string& name);

}  // namespace akg
