// The builtin model's view of a task: an expression DAG over the task's tensor inputs, parsed
// from the harness's `inspect` graph (torch.export ATen nodes). See kernel_gen.h for the map
// of the whole area.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "task/op_graph.h"

namespace akg {

// Every operation the fused kernels can evaluate. ATen operators that are compositions of
// these (add with alpha, rsub, pow by small exponents, selu, relu6, softsign's parts) are
// lowered to them while parsing.
enum class ExprOp {
  kInput,        // a forward argument; ExprNode::input is its position
  kConst,        // params[0]
  kNeg, kAbs, kExp, kLog, kSqrt, kRsqrt, kReciprocal,
  kRelu,
  kLeakyRelu,    // params: negative_slope
  kSigmoid, kTanh,
  kGelu,         // exact erf form
  kGeluTanh,     // tanh approximation
  kSilu,
  kElu,          // params: negcoef (alpha*scale), poscoef (scale), negiptcoef (input_scale)
  kHardsigmoid, kHardswish,
  kSoftplus,     // params: beta, threshold
  kClampMin,     // params: min
  kClampMax,     // params: max
  kClamp,        // params: min, max
  kAdd, kSub, kMul, kDiv, kMinimum, kMaximum,
  // Kernel plans only (plan.h), never in a pure elementwise chain:
  kReduce,       // args: [x]; params: combiner (ReduceCombiner), keepdim, rank, axes...
  kRowSize,      // the number of elements a row reduces (at run time); params: rank, axes...
  kAcc,          // a matmul's accumulator, the value its epilogue starts from
  kUnsqueeze,    // args: [x], a plan operand; params: dim (a view: x with a size-1 dim)
  kTranspose,    // args: [x], a plan operand; a view with its last two dims swapped
  kMatmul,       // args: [a, b]: torch.matmul's semantics (plan.h's Matmul plan)
  kScan,         // args: [x]; params: combiner (kSum or kProd), reverse, rank, axis
  kFlip,         // args: [x]; params: rank, axis (lowering only: folded into a reverse kScan)
  kPool,         // args: [x], a plan operand; params: PoolParams (plan_dag.h)
  kEq, kNe,      // args: [a, b]; 1.0 where a == b (a != b), else 0.0
  kWhere,        // args: [cond, a, b]; a where cond != 0, else b
  kRowIndex,     // an element's index along its row (one reduced dim); params: rank, axis
  kUnflatten,    // args: [x], a plan operand; params: dim, size (a view: dim as (size, -1))
  kFlatten,      // args: [x], a plan operand; params: start, end (a view: dims merged)
  kGe,           // args: [a, b]; 1.0 where a >= b, else 0.0
  kOutIndex,     // a matmul epilogue's output index: params: 1 the column, 2 the row
  kDotSize,      // a matmul epilogue's contraction length K, read at run time
  kConv,         // args: [x, w], plan operands; params: ConvParams (plan_dag.h)
};

// How a kReduce combines a row.
enum class ReduceCombiner {
  kSum = 0, kMax = 1, kMin = 2, kProd = 3, kArgMax = 4, kArgMin = 5,
  kMean = 6,  // a sum divided by the number of elements reduced
};
const char* ReduceCombinerName(ReduceCombiner c);  // "sum", "amax", ...

// The readable name of an operation ("gelu", "add", ...).
const char* ExprOpName(ExprOp op);
// Number of operands: 0 (input, const, row size, accumulator), 1 (unary, reduce) or 2.
int ExprOpArity(ExprOp op);

struct ExprNode {
  ExprOp op = ExprOp::kConst;
  std::vector<int> args;       // operand node ids; always smaller than this node's id
  std::vector<double> params;  // see ExprOp
  int input = -1;              // kInput: index into ElementwiseGraph::inputs
};

struct TensorArg {
  std::string name;            // placeholder name in the exported graph
  std::vector<int64_t> shape;  // the shape seen at inspect time (kernels handle any shape)
  std::string dtype;           // "float32", "float16", "bfloat16", ...
};

// A fused elementwise computation. Nodes are in topological order and hash-consed: equal
// (op, args, params) appear once, so a shared subexpression is computed once.
struct ElementwiseGraph {
  std::vector<ExprNode> nodes;
  int output = -1;                    // node id of the result
  std::vector<TensorArg> inputs;      // one per forward argument, in order
  std::vector<int64_t> output_shape;  // at inspect time
  std::string output_dtype;
  int eager_kernels = 0;              // ATen calls in the graph: what eager mode launches

  // Forward arguments the output depends on, ascending; the kernels' operand list.
  std::vector<int> UsedInputs() const;
  // Node ids reachable from the output, ascending (topological).
  std::vector<int> LiveNodes() const;
};

// Lowers the task's graph. Fails with kUnsupported, naming the operator or feature, when the
// task is not a pure elementwise chain over float tensor inputs with one tensor output.
Result<ElementwiseGraph> ParseElementwiseGraph(const OpGraph& graph);

// The expression in readable infix form, e.g. "gelu(x) * 2 + y"; shared subexpressions that
// are not plain inputs are written once as "t1 = ...; " prefixes.
std::string FormatExpression(const ElementwiseGraph& graph);

// Number of elements of a shape (1 for a scalar shape).
int64_t NumElements(const std::vector<int64_t>& shape);

}  // namespace akg
