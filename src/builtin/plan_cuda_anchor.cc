// The CUDA C anchors of plan_cuda.h: Matmul and Pool launches.
//
// Matmul: C[b, M, N] = A[b, M, K] @ B[b, K, N] through any strides, in BK = 16 slices of K staged
// in shared memory; each thread keeps a TM x TN block of C in registers, its rows and columns
// strided by the thread grid (so the shared-memory reads of a warp are broadcasts or
// conflict-free, and its stores are coalesced). The host launcher takes 128 x 128 tiles (8 x 8
// per thread) when the tunables allow them and the grid still fills the GPU, else 64 x 64
// (4 x 4). float32 FMA in K order; tensor cores are not used (float32 data, float32 tolerance).
// The epilogue (bias, activations, scaling, triu/tril) runs on each value before its one store.
//
// Pool: one thread per output element, its window's taps through the operand's strides (no
// copy), masked at the padding; max keeps NaN, average divides by torch's divisor.
#include <algorithm>

#include <fmt/format.h>

#include "builtin/expr_emit.h"
#include "builtin/plan_cuda.h"

namespace akg {
namespace {

constexpr const char* kMatmulKernel = R"CU(template <int BM, int BN, int TM, int TN>
__global__ void __launch_bounds__((BM / TM) * (BN / TN)) akg{0}_mm(
    float* __restrict__ c, const float* __restrict__ a, const float* __restrict__ b, akg_ep{0} e,
    int64_t batch, int64_t M, int64_t N, int64_t K, int64_t s_ab, int64_t s_am, int64_t s_ak,
    int64_t s_bb, int64_t s_bk, int64_t s_bn) {{
  constexpr int BK = 16, TX = BN / TN, TY = BM / TM, NT = TX * TY;
  __shared__ float As[BK][BM + 4];
  __shared__ float Bs[BK][BN + 4];
  (void)e;
  const int tx = threadIdx.x % TX, ty = threadIdx.x / TX;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * BM, n0 = static_cast<int64_t>(blockIdx.x) * BN;
  // Neighbouring threads load neighbouring addresses: along K for row-major A, along N for B.
  const bool a_along_k = s_ak == 1;
  const bool b_along_n = s_bn == 1 || s_bk != 1;
  for (int64_t bat = blockIdx.z; bat < batch; bat += gridDim.z) {{
    const float* ab = a + bat * s_ab;
    const float* bb = b + bat * s_bb;
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i) {{
#pragma unroll
      for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;
    }}
    for (int64_t k0 = 0; k0 < K; k0 += BK) {{
      for (int q = threadIdx.x; q < BM * BK; q += NT) {{
        const int mm = a_along_k ? q / BK : q % BM, kk = a_along_k ? q % BK : q / BM;
        const int64_t gm = m0 + mm, gk = k0 + kk;
        As[kk][mm] = gm < M && gk < K ? ab[gm * s_am + gk * s_ak] : 0.0f;
      }}
      for (int q = threadIdx.x; q < BK * BN; q += NT) {{
        const int nn = b_along_n ? q % BN : q / BK, kk = b_along_n ? q / BN : q % BK;
        const int64_t gn = n0 + nn, gk = k0 + kk;
        Bs[kk][nn] = gn < N && gk < K ? bb[gk * s_bk + gn * s_bn] : 0.0f;
      }}
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < BK; ++kk) {{
        float ar[TM], br[TN];
#pragma unroll
        for (int i = 0; i < TM; ++i) ar[i] = As[kk][ty + i * TY];
#pragma unroll
        for (int j = 0; j < TN; ++j) br[j] = Bs[kk][tx + j * TX];
#pragma unroll
        for (int i = 0; i < TM; ++i) {{
#pragma unroll
          for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(ar[i], br[j], acc[i][j]);
        }}
      }}
      __syncthreads();
    }}
#pragma unroll
    for (int i = 0; i < TM; ++i) {{
      const int64_t m = m0 + ty + i * TY;
#pragma unroll
      for (int j = 0; j < TN; ++j) {{
        const int64_t n = n0 + tx + j * TX;
        if (m >= M || n >= N) continue;
        const float x = acc[i][j];
{1}        c[(bat * M + m) * N + n] = {2};
      }}
    }}
  }}
}}

