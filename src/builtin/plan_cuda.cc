// EmitCudaProgram: CUDA C kernels for a KernelProgram, one __global__ kernel family and one
// extern "C" host launcher per launch, compiled together by the harness's load_cuda when the
// candidate is imported (so the CPU-side build reports nvcc's errors before a device is taken).
//
// Row launches see their domain as [outer, R, inner] (row = o * inner + i), like the other
// emitters, and the host launcher picks one of three schedules at run time:
//   block per row   inner == 1 and R >= 64: a block's threads stride over the row (float4
//                   loads and stores when every operand is unit-stride or broadcast along it,
//                   R % 4 == 0 and the rows are 16-byte aligned), each reduction stage ends in
//                   warp shuffles and one shared-memory step, a scan in chunked block scans
//   split           a one-stage reduction of few long rows: a grid of (splits, rows) blocks
//                   writes partial results, one block per row combines them
//   thread per row  everything else (a reduction over a middle dim, short rows): each thread
//                   walks its row in order, so neighbouring threads read neighbouring columns
// Pointwise launches are a grid-stride loop over the output, float4 when the operands allow.
// Matmul and Pool launches: plan_cuda_anchor.cc. float32 stays float32 (no tensor cores, FMA
// accumulation); NaN follows torch as in the other emitters (expr_emit's C++ templates).
//
// Tunables (plan_tunables.h) as the CUDA kernels read them: a row launch's block_r / 8 is the
// threads of a block per row (32..1024), tile / 16 the threads of a pointwise block; a matmul's
// bm picks 128x128 (bm >= 128) or 64x64 tiles; a pool's block is its threads per block.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "builtin/expr_emit.h"
#include "builtin/plan_cuda.h"
#include "builtin/plan_emit.h"

