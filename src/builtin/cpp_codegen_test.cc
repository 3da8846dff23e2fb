#include "builtin/cpp_codegen.h"

#include <gtest/gtest.h>

#include "builtin/test_graphs.h"

namespace akg {
namespace {

using namespace test_graphs;  // NOLINT: test helpers

ElementwiseGraph Graph(const Json& inspection) {
  Result<ElementwiseGraph> g = ParseElementwiseGraph(ParseOpGraph(inspection));
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : ElementwiseGraph{};
}

std::string Generate(const Json& inspection, const CppCodegenOptions& options = {}) {
  Result<std::string> code = GenerateCppCandidate(Graph(inspection), options);
  EXPECT_TRUE(code.ok()) << code.status().message();
  return code.ok() ? *code : "";
}

bool Has(const std::string& text, const std::string& piece) {
  return text.find(piece) != std::string::npos;
}

TEST(CppCodegenTest, CandidateHasLoaderCtypesCallAndModelNew) {
  std::string code = Generate(GeluMulAdd({123, 457}));
  EXPECT_TRUE(Has(code, "from akg_harness.native import load_cpp"));
  EXPECT_TRUE(Has(code, "lib = load_cpp(CPP_SOURCE, extra_flags=(\"-ffp-contract=off\",))"));
  EXPECT_TRUE(Has(code, "extern \"C\" void akg_fused_elementwise("));
  EXPECT_TRUE(Has(code, "class ModelNew(nn.Module):"));
  EXPECT_TRUE(Has(code, "def __init__(self, *args, **kwargs):"));
  EXPECT_TRUE(Has(code, "def forward(self, x, y):"));
  EXPECT_TRUE(Has(code, "return _launch([x, y])"));
  EXPECT_TRUE(Has(code, "torch.broadcast_shapes("));
  EXPECT_TRUE(Has(code, "torch.empty(first.shape, dtype=torch.float32)"));
  EXPECT_TRUE(Has(code, "v.data_ptr()"));
}

TEST(CppCodegenTest, KernelVectorisesWithSimdDeclaredLibm) {
  std::string code = Generate(GeluMulAdd({64, 64}));
  EXPECT_TRUE(Has(code, "#pragma omp parallel for schedule(static)"));
  EXPECT_TRUE(Has(code, "#pragma omp simd"));
  EXPECT_TRUE(Has(code, "extern \"C\" float erff(float) noexcept "
                        "__attribute__((simd(\"notinbranch\")));"));
  EXPECT_FALSE(Has(code, "expf(float)"));  // only what the expression calls
  EXPECT_TRUE(Has(code, "StageTile("));
  EXPECT_FALSE(Has(code, "ffast-math"));
}

TEST(CppCodegenTest, ShapesAreNotHardCoded) {
  std::string code = Generate(GeluMulAdd({123, 457}));
  EXPECT_FALSE(Has(code, "457"));
  EXPECT_FALSE(Has(code, "56211"));  // 123 * 457
}

TEST(CppCodegenTest, TunablesReachTheKernel) {
  CppCodegenOptions options;
  options.tunables = {512, "dynamic", 3};
  std::string code = Generate(GeluMulAdd({64, 64}), options);
  EXPECT_TRUE(Has(code, "constexpr int64_t kTile = 512;"));
  EXPECT_TRUE(Has(code, "#pragma omp parallel for schedule(dynamic) num_threads(3)"));
}

TEST(CppCodegenTest, ConservativeVariantUsesScalarLoopsAndPlainLibm) {
  CppCodegenOptions options;
  options.conservative = true;
  std::string code = Generate(GeluMulAdd({64, 64}), options);
  EXPECT_FALSE(Has(code, "omp simd"));
  EXPECT_FALSE(Has(code, "__attribute__((simd"));
  EXPECT_TRUE(Has(code, "#include <math.h>"));
  EXPECT_TRUE(Has(code, "erff("));
  EXPECT_TRUE(Has(code, "[j * stride[3]]"));
}

TEST(CppCodegenTest, ReluKeepsNaN) {
  std::string code = Generate(Inspection({Input("x", 0, {8}),
                                          Call("r", "aten.relu.default", {Ref("x")}, {8}),
                                          Output("r")}));
  EXPECT_TRUE(Has(code, "const float t1 = v0 <= 0.0f ? 0.0f : v0;"));
}

TEST(CppCodegenTest, UnusedArgumentIsAcceptedButNotPassed) {
  std::string code = Generate(Inspection({Input("x", 0, {4}), Input("y", 1, {3}),
                                          Call("r", "aten.relu.default", {Ref("x")}, {4}),
                                          Output("r")}));
  EXPECT_TRUE(Has(code, "def forward(self, x, y):"));
  EXPECT_TRUE(Has(code, "return _launch([x])"));
  EXPECT_TRUE(Has(code, "constexpr int kInputs = 1;"));
}

TEST(CppCodegenTest, UnsafeArgumentNamesAreReplaced) {
  std::string code = Generate(Inspection({Input("lambda", 0, {4}),
                                          Call("r", "aten.relu.default", {Ref("lambda")}, {4}),
                                          Output("r")}));
  EXPECT_TRUE(Has(code, "def forward(self, arg0):"));
}

TEST(CppCodegenTest, HalfPrecisionIsUnsupported) {
  Json inspection = Inspection({Input("x", 0, {4}, "float16"),
                                Call("r", "aten.relu.default", {Ref("x")}, {4}, {}, "float16"),
                                Output("r")});
  Result<std::string> code = GenerateCppCandidate(Graph(inspection), {});
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.status().kind(), ErrorKind::kUnsupported);
  EXPECT_TRUE(Has(code.status().message(), "float32"));
}

}  // namespace
}  // namespace akg
