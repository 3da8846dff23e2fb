#include "builtin/triton_codegen.h"

#include <algorithm>

#include <fmt/format.h>

#include "builtin/expr_emit.h"
#include "builtin/python_glue.h"

namespace akg {
namespace {

// Accurate expm1/log1p/tanh from tl.exp and tl.log alone (no libdevice), so the same code
// runs compiled and under the interpreter. For small arguments exp(x) - 1 and log(1 + y) lose
// all relative precision; the corrections below are the classic ones (Kahan; Goldberg).
constexpr const char* kMathHelpers = R"PY(
@triton.jit
def _akg_expm1(x):
    u = tl.exp(x)
    um1 = u - 1.0
    near = tl.where(u == 1.0, x, um1 * x / tl.log(u))
    return tl.where(tl.abs(x) < 0.5, near, um1)


@triton.jit
def _akg_log1p(y):
    u = 1.0 + y
    near = tl.where(u == 1.0, y, tl.log(u) * y / (u - 1.0))
    return tl.where(tl.abs(y) < 0.5, near, tl.log(u))


@triton.jit
def _akg_tanh(x):
    e = _akg_expm1(-2.0 * tl.abs(x))
    t = -e / (2.0 + e)
    return tl.where(x < 0.0, -t, t)

)PY";

std::string ValueList(int inputs) {
  std::string s;
  for (int k = 0; k < inputs; ++k) s += fmt::format("{}v{}", k ? ", " : "", k);
  return s;
}

std::string PointerList(int inputs) {
  std::string s;
  for (int k = 0; k < inputs; ++k) s += fmt::format(", in{}_ptr", k);
  return s;
}

// The fused expression as an inlined jit function of the operand values (fp32).
std::string ExprFunction(const ElementwiseGraph& graph, int inputs) {
  std::vector<int> used = graph.UsedInputs();
  EmittedExpr expr = EmitExpression(graph, EmitDsl::kTriton, [&](int input) {
    int k = static_cast<int>(std::find(used.begin(), used.end(), input) - used.begin());
    return fmt::format("v{}", k);
  });
  std::string s = "@triton.jit\ndef _akg_expr(" + ValueList(inputs) + "):\n";
  for (const std::string& line : expr.lines) s += "    " + line + "\n";
  return s + "    return " + expr.result + "\n";
}

// 32-bit index arithmetic unless an offset can reach 2**31 (WIDE): 64-bit division, which the
// strided kernel's index decomposition needs, is many times slower on GPUs.
constexpr const char* kProgramOffsets =
    "    if WIDE:\n"
    "        offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)\n"
    "    else:\n"
    "        offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)\n"
    "    mask = offs < numel\n";

std::string StoreLine(int inputs) {
  return "    tl.store(out_ptr + offs, _akg_expr(" + ValueList(inputs) +
         ").to(out_ptr.dtype.element_ty), mask=mask)\n";
}

// All operands contiguous with the output's shape: the fewest arguments, the cheapest launch.
std::string LinearKernel(int inputs) {
  std::string s = "@triton.jit\ndef _akg_linear_kernel(out_ptr" + PointerList(inputs) +
                  ", numel, WIDE: tl.constexpr, BLOCK: tl.constexpr):\n" + kProgramOffsets;
  for (int k = 0; k < inputs; ++k) {
    s += fmt::format("    v{0} = tl.load(in{0}_ptr + offs, mask=mask, other=0.0).to(tl.float32)\n",
                     k);
  }
  return s + StoreLine(inputs);
}

// Any layout: each operand has its runtime strides over the 4-d (coalesced, broadcast)
// output; FULL<k> marks one that is contiguous with the output and indexes linearly.
std::string StridedKernel(int inputs) {
  std::string s = "@triton.jit\ndef _akg_strided_kernel(out_ptr" + PointerList(inputs) +
                  ", numel, size1, size2, size3";
  for (int k = 0; k < inputs; ++k) {
    s += fmt::format(",\n                        st{0}_0, st{0}_1, st{0}_2, st{0}_3", k);
  }
  s += ",\n                        ";
  for (int k = 0; k < inputs; ++k) s += fmt::format("FULL{}: tl.constexpr, ", k);
  s += std::string("WIDE: tl.constexpr, BLOCK: tl.constexpr):\n") + kProgramOffsets +
       "    i3 = offs % size3\n"
       "    rest = offs // size3\n"
       "    i2 = rest % size2\n"
       "    rest = rest // size2\n"
       "    i1 = rest % size1\n"
       "    i0 = rest // size1\n";
  for (int k = 0; k < inputs; ++k) {
    s += fmt::format(
        "    if FULL{0}:\n"
        "        off{0} = offs\n"
        "    else:\n"
        "        off{0} = i0 * st{0}_0 + i1 * st{0}_1 + i2 * st{0}_2 + i3 * st{0}_3\n"
        "    v{0} = tl.load(in{0}_ptr + off{0}, mask=mask, other=0.0).to(tl.float32)\n", k);
  }
  return s + StoreLine(inputs);
}

// Host glue. The common case (same shapes, all contiguous) skips planning: launch overhead
// shows in per-call timings of sub-millisecond kernels.
constexpr const char* kTritonLauncher = R"PY(

_FLOAT_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


def _launch(operands):
    first = operands[0]
    for t in operands:
        if t.dtype not in _FLOAT_DTYPES:
            raise TypeError(f"this kernel takes float32/float16/bfloat16 tensors, not {t.dtype}")
    dtype = functools.reduce(torch.promote_types, [t.dtype for t in operands])
    if FAST_PATHS and all(t.shape == first.shape and t.is_contiguous() for t in operands):
        out = torch.empty(first.shape, dtype=dtype, device=first.device)
        numel = out.numel()
        if numel:
            _akg_linear_kernel[(triton.cdiv(numel, BLOCK),)](
                out, *operands, numel, WIDE=numel + BLOCK >= 2**31, BLOCK=BLOCK,
                num_warps=NUM_WARPS)
        return out
    shape = torch.broadcast_shapes(*[t.shape for t in operands])
    out = torch.empty(shape, dtype=dtype, device=first.device)
    numel = out.numel()
    if numel == 0:
        return out
    views, sizes, strides = _plan(operands, shape)
    flags = {f"FULL{k}": FAST_PATHS and v.is_contiguous() for k, v in enumerate(views)}
    reach = max(sum((n - 1) * s for n, s in zip(sizes, st)) for st in strides)
    _akg_strided_kernel[(triton.cdiv(numel, BLOCK),)](
        out, *views, numel, *sizes[1:], *[s for st in strides for s in st],
        WIDE=max(numel + BLOCK, reach) >= 2**31, BLOCK=BLOCK, num_warps=NUM_WARPS, **flags)
    return out


)PY";

}  // namespace

const char* TritonMathHelpersSource() { return kMathHelpers; }

std::string GenerateTritonCandidate(const ElementwiseGraph& graph,
                                    const TritonCodegenOptions& options) {
  int inputs = static_cast<int>(graph.UsedInputs().size());
  int block = options.tunables.block;
  if (options.conservative) block = std::min(block, 256);
  return DocstringSource(graph, "triton_cuda DSL: fused Triton kernels") +
         "import functools\n\nimport torch\nimport torch.nn as nn\nimport triton\n"
         "import triton.language as tl\n\n" +
         fmt::format("BLOCK = {}\nNUM_WARPS = {}\n", block, options.tunables.num_warps) +
         "# True: same-shape contiguous operands take the linear kernel, and contiguous operands\n"
         "# index linearly in the strided one; False sends every operand through its strides.\n" +
         fmt::format("FAST_PATHS = {}\n\n", options.conservative ? "False" : "True") +
         kMathHelpers + "\n" + ExprFunction(graph, inputs) + "\n\n" + LinearKernel(inputs) +
         "\n\n" + StridedKernel(inputs) + "\n\n" + PlanHelpersSource() +
         kTritonLauncher + ModelNewSource(graph);
}

}  // namespace akg
