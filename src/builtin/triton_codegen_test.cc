#include "builtin/triton_codegen.h"

#include <gtest/gtest.h>

#include "builtin/test_graphs.h"

namespace akg {
namespace {

using namespace test_graphs;  // NOLINT: test helpers

std::string Generate(const Json& inspection, const TritonCodegenOptions& options = {}) {
  Result<ElementwiseGraph> g = ParseElementwiseGraph(ParseOpGraph(inspection));
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? GenerateTritonCandidate(*g, options) : "";
}

bool Has(const std::string& text, const std::string& piece) {
  return text.find(piece) != std::string::npos;
}

TEST(TritonCodegenTest, KernelHasConstexprFlagsAndFp32Math) {
  std::string code = Generate(GeluMulAdd({123, 457}));
  EXPECT_TRUE(Has(code, "@triton.jit\ndef _akg_strided_kernel(out_ptr, in0_ptr, in1_ptr, numel"));
  EXPECT_TRUE(Has(code, "FULL0: tl.constexpr, FULL1: tl.constexpr, WIDE: tl.constexpr, "
                        "BLOCK: tl.constexpr"));
  EXPECT_TRUE(Has(code, "@triton.jit\ndef _akg_linear_kernel(out_ptr, in0_ptr, in1_ptr, numel, "
                        "WIDE: tl.constexpr, BLOCK: tl.constexpr):"));
  EXPECT_TRUE(Has(code, "@triton.jit\ndef _akg_expr(v0, v1):"));
  EXPECT_TRUE(Has(code, "tl.program_id(0).to(tl.int64) * BLOCK"));
  EXPECT_TRUE(Has(code, "WIDE=numel + BLOCK >= 2**31"));
  EXPECT_TRUE(Has(code, ".to(tl.float32)"));
  EXPECT_TRUE(Has(code, "tl.math.erf("));
  EXPECT_TRUE(Has(code, ".to(out_ptr.dtype.element_ty)"));
  EXPECT_FALSE(Has(code, "libdevice"));
  EXPECT_FALSE(Has(code, "457"));
}

TEST(TritonCodegenTest, LaunchUsesTheInputsDeviceAndRuntimeFlags) {
  std::string code = Generate(GeluMulAdd({64, 64}));
  EXPECT_TRUE(Has(code, "device=first.device"));
  EXPECT_TRUE(Has(code, "FAST_PATHS and v.is_contiguous()"));
  EXPECT_TRUE(Has(code, "FAST_PATHS = True"));
  EXPECT_TRUE(Has(code, "_akg_linear_kernel[(triton.cdiv(numel, BLOCK),)]("));
  EXPECT_TRUE(Has(code, "_akg_strided_kernel[(triton.cdiv(numel, BLOCK),)]("));
  EXPECT_TRUE(Has(code, "def forward(self, x, y):"));
}

TEST(TritonCodegenTest, TunablesAndConservativeVariant) {
  TritonCodegenOptions options;
  options.tunables = {2048, 8};
  std::string fast = Generate(GeluMulAdd({64, 64}), options);
  EXPECT_TRUE(Has(fast, "BLOCK = 2048\nNUM_WARPS = 8\n"));
  options.conservative = true;
  std::string safe = Generate(GeluMulAdd({64, 64}), options);
  EXPECT_TRUE(Has(safe, "BLOCK = 256\n"));
  EXPECT_TRUE(Has(safe, "FAST_PATHS = False"));
}

TEST(TritonCodegenTest, TanhUsesTheAccurateHelper) {
  std::string code = Generate(Inspection({Input("x", 0, {8}),
                                          Call("t", "aten.tanh.default", {Ref("x")}, {8}),
                                          Output("t")}));
  EXPECT_TRUE(Has(code, "t1 = _akg_tanh(v0)"));
  EXPECT_TRUE(Has(code, "def _akg_expm1(x):"));
}

}  // namespace
}  // namespace akg
