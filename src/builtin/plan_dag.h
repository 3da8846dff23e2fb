// Internal to the plan layer (plan.h): the task as one expression DAG over its tensors, and
// the type rule of every node. plan_lowering.cc builds it; plan.cc partitions it.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "builtin/aten_lowering.h"
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

// A kPool node's params: max, dims, ceil_mode, count_include_pad, divisor, then per pooled
// dim the kernel sizes, the strides, the paddings and the dilations.
std::vector<double> PoolParams(const PoolPlan& p);
PoolPlan PoolOf(const ExprNode& n);
// The pooled result's shape from the operand's (torch's pooling_output_shape), or an error
// when the window does not fit.
Result<std::vector<int64_t>> PoolShape(const PoolPlan& p, const std::vector<int64_t>& in);

using PlanHandler = std::function<Result<int>(const AtenCall&, Lowering&)>;
// The lowerings of plan_pool.cc: max_pool1d-3d, avg_pool1d-3d and adaptive average pooling to
// one element (a mean), by operator name.
const std::map<std::string, PlanHandler>& PoolHandlers();
// The lowerings of plan_lowering_nn.cc: batch_norm, group_norm, kl_div, triplet_margin_loss
// and cross_entropy_loss.
const std::map<std::string, PlanHandler>& NnHandlers();
// A kConv node's params: dims, groups, transposed, then per dim the strides, paddings,
// dilations and output paddings (plan_conv.cc).
std::vector<double> ConvParams(const ConvPlan& p);
ConvPlan ConvOf(const ExprNode& n);
// The output's shape from the input's and the weight's, or an error when they do not fit.
Result<std::vector<int64_t>> ConvShape(const ConvPlan& p, const std::vector<int64_t>& in,
                                       const std::vector<int64_t>& weight);
const std::map<std::string, PlanHandler>& ConvHandlers();

// The lowerings of plan_lowering_mm.cc: einsum as one matmul, triu/tril, attention.
const std::map<std::string, PlanHandler>& MmHandlers();

// reduction="batchmean" as torch.export leaves it: sum(loss) / N with N the batch size as a
// literal. Written as the mean over dim 0 of the per-row sums, it reads N at run time (the
// shape trials vary it); -1 when the call is not that pattern (plan_lowering_nn.cc).
int BatchMean(const AtenCall& c, Lowering& l);

// The toolkit the lowering files share (plan_lowering.cc).
namespace plan_lower {
int NormDim(int64_t d, int rank);
// The reduced dims: an int, a list (empty = all), or absent (all); sorted, unique, checked.
Result<std::vector<int>> Axes(const AtenCall& c, const Json* dims, int rank);
bool Flag(Lowering& l, const AtenCall& c, size_t pos, const char* kw);
int Reduce(Lowering& l, ReduceCombiner comb, int x, const std::vector<int>& axes, bool keepdim);
int RowSize(Lowering& l, int x, const std::vector<int>& axes);
int Mean(Lowering& l, int x, const std::vector<int>& axes, bool keepdim);
// An optional tensor operand: -1 when absent or None.
Result<int> OptionalOperand(Lowering& l, const AtenCall& c, size_t pos, const char* kw);
// y * w + b, either absent (-1).
int Affine(Lowering& l, int y, int w, int b);
// A per-channel [C] operand as [C, 1, ...] against an input of rank `rank` (dim 1 = C).
int PerChannel(Lowering& l, int v, int rank);
// torch's reduction argument at `pos` (0 none, 1 mean, 2 sum) applied to a per-element loss.
Result<int> LossReduction(const AtenCall& c, Lowering& l, int per_element, size_t pos);
}  // namespace plan_lower

}  // namespace akg