extern "C" int akg_launch{0}(float* c, const float* a, const float* b, const void* const* ep,
                            const int64_t* es, int64_t batch, int64_t M, int64_t N, int64_t K,
                            int64_t s_ab, int64_t s_am, int64_t s_ak, int64_t s_bb, int64_t s_bk,
                            int64_t s_bn, cudaStream_t stream) {{
  akg_ep{0} e;
  for (int j = 0; j < {3}; ++j) e.p[j] = static_cast<const float*>(ep[j]);
  for (int j = 0; j < {4}; ++j) e.s[j] = es[j];
  const unsigned z = static_cast<unsigned>(batch < 65535 ? batch : 65535);
  const int64_t big_tiles = ((M + 127) / 128) * ((N + 127) / 128) * batch;
  if ({5} && big_tiles >= 128) {{
    dim3 grid(static_cast<unsigned>((N + 127) / 128), static_cast<unsigned>((M + 127) / 128), z);
    akg{0}_mm<128, 128, 8, 8><<<grid, 256, 0, stream>>>(c, a, b, e, batch, M, N, K, s_ab, s_am,
                                                         s_ak, s_bb, s_bk, s_bn);
  }} else {{
    dim3 grid(static_cast<unsigned>((N + 63) / 64), static_cast<unsigned>((M + 63) / 64), z);
    akg{0}_mm<64, 64, 4, 4><<<grid, 256, 0, stream>>>(c, a, b, e, batch, M, N, K, s_ab, s_am,
                                                       s_ak, s_bb, s_bk, s_bn);
  }}
  return static_cast<int>(cudaGetLastError());
}}
)CU";

// The epilogue's statements (on x = the accumulator, at (bat, m, n)) and its result.
std::string MatmulEpilogue(const Launch& l, std::string* result) {
  std::vector<int> live = l.expr.LiveNodes();
  std::map<int, std::string> names;
  std::vector<std::string> lines;
  for (int id : live) {
    const ExprNode& node = l.expr.nodes[static_cast<size_t>(id)];
    if (node.op == ExprOp::kAcc) {
      names[id] = "x";
    } else if (node.op == ExprOp::kOutIndex) {
      names[id] = node.params[0] == 1 ? "static_cast<float>(n)" : "static_cast<float>(m)";
    } else if (node.op == ExprOp::kDotSize) {
      names[id] = "static_cast<float>(K)";
    } else if (node.op == ExprOp::kConst) {
      names[id] = CppFloatLiteral(node.params[0]);
    } else if (node.op == ExprOp::kInput) {
      int j = node.input - 2;
      lines.push_back(fmt::format("const float v{0} = e.p[{1}][bat * e.s[{2}] + m * e.s[{3}] + n * e.s[{4}]];",
                                  node.input, j, 3 * j, 3 * j + 1, 3 * j + 2));
      names[id] = fmt::format("v{}", node.input);
    } else {
      names[id] = EmitNode(l.expr, id, EmitDsl::kCpp, names, &lines);
    }
  }
  *result = names[l.expr.output];
  std::string text;
  for (const std::string& line : lines) text += std::string(8, ' ') + line + "\n";
  return text;
}

}  // namespace

std::string MatmulCudaSource(const Launch& l, size_t k, const Json& tunables, bool conservative) {
  int e = std::max(1, static_cast<int>(l.operands.size()) - 2);
  std::string result;
  std::string epilogue = MatmulEpilogue(l, &result);
  bool big = !conservative && LaunchTunable(tunables, k, "bm", 128) >= 128;
  std::string ep = fmt::format("struct akg_ep{} {{\n  const float* p[{}];\n  int64_t s[{}];\n}};\n\n",
                               k, e, 3 * e);
  return ep + fmt::format(kMatmulKernel, k, epilogue, result,
                          static_cast<int>(l.operands.size()) - 2,
                          3 * (static_cast<int>(l.operands.size()) - 2), big ? "true" : "false");
}

