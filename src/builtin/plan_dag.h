// Internal to the plan layer (plan.h): the task as one expression DAG over its tensors, and
// the type rule of every node. plan_lowering.cc builds it; plan.cc partitions it.
#pragma once

#include <vector>

#include "builtin/elementwise_ir.h"
#include "builtin/plan.h"
#include "core/status.h"
#include "task/op_graph.h"

namespace akg {

struct PlanDag {
  ElementwiseGraph g;               // kInput k reads leaves[k]; g.output is forward's result
  std::vector<PlanOperand> leaves;  // forward arguments, parameters and buffers
  std::vector<TensorType> types;    // one per node of g
};

// Lowers every call of the graph (pointwise: aten_lowering; reductions, softmax, norms,
// losses, matrix products and views: plan_lowering). kUnsupported names the first operator
// or argument that has no lowering.
Result<PlanDag> LowerToDag(const OpGraph& graph);

// The type of node `id` from its operands' (already in `types`) and the leaves'.
Result<TensorType> InferNodeType(const ElementwiseGraph& g, int id,
                                 const std::vector<TensorType>& types,
                                 const std::vector<PlanOperand>& leaves);

// A reduction's fields (params: combiner, keepdim, rank, axes...).
struct ReduceInfo {
  ReduceCombiner combiner = ReduceCombiner::kSum;
  bool keepdim = false;
  int rank = 0;
  std::vector<int> axes;  // sorted, non-negative
};
ReduceInfo ReduceOf(const ExprNode& n);
std::vector<double> ReduceParams(ReduceCombiner c, bool keepdim, int rank,
                                 const std::vector<int>& axes);

}  // namespace akg
