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

std::string KernelSignature(int inputs) {
  std::string s = "def _akg_fused_kernel(out_ptr";
  for (int k = 0; k < inputs; ++k) s += fmt::format(", in{}_ptr", k);
  s += ", numel, size1, size2, size3";
  for (int k = 0; k < inputs; ++k) {
    s += fmt::format(",\n                      st{0}_0, st{0}_1, st{0}_2, st{0}_3", k);
  }
  s += ",\n                      ";
  for (int k = 0; k < inputs; ++k) s += fmt::format("FULL{}: tl.constexpr, ", k);
  return s + "BLOCK: tl.constexpr):\n";
}

std::string KernelLoads(int inputs) {
  std::string s;
  for (int k = 0; k < inputs; ++k) {
    s += fmt::format(
        "    if FULL{0}:\n"
        "        off{0} = offs\n"
        "    else:\n"
        "        off{0} = i0 * st{0}_0 + i1 * st{0}_1 + i2 * st{0}_2 + i3 * st{0}_3\n"
        "    v{0} = tl.load(in{0}_ptr + off{0}, mask=mask, other=0.0).to(tl.float32)\n", k);
  }
  return s;
}

std::string KernelSource(const ElementwiseGraph& graph, int inputs) {
  std::vector<int> used = graph.UsedInputs();
  EmittedExpr expr = EmitExpression(graph, EmitDsl::kTriton, [&](int input) {
    int k = static_cast<int>(std::find(used.begin(), used.end(), input) - used.begin());
    return fmt::format("v{}", k);
  });
  std::string body;
  for (const std::string& line : expr.lines) body += "    " + line + "\n";
  return "@triton.jit\n" + KernelSignature(inputs) +
         "    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)\n"
         "    mask = offs < numel\n"
         "    # Index of each element in the 4-d (coalesced, broadcast) output; only operands\n"
         "    # that are not contiguous with the output use it.\n"
         "    i3 = offs % size3\n"
         "    rest = offs // size3\n"
         "    i2 = rest % size2\n"
         "    rest = rest // size2\n"
         "    i1 = rest % size1\n"
         "    i0 = rest // size1\n" +
         KernelLoads(inputs) + body +
         "    tl.store(out_ptr + offs, (" + expr.result +
         ").to(out_ptr.dtype.element_ty), mask=mask)\n";
}

constexpr const char* kTritonLauncher = R"PY(

_FLOAT_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


def _launch(operands):
    for t in operands:
        if t.dtype not in _FLOAT_DTYPES:
            raise TypeError(f"this kernel takes float32/float16/bfloat16 tensors, not {t.dtype}")
    shape = torch.broadcast_shapes(*[t.shape for t in operands])
    dtype = functools.reduce(torch.promote_types, [t.dtype for t in operands])
    out = torch.empty(shape, dtype=dtype, device=operands[0].device)
    numel = out.numel()
    if numel == 0:
        return out
    views, sizes, strides = _plan(operands, shape)
    flags = {f"FULL{k}": FAST_PATHS and v.is_contiguous() for k, v in enumerate(views)}
    grid = (triton.cdiv(numel, BLOCK),)
    _akg_fused_kernel[grid](out, *views, numel, *sizes[1:],
                            *[s for st in strides for s in st],
                            BLOCK=BLOCK, num_warps=NUM_WARPS, **flags)
    return out


)PY";

}  // namespace

std::string GenerateTritonCandidate(const ElementwiseGraph& graph,
                                    const TritonCodegenOptions& options) {
  int inputs = static_cast<int>(graph.UsedInputs().size());
  int block = options.tunables.block;
  if (options.conservative) block = std::min(block, 256);
  return DocstringSource(graph, "triton_cuda DSL: one fused Triton kernel") +
         "import functools\n\nimport torch\nimport torch.nn as nn\nimport triton\n"
         "import triton.language as tl\n\n" +
         fmt::format("BLOCK = {}\nNUM_WARPS = {}\n", block, options.tunables.num_warps) +
         "# Contiguous operands index linearly; False sends every operand through its strides.\n" +
         fmt::format("FAST_PATHS = {}\n\n", options.conservative ? "False" : "True") +
         kMathHelpers + "\n" + KernelSource(graph, inputs) + "\n\n" + PlanHelpersSource() +
         kTritonLauncher + ModelNewSource(graph);
}

}  // namespace akg
