// Kernel plans: the builtin model's middle layer between the task's OpGraph and DSL code.
//
//   OpGraph ──LowerToDag (plan_lowering)──▶ one expression DAG over the task's tensors:
//       pointwise ExprNodes (aten_lowering's table), kReduce / kRowSize (reductions, means,
//       softmax, norms, losses), kMatmul anchors (mm, bmm, matmul, linear, addmm), views
//   DAG ──PlanProgram (plan.cc: shapes, then the partitioner)──▶ KernelProgram: a short chain
//       of launches, each one plan:
//         Pointwise  an elementwise expression over broadcast operands
//         Row        reductions over a run of dims [axis_begin, axis_end) of a domain shape S,
//                    in stages (a later reduction may read an earlier one: softmax, layer_norm),
//                    then a map over S (Normalize) or the reduced values (Reduce)
//         Matmul     C[b, M, N] = A[b, M, K] @ B[b, K, N] with a pointwise epilogue over the
//                    accumulator (bias, activations, scaling)
//         Pool       max or average windows over the last 1-3 dims, with a pointwise epilogue
//         Conv       1-3 d convolution (strided, padded, dilated, grouped, transposed) as an
//                    implicit GEMM, with a pointwise epilogue (bias, activations)
//     The partitioner starts from the output: a launch takes every pointwise and reduction
//     node it can evaluate in one domain; a matmul, a reduction over another domain or a
//     view of a computed value ends it and becomes an operand, planned the same way (an
//     intermediate tensor). A pointwise chain that consumes only one matmul's result is
//     that matmul's epilogue.
//   KernelProgram ──plan_triton / plan_cpp──▶ a candidate file (kernels + glue + ModelNew)
//
// Everything here reads sizes at call time: shapes in the plan are the inspect-time ones,
// for the design sketch and the tunables' defaults only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "builtin/elementwise_ir.h"
#include "core/status.h"
#include "task/op_graph.h"

namespace akg {

enum class PlanKind { kPointwise, kRow, kMatmul, kPool, kConv };
const char* PlanKindName(PlanKind kind);  // "pointwise", "row", "matmul", "pool", "conv"

// A view a launch's operand (or forward's result) is read through: free, no copy.
struct PlanView {
  enum class Kind { kUnsqueeze, kTranspose, kUnflatten, kFlatten };
  Kind kind = Kind::kUnsqueeze;
  int dim = 0;       // unsqueeze(dim); unflatten(dim, (size, -1)); flatten(dim, end)
  int64_t size = 0;  // unflatten: the first part's size
  int end = 0;       // flatten: the last dim merged
  bool operator==(const PlanView& o) const {
    return kind == o.kind && dim == o.dim && size == o.size && end == o.end;
  }
};

// What a launch reads. An expression's kInput k is operands[k].
struct PlanOperand {
  enum class Kind { kInput, kParameter, kBuffer, kIntermediate };
  Kind kind = Kind::kInput;
  int index = -1;          // kInput: forward argument; kIntermediate: the launch that made it
  std::string path;        // kParameter / kBuffer: its path in the module ("ln.weight")
  std::vector<PlanView> views;  // applied in order before the launch reads it
  TensorType type;         // at inspect time, after the views
};

struct RowPlan {
  int rank = 0;                 // of the domain S
  int axis_begin = 0;           // the reduced dims of S: [axis_begin, axis_end)
  int axis_end = 0;
  bool full_output = false;     // the output has S's shape (normalize); else reduced
  bool keepdim = false;         // a reduced output keeps the reduced dims as 1s
  int stages = 0;               // reduction stages (1: a plain reduce; 2+: one reads another)
};

struct MatmulPlan {
  // operands[0] and [1] are A and B as the task has them. A 1-d A is a row vector (and the
  // result drops that dim), a 1-d B a column vector; transpose_b: B is given as [.., N, K]
  // (linear's weight).
  bool a_vector = false;
  bool b_vector = false;
  bool transpose_b = false;
  int64_t m = 0, n = 0, k = 0, batch = 1;  // at inspect time
};

// Max or average pooling over the last `dims` dims (1 to 3) of its operand; every leading dim
// (batch, channels) is a plane. torch's rules: stride defaults to the kernel, padding pads with
// -inf (max) or zeros (average), ceil_mode keeps a last window that starts inside the input or
// its left padding, and an average divides by the window's size clipped to the padded input
// (count_include_pad), or by what it covers, or by divisor.
struct PoolPlan {
  bool max = true;
  int dims = 0;
  std::vector<int64_t> kernel, stride, padding, dilation;  // one per pooled dim
  bool ceil_mode = false;
  bool count_include_pad = true;
  int64_t divisor = 0;  // divisor_override; 0 = none
};

// A convolution over the last `dims` dims (1 to 3) of [N, C, ...], as an implicit GEMM:
// M = N * output positions, N = output channels per group, K = input channels per group *
// kernel taps, per group. Transposed: the gradient form (weight [C_in, C_out/groups, k...]),
// each output position gathering the input positions that reach it.
struct ConvPlan {
  int dims = 0;
  std::vector<int64_t> stride, padding, dilation, output_padding;  // one per dim
  int64_t groups = 1;
  bool transposed = false;
  std::vector<int64_t> kernel;  // at inspect time (the weight's; read at run time)
};

struct Launch {
  PlanKind kind = PlanKind::kPointwise;
  std::vector<PlanOperand> operands;
  // The launch's value: kInput k reads operands[k]; a Row plan's kReduce/kRowSize nodes
  // reduce over its axes; a Matmul's kAcc is its accumulator (kInput 0 and 1 are A and B and
  // do not appear). expr.output is the result.
  ElementwiseGraph expr;
  RowPlan row;
  MatmulPlan mm;
  PoolPlan pool;                // a Pool's window; its kAcc is the pooled value, kInput 0 the
                                // pooled operand (which does not appear)
  ConvPlan conv;                // a Conv's; kInput 0 and 1 (input, weight) do not appear
  TensorType out;               // the result at inspect time
  std::string output_dtype;     // "float32", ... ("int64" for argmax/argmin)
};

struct KernelProgram {
  std::vector<Launch> launches;  // in order; the last one's result is forward's result
  std::vector<TensorArg> forward_args;  // every forward argument, in order
  std::vector<PlanView> result_views;   // forward returns the last launch's result through these
  int64_t flops = 0;                    // the task's (OpGraph::Traffic)
  int64_t min_bytes = 0;
  int eager_kernels = 0;
};

// Plans the task. kUnsupported, naming the operator or pattern, when a node cannot be
// planned.
Result<KernelProgram> PlanProgram(const OpGraph& graph);

// One line per launch: "row: softmax over dim 1 of [4096, 8192] (2 stages)".
std::string DescribeLaunch(const Launch& launch);

// The parameter and buffer paths the program reads, in first-use order.
std::vector<std::string> ProgramStatePaths(const KernelProgram& program);

}  // namespace akg