std::string MatmulCudaLauncher(const Launch& l, size_t k) {
  (void)l;
  return fmt::format(R"PY(
def _launch{0}(ops):
    ops = _check(ops)
    a, b, epilogue, shape, m, n, k = _mm_views(ops)
    c = torch.empty((a.shape[0], m, n), dtype=torch.float32, device=a.device)
    if c.numel() == 0:
        return c.view(shape)
    es = [s for t in epilogue for s in t.stride()]
    _run(_LIB.akg_launch{0}, c.data_ptr(), a.data_ptr(), b.data_ptr(),
         (ctypes.c_void_p * max(1, len(epilogue)))(*[t.data_ptr() for t in epilogue]),
         (ctypes.c_int64 * max(1, len(es)))(*es), a.shape[0], m, n, k, *a.stride(), *b.stride(),
         _stream())
    return c.view(shape)
)PY", k);
}

std::string PoolCudaSource(const Launch& l, size_t k, const Json& tunables) {
  const PoolPlan& p = l.pool;
  int rank = static_cast<int>(l.out.shape.size());
  int lead = rank - p.dims;
  int eps = static_cast<int>(l.operands.size()) - 1;
  EmitCode c;
  c.unit = 2;
  c.Line(0, fmt::format("struct akg_pool{} {{", k));
  c.Line(1, fmt::format("int64_t n[{}], len[{}], xs[{}], es[{}];", rank, p.dims, rank,
                        std::max(1, eps * rank)));
  c.Line(1, fmt::format("const float* e[{}];", std::max(1, eps)));
  c.Line(0, "};");
  c.Line(0, "");
  c.Line(0, fmt::format("__global__ void akg{0}_pool(akg_pool{0} a, float* __restrict__ out, "
                        "const float* __restrict__ x, int64_t total) {{", k));
  c.Line(1, "const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;");
  c.Line(1, "for (int64_t o = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; "
            "o < total; o += step) {");
  c.Line(2, fmt::format("int64_t i[{}];", rank));
  c.Line(2, "int64_t r = o;");
  c.Line(2, "#pragma unroll");
  c.Line(2, fmt::format("for (int d = {}; d > 0; --d) {{ i[d] = r % a.n[d]; r /= a.n[d]; }}", rank - 1));
  c.Line(2, "i[0] = r;");
  c.Line(2, "const float* base = x;");
  c.Line(2, "#pragma unroll");
  c.Line(2, fmt::format("for (int d = 0; d < {}; ++d) base += i[d] * a.xs[d];", lead));
  c.Line(2, p.max ? "float acc = -__builtin_inff();" : "float acc = 0.0f;");
  std::string addr = "base[0";
  for (int d = 0; d < p.dims; ++d) {
    size_t i = static_cast<size_t>(d);
    c.Line(2 + d, fmt::format("for (int64_t q{0} = 0; q{0} < {1}; ++q{0}) {{", d, p.kernel[i]));
    c.Line(3 + d, fmt::format("const int64_t p{0} = i[{1}] * {2} - {3} + q{0} * {4};", d, lead + d,
                              p.stride[i], p.padding[i], p.dilation[i]));
    c.Line(3 + d, fmt::format("if (p{0} < 0 || p{0} >= a.len[{0}]) continue;", d));
    addr += fmt::format(" + p{} * a.xs[{}]", d, lead + d);
  }
  int ind = 2 + p.dims;
  c.Line(ind, "const float v = " + addr + "];");
  c.Line(ind, p.max ? "if (v != v || v > acc) acc = v;" : "acc += v;");
  for (int d = p.dims - 1; d >= 0; --d) c.Line(2 + d, "}");
  if (!p.max) {
    if (p.divisor > 0) {
      c.Line(2, fmt::format("acc = acc / {}.0f;", p.divisor));
    } else {
      c.Line(2, "int64_t div = 1;");
      for (int d = 0; d < p.dims; ++d) {
        size_t i = static_cast<size_t>(d);
        c.Line(2, "{");
        c.Line(3, fmt::format("int64_t st = i[{}] * {} - {};", lead + d, p.stride[i], p.padding[i]));
        c.Line(3, fmt::format("int64_t en = st + {0} < a.len[{1}] + {2} ? st + {0} : a.len[{1}] + {2};",
                              p.kernel[i], d, p.padding[i]));
        if (!p.count_include_pad) {
          c.Line(3, "if (st < 0) st = 0;");
          c.Line(3, fmt::format("if (en > a.len[{0}]) en = a.len[{0}];", d));
        }
        c.Line(3, "div *= en - st;");
        c.Line(2, "}");
      }
      c.Line(2, "acc = acc / static_cast<float>(div);");
    }
  }
  std::string value = AnchorEpilogue(l, true, c, 2, [&](int in) {
    int e = in - 1;
    std::string at = JoinIndexed(rank, [&](int d) { return fmt::format("i[{}] * a.es[{}]", d, e * rank + d); },
                                 " + ");
    return fmt::format("const float w{} = a.e[{}][{}];", in, e, at);
  });
  c.Line(2, "out[o] = " + value + ";");
  c.Line(1, "}");
  c.Line(0, "}");
  c.Line(0, "");
  int threads = std::clamp(LaunchTunable(tunables, k, "block", 512), 64, 1024);
  c.Line(0, fmt::format("extern \"C\" int akg_launch{}(float* out, const float* x, const void* const* e, "
                        "const int64_t* es, const int64_t* n, const int64_t* len, const int64_t* xs, "
                        "cudaStream_t stream) {{", k));
  c.Line(1, fmt::format("akg_pool{} a;", k));
  c.Line(1, "int64_t total = 1;");
  c.Line(1, fmt::format("for (int d = 0; d < {}; ++d) {{ a.n[d] = n[d]; a.xs[d] = xs[d]; total *= n[d]; }}", rank));
  c.Line(1, fmt::format("for (int d = 0; d < {}; ++d) a.len[d] = len[d];", p.dims));
  c.Line(1, fmt::format("for (int j = 0; j < {}; ++j) a.e[j] = static_cast<const float*>(e[j]);", eps));
  c.Line(1, fmt::format("for (int j = 0; j < {}; ++j) a.es[j] = es[j];", eps * rank));
  c.Line(1, fmt::format("int64_t blocks = (total + {0} - 1) / {0};", threads));
  c.Line(1, "if (blocks > 65536) blocks = 65536;");
  c.Line(1, "if (blocks < 1) blocks = 1;");
  c.Line(1, fmt::format("akg{}_pool<<<static_cast<unsigned>(blocks), {}, 0, stream>>>(a, out, x, total);",
                        k, threads));
  c.Line(1, "return static_cast<int>(cudaGetLastError());");
  c.Line(0, "}");
  return c.text;
}