namespace akg {
namespace {

// The device helpers every program shares: NaN-propagating max/min, block reductions (warp
// shuffles, then one shared-memory step whose result every thread reads), block scans.
constexpr const char* kPrelude = R"CU(#include <cstdint>
#include <cuda_runtime.h>
#include <math.h>

#define AKG_FULL_MASK 0xffffffffu

// NaN wins, as in torch.amax / amin.
__device__ __forceinline__ float akg_max(float a, float b) { return (a > b || a != a) ? a : b; }
__device__ __forceinline__ float akg_min(float a, float b) { return (a < b || a != a) ? a : b; }

// Combiners: 0 sum, 1 product, 2 max, 3 min.
template <int OP>
__device__ __forceinline__ float akg_comb(float a, float b) {
  if (OP == 0) return a + b;
  if (OP == 1) return a * b;
  if (OP == 2) return akg_max(a, b);
  return akg_min(a, b);
}

// The block's reduction of v; every thread gets it. All threads of the block must call it.
template <int OP>
__device__ float akg_block_reduce(float v, float* sm) {
  for (int o = 16; o > 0; o >>= 1) v = akg_comb<OP>(v, __shfl_xor_sync(AKG_FULL_MASK, v, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  __syncthreads();  // an earlier reduction's readers are done with sm
  if (lane == 0) sm[warp] = v;
  __syncthreads();
  float r = sm[0];
  for (int w = 1; w < warps; ++w) r = akg_comb<OP>(r, sm[w]);
  return r;
}

// argmax / argmin order: the larger (smaller) value, NaN counting as the largest, then the
// first index, as torch.
template <bool MAX>
__device__ __forceinline__ bool akg_arg_first(float v1, int64_t i1, float v2, int64_t i2) {
  const bool n1 = v1 != v1, n2 = v2 != v2;
  const bool same = v1 == v2 || (n1 && n2);
  return (MAX ? v1 > v2 : v1 < v2) || (n1 && !n2) || (same && i1 < i2);
}

template <bool MAX>
__device__ int64_t akg_block_arg(float v, int64_t i, float* sm, int64_t* smi) {
  for (int o = 16; o > 0; o >>= 1) {
    const float v2 = __shfl_xor_sync(AKG_FULL_MASK, v, o);
    const int64_t i2 = __shfl_xor_sync(AKG_FULL_MASK, i, o);
    if (akg_arg_first<MAX>(v2, i2, v, i)) { v = v2; i = i2; }
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  __syncthreads();
  if (lane == 0) { sm[warp] = v; smi[warp] = i; }
  __syncthreads();
  float bv = sm[0];
  int64_t bi = smi[0];
  for (int w = 1; w < warps; ++w) {
    if (akg_arg_first<MAX>(sm[w], smi[w], bv, bi)) { bv = sm[w]; bi = smi[w]; }
  }
  return bi;
}

// The running sum (OP 0) or product (OP 1) in thread order over one chunk of the block,
// after `carry`; carry becomes carry combined with the whole chunk. All threads call it.
template <int OP>
__device__ float akg_block_scan(float v, float* sm, float& carry) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  for (int o = 1; o < 32; o <<= 1) {
    const float n = __shfl_up_sync(AKG_FULL_MASK, v, o);
    if (lane >= o) v = akg_comb<OP>(n, v);
  }
  __syncthreads();
  if (lane == 31) sm[warp] = v;
  __syncthreads();
  float before = carry;
  for (int w = 0; w < warp; ++w) before = akg_comb<OP>(before, sm[w]);
  float total = carry;
  for (int w = 0; w < warps; ++w) total = akg_comb<OP>(total, sm[w]);
  carry = total;
  return akg_comb<OP>(before, v);
}

extern "C" const char* akg_error_text(int code) {
  return cudaGetErrorString(static_cast<cudaError_t>(code));
}
)CU";

int CombinerCode(ReduceCombiner c) {
  switch (c) {
    case ReduceCombiner::kProd: return 1;
    case ReduceCombiner::kMax: return 2;
    case ReduceCombiner::kMin: return 3;
    default: return 0;
  }
}

const char* Identity(ReduceCombiner c) {
  switch (c) {
    case ReduceCombiner::kProd: return "1.0f";
    case ReduceCombiner::kMax:
    case ReduceCombiner::kArgMax: return "(-__builtin_inff())";
    case ReduceCombiner::kMin:
    case ReduceCombiner::kArgMin: return "__builtin_inff()";
    default: return "0.0f";
  }
}

const char* CType(const std::string& dtype) {
  return dtype == "int64" ? "int64_t" : dtype == "bool" ? "bool" : "float";
}

// The operands of a launch as one by-value kernel argument: pointers and [outer, row, inner]
// strides (row and pointwise launches) or any strides (anchors).
std::string OperandStruct(const std::string& name, int pointers, int strides) {
  return fmt::format("struct {} {{\n  const void* p[{}];\n  int64_t s[{}];\n}};\n", name,
                     std::max(1, pointers), std::max(1, strides));
}

enum class Schedule { kBlock, kBlockVec, kThread, kPart, kFinish, kPointwise, kPointwiseVec };

class RowKernels {
 public:
  RowKernels(const Launch& l, size_t k, int threads) : l_(l), k_(k), threads_(threads), s_(ScheduleRow(l)) {
    for (int id : s_.live) {
      if (Node(id).op == ExprOp::kReduce) reduces_.push_back(id);
    }
  }

  // One-stage reductions to a reduced output, without arg or scan: the split schedule applies.
  bool Splittable() const {
    return l_.kind == PlanKind::kRow && !l_.row.full_output && s_.stages == 1 &&
           !s_.has_arg_reduce && !s_.has_scan;
  }
  bool Vectorisable() const {
    if (s_.has_scan) return false;
    for (const PlanOperand& op : l_.operands) {
      if (op.type.dtype != "float32") return false;
    }
    return true;
  }
  int ReduceCount() const { return static_cast<int>(reduces_.size()); }

  std::string Source() const {
    EmitCode c;
    c.unit = 2;
    c.text += OperandStruct(Ops(), Count(), 3 * Count());
    if (l_.kind == PlanKind::kPointwise) {
      Kernel(c, Schedule::kPointwise);
      if (Vectorisable()) Kernel(c, Schedule::kPointwiseVec);
      PointwiseHost(c);
      return c.text;
    }
    Kernel(c, Schedule::kBlock);
    if (Vectorisable()) Kernel(c, Schedule::kBlockVec);
    Kernel(c, Schedule::kThread);
    if (Splittable()) {
      Kernel(c, Schedule::kPart);
      Kernel(c, Schedule::kFinish);
    }
    RowHost(c);
    return c.text;
  }

 private:
  const ExprNode& Node(int id) const { return l_.expr.nodes[static_cast<size_t>(id)]; }
  bool Row(int id) const { return s_.row_level[static_cast<size_t>(id)]; }
  int Count() const { return static_cast<int>(l_.operands.size()); }
  std::string Ops() const { return fmt::format("akg_ops{}", k_); }
  std::string OutType() const { return l_.output_dtype == "int64" ? "int64_t" : "float"; }
  bool Full() const { return l_.kind == PlanKind::kPointwise || l_.row.full_output; }

  std::string Name(int id) const {
    const ExprNode& n = Node(id);
    if (n.op == ExprOp::kConst) return CppFloatLiteral(n.params[0]);
    if (n.op == ExprOp::kRowSize) return "n_red";
    if (n.op == ExprOp::kInput) return fmt::format("v{}", n.input);
    return fmt::format("t{}", id);
  }
  std::map<int, std::string> Names() const {
    std::map<int, std::string> names;
    for (int id : s_.live) names[id] = Name(id);
    return names;
  }

  // The row's operand pointers for (o, i), typed.
  void RowPointers(EmitCode& c, int in) const {
    for (int k = 0; k < Count(); ++k) {
      const char* type = CType(l_.operands[static_cast<size_t>(k)].type.dtype);
      c.Line(in, fmt::format("const {0}* __restrict__ p{1} = static_cast<const {0}*>(a.p[{1}]) + "
                             "o * a.s[{2}] + i * a.s[{3}];", type, k, 3 * k, 3 * k + 2));
      c.Line(in, fmt::format("const int64_t s{} = a.s[{}];", k, 3 * k + 1));
    }
  }

  // Per-element statements `roots` need; `load(k)` is operand k's value at r. A scan inside a
  // block (block = true) is a chunked block scan, in a thread a running value.
  void Elements(EmitCode& c, int in, const std::vector<int>& roots,
                const std::function<std::string(int)>& load, bool block) const {
    std::vector<int> nodes = ElementNodesFor(l_, s_, roots);
    std::map<int, std::string> names = Names();
    for (int id : nodes) {
      if (Node(id).op == ExprOp::kInput) {
        c.Line(in, fmt::format("const float v{} = {};", Node(id).input, load(Node(id).input)));
      }
    }
    for (int id : nodes) {
      const ExprNode& n = Node(id);
      if (n.op == ExprOp::kInput || n.op == ExprOp::kConst || n.op == ExprOp::kRowSize) continue;
      if (n.op == ExprOp::kScan) {
        bool prod = CombinerOf(n) == ReduceCombiner::kProd;
        if (block) {
          c.Line(in, fmt::format("const float t{0} = akg_block_scan<{1}>(ok ? {2} : {3}, sm, "
                                 "carry{0});", id, prod ? 1 : 0, Name(n.args[0]),
                                 prod ? "1.0f" : "0.0f"));
        } else {
          c.Line(in, fmt::format("carry{0} {1}= {2};", id, prod ? "*" : "+", Name(n.args[0])));
          c.Line(in, fmt::format("const float t{0} = carry{0};", id));
        }
        continue;
      }
      std::vector<std::string> lines;
      EmitNode(l_.expr, id, EmitDsl::kCpp, names, &lines);
      for (const std::string& line : lines) c.Line(in, line);
    }
  }

  // Row-level nodes of `stage` that are not reductions (every thread computes them).
  void RowNodes(EmitCode& c, int in, int stage) const {
    std::map<int, std::string> names = Names();
    for (int id : s_.live) {
      const ExprNode& n = Node(id);
      if (!Row(id) || n.op == ExprOp::kReduce || n.op == ExprOp::kConst ||
          n.op == ExprOp::kRowSize || s_.stage[static_cast<size_t>(id)] != stage) {
        continue;
      }
      std::vector<std::string> lines;
      EmitNode(l_.expr, id, EmitDsl::kCpp, names, &lines);
      for (const std::string& line : lines) c.Line(in, line);
    }
  }

  std::vector<int> StageReduces(int stage) const {
    std::vector<int> out;
    for (int id : reduces_) {
      if (s_.stage[static_cast<size_t>(id)] == stage) out.push_back(id);
    }
    return out;
  }

  static std::string Scalar(int k) { return fmt::format("static_cast<float>(p{0}[r * s{0}])", k); }

  // acc<id> (and idx<id>) for each reduction of the stage.
  void Accumulators(EmitCode& c, int in, const std::vector<int>& reduces) const {
    for (int id : reduces) {
      c.Line(in, fmt::format("float acc{} = {};", id, Identity(CombinerOf(Node(id)))));
      if (IsArg(CombinerOf(Node(id)))) c.Line(in, fmt::format("int64_t idx{} = 0;", id));
    }
  }

  void Accumulate(EmitCode& c, int in, const std::vector<int>& reduces) const {
    for (int id : reduces) {
      std::string x = Name(Node(id).args[0]);
      ReduceCombiner comb = CombinerOf(Node(id));
      if (IsArg(comb)) {
        c.Line(in, fmt::format("if (akg_arg_first<{3}>({1}, r, acc{0}, idx{0})) {{ acc{0} = {1}; "
                               "idx{0} = r; }}", id, x, id, comb == ReduceCombiner::kArgMax ? "true" : "false"));
      } else {
        c.Line(in, fmt::format("acc{0} = akg_comb<{1}>(acc{0}, {2});", id, CombinerCode(comb), x));
      }
    }
  }

  // The stage's values t<id> from the accumulators: a block's reduction, or the thread's own.
  void Results(EmitCode& c, int in, const std::vector<int>& reduces, bool block) const {
    for (int id : reduces) {
      ReduceCombiner comb = CombinerOf(Node(id));
      if (IsArg(comb)) {
        c.Line(in, block ? fmt::format("const int64_t t{0} = akg_block_arg<{1}>(acc{0}, idx{0}, sm, smi);",
                                       id, comb == ReduceCombiner::kArgMax ? "true" : "false")
                         : fmt::format("const int64_t t{0} = idx{0};", id));
        continue;
      }
      std::string v = block ? fmt::format("akg_block_reduce<{}>(acc{}, sm)", CombinerCode(comb), id)
                            : fmt::format("acc{}", id);
      c.Line(in, fmt::format("const float t{} = {}{};", id, v,
                             comb == ReduceCombiner::kMean ? " / n_red" : ""));
    }
  }

  std::vector<int> ArgsOf(const std::vector<int>& reduces) const {
    std::vector<int> args;
    for (int id : reduces) args.push_back(Node(id).args[0]);
    return args;
  }

  // One pass over the row by the block's threads: strided, or float4 (VEC) four at a time.
  void BlockPass(EmitCode& c, int in, const std::vector<int>& roots, bool vec,
                 const std::function<void(EmitCode&, int)>& body) const {
    if (!vec) {
      c.Line(in, "for (int64_t r = threadIdx.x; r < R; r += blockDim.x) {");
      Elements(c, in + 1, roots, Scalar, true);
      body(c, in + 1);
      c.Line(in, "}");
      return;
    }
    c.Line(in, "for (int64_t q = threadIdx.x; q < (R >> 2); q += blockDim.x) {");
    VecLoads(c, in + 1, roots);
    c.Line(in + 1, "#pragma unroll");
    c.Line(in + 1, "for (int j = 0; j < 4; ++j) {");
    c.Line(in + 2, "const int64_t r = 4 * q + j;");
    c.Line(in + 2, "(void)r;");
    Elements(c, in + 2, roots, [](int k) { return fmt::format("x{}[j]", k); }, true);
    body(c, in + 2);
    c.Line(in + 1, "}");
    c.Line(in, "}");
  }

  // Four consecutive values of each operand the roots read: a float4 where it is unit-stride
  // along the row, else its one broadcast value.
  void VecLoads(EmitCode& c, int in, const std::vector<int>& roots) const {
    std::set<int> inputs;
    for (int id : ElementNodesFor(l_, s_, roots)) {
      if (Node(id).op == ExprOp::kInput) inputs.insert(Node(id).input);
    }
    for (int k : inputs) {
      c.Line(in, fmt::format("float x{}[4];", k));
      c.Line(in, fmt::format("if (s{}) {{", k));
      c.Line(in + 1, fmt::format("const float4 w = reinterpret_cast<const float4*>(p{})[q];", k));
      c.Line(in + 1, fmt::format("x{0}[0] = w.x; x{0}[1] = w.y; x{0}[2] = w.z; x{0}[3] = w.w;", k));
      c.Line(in, "} else {");
      c.Line(in + 1, fmt::format("x{0}[0] = x{0}[1] = x{0}[2] = x{0}[3] = p{0}[0];", k));
      c.Line(in, "}");
    }
  }

  void ScanCarries(EmitCode& c, int in) const {
    for (int id : s_.live) {
      if (Node(id).op != ExprOp::kScan) continue;
      bool prod = CombinerOf(Node(id)) == ReduceCombiner::kProd;
      c.Line(in, fmt::format("float carry{} = {};", id, prod ? "1.0f" : "0.0f"));
    }
  }

  void Kernel(EmitCode& c, Schedule s) const {
    std::string name = fmt::format("akg{}_{}", k_, KernelSuffix(s));
    std::string common = fmt::format("{} a, {}* __restrict__ out, int64_t rows, int64_t R, int64_t inner",
                                     Ops(), OutType());
    if (s == Schedule::kPart || s == Schedule::kFinish) {
      common += ", float* __restrict__ part, int64_t splits, int64_t chunk";
    }
    c.Line(0, fmt::format("__global__ void __launch_bounds__(1024) {}({}) {{", name, common));
    c.Line(1, "const float n_red = static_cast<float>(R);");
    c.Line(1, "(void)n_red;");
    if (s != Schedule::kThread && s != Schedule::kPointwise && s != Schedule::kPointwiseVec) {
      c.Line(1, "__shared__ float sm[32];");
      if (s_.has_arg_reduce) c.Line(1, "__shared__ int64_t smi[32];");
    }
    RowNodes(c, 1, 0);
    switch (s) {
      case Schedule::kPointwise: PointwiseBody(c, false); break;
      case Schedule::kPointwiseVec: PointwiseBody(c, true); break;
      case Schedule::kBlock: BlockBody(c, false); break;
      case Schedule::kBlockVec: BlockBody(c, true); break;
      case Schedule::kThread: ThreadBody(c); break;
      case Schedule::kPart: PartBody(c); break;
      case Schedule::kFinish: FinishBody(c); break;
    }
    c.Line(0, "}");
    c.Line(0, "");
  }

  static const char* KernelSuffix(Schedule s) {
    switch (s) {
      case Schedule::kBlock: return "block";
      case Schedule::kBlockVec: return "block_vec";
      case Schedule::kThread: return "thread";
      case Schedule::kPart: return "part";
      case Schedule::kFinish: return "finish";
      case Schedule::kPointwise: return "pointwise";
      case Schedule::kPointwiseVec: return "pointwise_vec";
    }
    return "";
  }

  void BlockBody(EmitCode& c, bool vec) const {
    c.Line(1, "for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {");
    c.Line(2, "const int64_t o = row / inner, i = row % inner;");
    RowPointers(c, 2);
    for (int stage = 1; stage <= s_.stages; ++stage) {
      std::vector<int> reduces = StageReduces(stage);
      Accumulators(c, 2, reduces);
      BlockPass(c, 2, ArgsOf(reduces), vec,
                [&](EmitCode& cc, int in) { Accumulate(cc, in, reduces); });
      Results(c, 2, reduces, true);
      RowNodes(c, 2, stage);
    }
    std::string v = Name(l_.expr.output);
    if (!Full()) {
      c.Line(2, "if (threadIdx.x == 0) out[row] = " + v + ";");
    } else if (s_.has_scan) {
      // Chunks of blockDim.x elements in order (from the row's end for a reverse scan), every
      // thread in every chunk, so the block scans stay in step.
      ScanCarries(c, 2);
      c.Line(2, "for (int64_t base = 0; base < R; base += blockDim.x) {");
      c.Line(3, "const bool ok = base + threadIdx.x < R;");
      c.Line(3, s_.scan_reverse ? "const int64_t r = R - 1 - (base + threadIdx.x);"
                                : "const int64_t r = base + threadIdx.x;");
      Elements(c, 3, {l_.expr.output},
               [](int k) { return fmt::format("ok ? static_cast<float>(p{0}[r * s{0}]) : 0.0f", k); },
               true);
      c.Line(3, "if (ok) out[(o * R + r) * inner + i] = " + v + ";");
      c.Line(2, "}");
    } else if (vec) {  // inner == 1: the row is out + row * R, 16-byte aligned (R % 4 == 0)
      c.Line(2, "for (int64_t q = threadIdx.x; q < (R >> 2); q += blockDim.x) {");
      VecLoads(c, 3, {l_.expr.output});
      c.Line(3, "float res[4];");
      c.Line(3, "#pragma unroll");
      c.Line(3, "for (int j = 0; j < 4; ++j) {");
      c.Line(4, "const int64_t r = 4 * q + j;");
      c.Line(4, "(void)r;");
      Elements(c, 4, {l_.expr.output}, [](int k) { return fmt::format("x{}[j]", k); }, false);
      c.Line(4, "res[j] = " + v + ";");
      c.Line(3, "}");
      c.Line(3, "reinterpret_cast<float4*>(out + row * R)[q] = make_float4(res[0], res[1], res[2], res[3]);");
      c.Line(2, "}");
    } else {
      BlockPass(c, 2, {l_.expr.output}, false, [&](EmitCode& cc, int in) {
        cc.Line(in, "out[(o * R + r) * inner + i] = " + v + ";");
      });
    }
    c.Line(1, "}");
  }

  void ThreadBody(EmitCode& c) const {
    c.Line(1, "for (int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; "
              "row < rows; row += static_cast<int64_t>(gridDim.x) * blockDim.x) {");
    c.Line(2, "const int64_t o = row / inner, i = row % inner;");
    RowPointers(c, 2);
    for (int stage = 1; stage <= s_.stages; ++stage) {
      std::vector<int> reduces = StageReduces(stage);
      Accumulators(c, 2, reduces);
      c.Line(2, "for (int64_t r = 0; r < R; ++r) {");
      Elements(c, 3, ArgsOf(reduces), Scalar, false);
      Accumulate(c, 3, reduces);
      c.Line(2, "}");
      Results(c, 2, reduces, false);
      RowNodes(c, 2, stage);
    }
    std::string v = Name(l_.expr.output);
    if (Full()) {
      ScanCarries(c, 2);
      c.Line(2, s_.scan_reverse ? "for (int64_t r = R - 1; r >= 0; --r) {"
                                : "for (int64_t r = 0; r < R; ++r) {");
      Elements(c, 3, {l_.expr.output}, Scalar, false);
      c.Line(3, "out[(o * R + r) * inner + i] = " + v + ";");
      c.Line(2, "}");
    } else {
      c.Line(2, "out[row] = " + v + ";");
    }
    c.Line(1, "}");
  }

  // Split, phase 1: block (s, row) reduces [s * chunk, (s + 1) * chunk) of its row to one
  // partial per reduction.
  void PartBody(EmitCode& c) const {
    std::vector<int> reduces = StageReduces(1);
    int nr = ReduceCount();
    c.Line(1, "(void)out;");
    c.Line(1, "const int64_t row = blockIdx.y, split = blockIdx.x;");
    c.Line(1, "const int64_t o = row / inner, i = row % inner;");
    RowPointers(c, 1);
    Accumulators(c, 1, reduces);
    c.Line(1, "const int64_t end = (split + 1) * chunk < R ? (split + 1) * chunk : R;");
    c.Line(1, "for (int64_t r = split * chunk + threadIdx.x; r < end; r += blockDim.x) {");
    Elements(c, 2, ArgsOf(reduces), Scalar, true);
    Accumulate(c, 2, reduces);
    c.Line(1, "}");
    for (size_t j = 0; j < reduces.size(); ++j) {
      int id = reduces[j];
      c.Line(1, fmt::format("const float r{0} = akg_block_reduce<{1}>(acc{0}, sm);", id,
                            CombinerCode(CombinerOf(Node(id)))));
      c.Line(1, fmt::format("if (threadIdx.x == 0) part[(row * splits + split) * {} + {}] = r{};",
                            nr, j, id));
    }
  }

  // Split, phase 2: one block per row combines the row's partials.
  void FinishBody(EmitCode& c) const {
    std::vector<int> reduces = StageReduces(1);
    int nr = ReduceCount();
    c.Line(1, "(void)a; (void)inner;");
    c.Line(1, "for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {");
    Accumulators(c, 2, reduces);
    c.Line(2, "for (int64_t s = threadIdx.x; s < splits; s += blockDim.x) {");
    for (size_t j = 0; j < reduces.size(); ++j) {
      int id = reduces[j];
      c.Line(3, fmt::format("acc{0} = akg_comb<{1}>(acc{0}, part[(row * splits + s) * {2} + {3}]);",
                            id, CombinerCode(CombinerOf(Node(id))), nr, j));
    }
    c.Line(2, "}");
    Results(c, 2, reduces, true);
    RowNodes(c, 2, 1);
    c.Line(2, "if (threadIdx.x == 0) out[row] = " + Name(l_.expr.output) + ";");
    c.Line(1, "}");
  }

  // A pointwise launch: the output's elements in a grid-stride loop; element e is
  // (o, r, i) of the [outer, R, inner] view, and out[e] its value.
  void PointwiseBody(EmitCode& c, bool vec) const {
    std::string v = Name(l_.expr.output);
    c.Line(1, "const int64_t total = rows * R;");
    c.Line(1, "const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;");
    if (!vec) {
      c.Line(1, "for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; "
                "e < total; e += step) {");
      c.Line(2, "const int64_t i = e % inner, t = e / inner, r = t % R, o = t / R;");
      RowPointers(c, 2);
      Elements(c, 2, {l_.expr.output}, Scalar, false);
      c.Line(2, "out[e] = " + v + ";");
      c.Line(1, "}");
      return;
    }
    // inner == 1 and R % 4 == 0: four consecutive elements of one row per step.
    c.Line(1, "const int64_t R4 = R >> 2;");
    c.Line(1, "for (int64_t e4 = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; "
              "e4 < (total >> 2); e4 += step) {");
    c.Line(2, "const int64_t o = e4 / R4, q = e4 - o * R4, i = 0;");
    RowPointers(c, 2);
    VecLoads(c, 2, {l_.expr.output});
    c.Line(2, "float res[4];");
    c.Line(2, "#pragma unroll");
    c.Line(2, "for (int j = 0; j < 4; ++j) {");
    c.Line(3, "const int64_t r = 4 * q + j;");
    c.Line(3, "(void)r;");
    Elements(c, 3, {l_.expr.output}, [](int k) { return fmt::format("x{}[j]", k); }, false);
    c.Line(3, "res[j] = " + v + ";");
    c.Line(2, "}");
    c.Line(2, "reinterpret_cast<float4*>(out)[e4] = make_float4(res[0], res[1], res[2], res[3]);");
    c.Line(1, "}");
  }

  std::string CopyOperands() const {
    return fmt::format("  {} a;\n  for (int j = 0; j < {}; ++j) a.p[j] = in[j];\n"
                       "  for (int j = 0; j < {}; ++j) a.s[j] = st[j];\n", Ops(), Count(), 3 * Count());
  }

  void PointwiseHost(EmitCode& c) const {
    c.Line(0, fmt::format("extern \"C\" int akg_launch{}(void* out, const void* const* in, "
                          "const int64_t* st, int64_t rows, int64_t R, int64_t inner, int vec, "
                          "void* part, int64_t splits, cudaStream_t stream) {{", k_));
    c.text += CopyOperands();
    c.Line(1, "(void)part; (void)splits;");
    c.Line(1, fmt::format("const int threads = {};", std::clamp(threads_, 64, 1024)));
    c.Line(1, "const int64_t work = vec ? rows * R / 4 : rows * R;");
    c.Line(1, "int64_t blocks = (work + threads - 1) / threads;");
    c.Line(1, "if (blocks > 65536) blocks = 65536;  // the grid-stride loop covers the rest");
    c.Line(1, "if (blocks < 1) blocks = 1;");
    std::string args = "a, static_cast<float*>(out), rows, R, inner";
    if (Vectorisable()) {
      c.Line(1, "if (vec) {");
      c.Line(2, fmt::format("akg{}_pointwise_vec<<<static_cast<unsigned>(blocks), threads, 0, stream>>>({});", k_, args));
      c.Line(1, "} else {");
      c.Line(2, fmt::format("akg{}_pointwise<<<static_cast<unsigned>(blocks), threads, 0, stream>>>({});", k_, args));
      c.Line(1, "}");
    } else {
      c.Line(1, fmt::format("akg{}_pointwise<<<static_cast<unsigned>(blocks), threads, 0, stream>>>({});", k_, args));
    }
    c.Line(1, "return static_cast<int>(cudaGetLastError());");
    c.Line(0, "}");
  }

  void RowHost(EmitCode& c) const {
    std::string out_t = OutType();
    c.Line(0, fmt::format("extern \"C\" int akg_launch{}(void* out_v, const void* const* in, "
                          "const int64_t* st, int64_t rows, int64_t R, int64_t inner, int vec, "
                          "void* part, int64_t splits, cudaStream_t stream) {{", k_));
    c.text += CopyOperands();
    c.Line(1, fmt::format("{0}* out = static_cast<{0}*>(out_v);", out_t));
    c.Line(1, "const unsigned grid_rows = static_cast<unsigned>(rows < 2147483647 ? rows : 2147483647);");
    if (Splittable()) {
      c.Line(1, "if (splits > 1) {");
      c.Line(2, "const int64_t chunk = (R + splits - 1) / splits;");
      c.Line(2, fmt::format("akg{0}_part<<<dim3(static_cast<unsigned>(splits), static_cast<unsigned>(rows)), "
                            "{1}, 0, stream>>>(a, out, rows, R, inner, static_cast<float*>(part), splits, chunk);",
                            k_, std::clamp(threads_, 32, 1024)));
      c.Line(2, fmt::format("akg{}_finish<<<grid_rows, 256, 0, stream>>>(a, out, rows, R, inner, "
                            "static_cast<float*>(part), splits, chunk);", k_));
      c.Line(2, "return static_cast<int>(cudaGetLastError());");
      c.Line(1, "}");
    }
    c.Line(1, "(void)part; (void)splits;");
    c.Line(1, "if (inner == 1 && R >= 64) {");
    // As many threads as a pass has elements (a power of two, 32 at least), up to the tunable.
    c.Line(2, "const int64_t per = vec ? R / 4 : R;");
    c.Line(2, fmt::format("int threads = {};", std::clamp(threads_, 32, 1024)));
    c.Line(2, "while (threads > 32 && threads / 2 >= per) threads /= 2;");
    std::string args = "a, out, rows, R, inner";
    if (Vectorisable()) {
      c.Line(2, "if (vec) {");
      c.Line(3, fmt::format("akg{}_block_vec<<<grid_rows, threads, 0, stream>>>({});", k_, args));
      c.Line(3, "return static_cast<int>(cudaGetLastError());");
      c.Line(2, "}");
    }
    c.Line(2, fmt::format("akg{}_block<<<grid_rows, threads, 0, stream>>>({});", k_, args));
    c.Line(2, "return static_cast<int>(cudaGetLastError());");
    c.Line(1, "}");
    c.Line(1, "int64_t blocks = (rows + 127) / 128;");
    c.Line(1, "if (blocks > 65536) blocks = 65536;");
    c.Line(1, fmt::format("akg{}_thread<<<static_cast<unsigned>(blocks), 128, 0, stream>>>({});", k_, args));
    c.Line(1, "return static_cast<int>(cudaGetLastError());");
    c.Line(0, "}");
  }

  const Launch& l_;
  size_t k_;
  int threads_;
  RowSchedule s_;
  std::vector<int> reduces_;
};

// The Python launcher of a row or pointwise launch.
std::string RowLauncher(const Launch& l, size_t k, const RowKernels& kernels, bool conservative) {
  std::string ints;
  for (size_t j = 0; j < l.operands.size(); ++j) {
    const std::string& dt = l.operands[j].type.dtype;
    if (dt == "int64" || dt == "bool") ints += fmt::format("{}: torch.{}, ", j, dt);
  }
  bool vec = kernels.Vectorisable() && !conservative;
  bool split = kernels.Splittable() && !conservative;
  return fmt::format(R"PY(
def _launch{0}(ops):
    ops = _check(ops, {{{1}}})
    shape = tuple(torch.broadcast_shapes(*[t.shape for t in ops]))
    b, e = {2}
    red, inner = _prod(shape[b:e]), _prod(shape[e:])
    rows = _prod(shape[:b]) * inner
    out = torch.empty({3}, dtype={4}, device=ops[0].device)
    if rows == 0 or out.numel() == 0:
        return out
    views = [_rows(t, shape, b, e) for t in ops]
    flat = [s for _, st in views for s in st]
    vec = {5} and inner == 1 and red % 4 == 0 and all(_vec_ok(v, st) for v, st in views)
    splits = _splits(rows, red) if {6} else 1
    part = torch.empty(max(1, rows * splits * {7}), dtype=torch.float32, device=ops[0].device)
    _run(_LIB.akg_launch{0}, out.data_ptr(),
         (ctypes.c_void_p * len(views))(*[v.data_ptr() for v, _ in views]),
         (ctypes.c_int64 * len(flat))(*flat), rows, red, inner, int(vec), part.data_ptr(),
         splits, _stream())
    return out
)PY", k, ints, RowSplitSource(l), RowOutShapeSource(l),
                     l.output_dtype == "int64" ? "torch.int64" : "torch.float32",
                     vec ? "True" : "False", split ? "True" : "False",
                     std::max(1, kernels.ReduceCount()));
}

constexpr const char* kCudaGlue = R"PY(

def _check(ops, ints=None):
    """The operands, checked: float32 CUDA tensors, or the dtype `ints` gives a position."""
    for k, t in enumerate(ops):
        want = (ints or {}).get(k, torch.float32)
        if t.dtype != want or t.device.type != "cuda":
            raise TypeError(f"this kernel takes {want} CUDA tensors, not {t.dtype} on {t.device}")
    return ops


def _vec_ok(v, st):
    """float4 along the row: unit stride (or broadcast) there, 16-byte aligned rows."""
    return st[1] == 0 or (st[1] == 1 and st[0] % 4 == 0 and v.data_ptr() % 16 == 0)


def _splits(rows, red):
    """Parts a one-stage reduction of few long rows is cut into (1: not cut)."""
    if rows >= 256 or red < 16384:
        return 1
    return max(1, min(1024 // rows, red // 4096))


def _stream():
    return torch.cuda.current_stream().cuda_stream


def _run(fn, *args):
    err = fn(*args)
    if err != 0:
        raise RuntimeError(f"{fn}: CUDA error {err}: {_LIB.akg_error_text(err).decode()}")
)PY";

}  // namespace

Result<std::string> EmitCudaProgram(const KernelProgram& program, const PlanEmitOptions& o) {
  for (const Launch& l : program.launches) {
    if (l.kind == PlanKind::kConv) {
      return UnsupportedError("the builtin model's cuda kernels do not cover the conv plan "
                              "(convolutions) yet; use --dsl triton_cuda for this task");
    }
    for (const PlanOperand& op : l.operands) {
      bool index_ok = (op.type.dtype == "int64" || op.type.dtype == "bool") &&
                      (l.kind == PlanKind::kRow || l.kind == PlanKind::kPointwise);
      if (op.type.dtype != "float32" && !index_ok) {
        return UnsupportedError("the builtin model's cuda kernels take float32 tensors; an "
                                "operand is " + op.type.dtype);
      }
    }
  }
  std::string source = std::string("// Generated by the AKG builtin model: kernel plans in CUDA C.\n") +
                       kPrelude;
  std::string launchers, argtypes;
  int pools = 0;
  for (size_t k = 0; k < program.launches.size(); ++k) {
    const Launch& l = program.launches[k];
    source += "\n// launch " + std::to_string(k) + ": " + DescribeLaunch(l) + "\n";
    std::string types;
    if (l.kind == PlanKind::kMatmul) {
      source += MatmulCudaSource(l, k, o.tunables, o.conservative);
      launchers += MatmulCudaLauncher(l, k);
      types = "[ctypes.c_void_p] * 5 + [ctypes.c_int64] * 10 + [ctypes.c_void_p]";
    } else if (l.kind == PlanKind::kPool) {
      if (!pools++) launchers += PoolHelperSource();
      source += PoolCudaSource(l, k, o.tunables);
      launchers += PoolCudaLauncher(l, k);
      types = "[ctypes.c_void_p] * 7 + [ctypes.c_void_p]";
    } else {
      RowSchedule schedule = ScheduleRow(l);
      if (!schedule.error.empty()) {
        return UnsupportedError("the builtin model cannot schedule " + schedule.error);
      }
      int threads = l.kind == PlanKind::kPointwise ? LaunchTunable(o.tunables, k, "tile", 4096) / 16
                                                   : LaunchTunable(o.tunables, k, "block_r", 2048) / 8;
      if (o.conservative) threads = 128;
      RowKernels kernels(l, k, threads);
      source += kernels.Source();
      launchers += RowLauncher(l, k, kernels, o.conservative);
      types = "[ctypes.c_void_p] * 3 + [ctypes.c_int64] * 3 + [ctypes.c_int, ctypes.c_void_p, "
              "ctypes.c_int64, ctypes.c_void_p]";
    }
    argtypes += fmt::format("    \"akg_launch{}\": {},\n", k, types);
  }
  if (source.find("'''") != std::string::npos) return InternalError("kernel source has '''");
  AKG_ASSIGN_OR_RETURN(std::string model, ProgramModelSource(program, o.task_source));
  std::string doc = "\"\"\"Generated by the AKG builtin model (cuda DSL: kernel plans in CUDA C, "
                    "compiled by load_cuda at import).\n\n";
  for (size_t k = 0; k < program.launches.size(); ++k) {
    doc += fmt::format("    launch {}: {}\n", k, DescribeLaunch(program.launches[k]));
  }
  // Compiled at import: the CPU-side build (no device) then reports nvcc's errors.
  std::string load = R"PY(

_ARGTYPES = {
)PY" + argtypes + R"PY(}


def _load():
    lib = load_cuda(CUDA_SOURCE)
    lib.akg_error_text.argtypes = [ctypes.c_int]
    lib.akg_error_text.restype = ctypes.c_char_p
    for name, types in _ARGTYPES.items():
        getattr(lib, name).restype = ctypes.c_int
        getattr(lib, name).argtypes = types
    return lib


_LIB = _load()
)PY";
  return doc + "\"\"\"\nimport ctypes\nimport functools\nimport math\n\nimport torch\n"
               "import torch.nn as nn\nimport torch.nn.functional as F\n\n"
               "from akg_harness.native import load_cuda\n\nCUDA_SOURCE = r'''\n" + source +
         "'''\n" + load + kCudaGlue + "\n\n" + ProgramHelpersSource() + launchers + "\n\n" + model;
}

}  // namespace akg
