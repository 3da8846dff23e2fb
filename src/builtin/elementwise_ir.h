// The builtin model's view of a task: an expression DAG over the task's tensor inputs, parsed
// from the harness's `inspect` graph (torch.export ATen nodes). See kernel_gen.h for the map
// of the whole area.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

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
};

// The readable name of an operation ("gelu", "add", ...).
const char* ExprOpName(ExprOp op);
// Number of operands: 0 (input, const), 1 (unary) or 2 (binary).
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

// Parses the `inspect` result (the whole result object, with "graph" and "inputs").
// Fails with kUnsupported, naming the operator or feature, when the task is not a pure
// elementwise chain over float tensor inputs with one tensor output.
Result<ElementwiseGraph> ParseElementwiseGraph(const Json& inspection);

// The expression in readable infix form, e.g. "gelu(x) * 2 + y"; shared subexpressions that
// are not plain inputs are written once as "t1 = ...; " prefixes.
std::string FormatExpression(const ElementwiseGraph& graph);

// Number of elements of a shape (1 for a scalar shape).
int64_t NumElements(const std::vector<int64_t>& shape);
// Bytes per element of a dtype name; 4 for unknown names.
int DtypeBytes(const std::string& dtype);

}  // namespace akg