std::string PoolCudaLauncher(const Launch& l, size_t k) {
  // plan_pool's shape rule, as its Triton and C++ launchers call it.
  std::string lists;
  const PoolPlan& p = l.pool;
  for (const auto* list : {&p.kernel, &p.stride, &p.padding, &p.dilation}) {
    lists += "(" + JoinIndexed(p.dims, [list](int d) { return std::to_string((*list)[static_cast<size_t>(d)]); });
    lists += p.dims == 1 ? ",), " : "), ";
  }
  std::string shape = fmt::format("_pool_shape(x.shape, {}{})", lists, p.ceil_mode ? "True" : "False");
  return fmt::format(R"PY(
def _launch{0}(ops):
    ops = _check(ops)
    x = ops[0]
    shape = {1}
    out = torch.empty(shape, dtype=torch.float32, device=x.device)
    if out.numel() == 0:
        return out
    ep = [t.expand(shape) for t in ops[1:]]
    es = [s for t in ep for s in t.stride()]
    i64 = ctypes.c_int64
    _run(_LIB.akg_launch{0}, out.data_ptr(), x.data_ptr(),
         (ctypes.c_void_p * max(1, len(ep)))(*[t.data_ptr() for t in ep]),
         (i64 * max(1, len(es)))(*es), (i64 * len(shape))(*shape),
         (i64 * {2})(*x.shape[-{2}:]), (i64 * x.dim())(*x.stride()), _stream())
    return out
)PY", k, shape, p.dims);
}

}  // namespace akg
