// The CUDA C emitter: what each plan kind's code holds, and that nvcc (when installed) compiles
// every one of them for sm_90, as load_cuda would.
#include "builtin/plan_cuda.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "builtin/kernel_gen.h"
#include "builtin/plan.h"
#include "builtin/test_graphs.h"
#include "env/process_runner.h"

namespace akg {
namespace {

using namespace test_graphs;
namespace fs = std::filesystem;

const char* kLayerNormTask = R"PY(import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln = nn.LayerNorm(d)

    def forward(self, x):
        return self.ln(x)
)PY";

const char* kLinearTask = R"PY(import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.fc = nn.Linear(d_in, d_out)

    def forward(self, x):
        return torch.relu(self.fc(x))
)PY";

KernelProgram Plan(const Json& inspection) {
  Result<KernelProgram> p = PlanProgram(ParseOpGraph(inspection));
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : KernelProgram();
}

std::string Emit(const Json& inspection, const std::string& task = "", bool conservative = false) {
  PlanEmitOptions o;
  o.task_source = task;
  o.conservative = conservative;
  Result<std::string> code = EmitCudaProgram(Plan(inspection), o);
  EXPECT_TRUE(code.ok()) << code.status().message();
  return code.ok() ? *code : "";
}

// The CUDA_SOURCE string of a candidate.
std::string CudaSource(const std::string& code) {
  const std::string open = "CUDA_SOURCE = r'''\n";
  size_t begin = code.find(open);
  if (begin == std::string::npos) return "";
  begin += open.size();
  return code.substr(begin, code.find("'''", begin) - begin);
}

bool HaveNvcc() { return access("/usr/local/cuda/bin/nvcc", X_OK) == 0; }

// nvcc's verdict on the candidate's CUDA source: "" when it compiles, else its output.
std::string Nvcc(const std::string& code, const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("akg_plan_cuda_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  fs::path src = dir / (name + ".cu");
  std::ofstream(src) << CudaSource(code);
  ProcessSpec spec;
  spec.argv = {"/usr/local/cuda/bin/nvcc", "-O3", "-shared", "-Xcompiler", "-fPIC", "-arch=sm_90",
               src.string(), "-o", (dir / (name + ".so")).string()};
  spec.env = ScrubbedEnvironment({"PATH", "HOME", "TMPDIR"});
  spec.timeout_s = 300;
  ProcessResult r = PosixProcessRunner().Run(spec);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r.exit_code == 0 ? "" : r.stdout_text + r.stderr_text + " (" + r.Describe() + ")";
}

Json Softmax() {
  return Inspection({Input("x", 0, {16, 100}),
                     Call("s", "aten.softmax.int", {Ref("x"), -1}, {16, 100}), Output("s")});
}
Json SumLastDim() {
  return Inspection({Input("x", 0, {4, 4096}),
                     Call("s", "aten.sum.dim_IntList", {Ref("x"), Json::array({-1})}, {4}),
                     Output("s")});
}
Json MeanMiddleDim() {
  return Inspection({Input("x", 0, {8, 64, 32}),
                     Call("m", "aten.mean.dim", {Ref("x"), Json::array({1})}, {8, 32}),
                     Output("m")});
}
Json ArgmaxLastDim() {
  return Inspection({Input("x", 0, {16, 100}),
                     Call("a", "aten.argmax.default", {Ref("x"), -1}, {16}, Json::object(), "int64"),
                     Output("a")});
}
Json Cumsum() {
  return Inspection({Input("x", 0, {16, 300}),
                     Call("c", "aten.cumsum.default", {Ref("x"), 1}, {16, 300}), Output("c")});
}
Json LayerNorm() {
  return Inspection({Param("ln.weight", {64}), Param("ln.bias", {64}), Input("x", 0, {8, 64}),
                     Call("ln", "aten.layer_norm.default",
                          {Ref("x"), Json::array({64}), Ref("ln.weight"), Ref("ln.bias")}, {8, 64}),
                     Output("ln")});
}
Json LinearRelu() {
  return Inspection({Param("fc.weight", {64, 32}), Param("fc.bias", {64}), Input("x", 0, {8, 32}),
                     Call("linear", "aten.linear.default",
                          {Ref("x"), Ref("fc.weight"), Ref("fc.bias")}, {8, 64}),
                     Call("relu", "aten.relu.default", {Ref("linear")}, {8, 64}),
                     Output("relu")});
}
Json MaxPoolRelu() {
  return Inspection({Input("x", 0, {2, 3, 16, 16}),
                     Call("p", "aten.max_pool2d.default", {Ref("x"), Json::array({3, 3}),
                                                           Json::array({2, 2}), Json::array({1, 1})},
                          {2, 3, 8, 8}),
                     Call("r", "aten.relu.default", {Ref("p")}, {2, 3, 8, 8}), Output("r")});
}
Json Conv2d() {
  return Inspection({Input("x", 0, {1, 3, 8, 8}), Param("conv.weight", {4, 3, 3, 3}),
                     Call("c", "aten.conv2d.default", {Ref("x"), Ref("conv.weight")}, {1, 4, 6, 6}),
                     Output("c")});
}

TEST(PlanCudaTest, PointwiseIsAGridStrideLoopWithAFloat4Variant) {
  std::string code = Emit(GeluMulAdd({8, 64}));
  EXPECT_NE(code.find("__global__ void __launch_bounds__(1024) akg0_pointwise("), std::string::npos);
  EXPECT_NE(code.find("akg0_pointwise_vec("), std::string::npos);
  EXPECT_NE(code.find("reinterpret_cast<const float4*>"), std::string::npos);
  EXPECT_NE(code.find("erff("), std::string::npos);  // torch's exact gelu, not tanh's
  EXPECT_NE(code.find("from akg_harness.native import load_cuda"), std::string::npos);
  EXPECT_NE(code.find("_LIB = _load()"), std::string::npos);  // nvcc runs at import (build)
  EXPECT_NE(code.find("torch.cuda.current_stream().cuda_stream"), std::string::npos);
}

TEST(PlanCudaTest, RowLaunchesHaveBlockThreadAndSplitSchedules) {
  std::string sum = Emit(SumLastDim());
  for (const char* k : {"akg0_block(", "akg0_block_vec(", "akg0_thread(", "akg0_part(", "akg0_finish("}) {
    EXPECT_NE(sum.find(k), std::string::npos) << k;
  }
  EXPECT_NE(sum.find("akg_block_reduce<0>"), std::string::npos);
  // A two-stage normalize is not split (its second stage reads the first's result).
  std::string softmax = Emit(Softmax());
  EXPECT_EQ(softmax.find("akg0_part("), std::string::npos);
  EXPECT_NE(softmax.find("akg_block_reduce<2>"), std::string::npos);  // the max
  EXPECT_NE(softmax.find("akg_block_reduce<0>"), std::string::npos);  // the sum
}

TEST(PlanCudaTest, ArgReductionsAndScansUseTheirBlockPrimitives) {
  std::string arg = Emit(ArgmaxLastDim());
  EXPECT_NE(arg.find("akg_block_arg<true>"), std::string::npos);
  EXPECT_NE(arg.find("dtype=torch.int64"), std::string::npos);
  std::string scan = Emit(Cumsum());
  EXPECT_NE(scan.find("akg_block_scan<0>"), std::string::npos);
  EXPECT_EQ(scan.find("akg0_block_vec("), std::string::npos);  // a scan keeps scalar loads
}

TEST(PlanCudaTest, ConservativeVariantTurnsOffFloat4AndSplits) {
  std::string code = Emit(SumLastDim(), "", true);
  EXPECT_NE(code.find("vec = False and"), std::string::npos);
  EXPECT_NE(code.find("splits = _splits(rows, red) if False"), std::string::npos);
}

TEST(PlanCudaTest, MatmulIsTiledFmaWithItsEpilogue) {
  std::string code = Emit(LinearRelu(), kLinearTask);
  EXPECT_NE(code.find("akg0_mm<128, 128, 8, 8>"), std::string::npos);
  EXPECT_NE(code.find("akg0_mm<64, 64, 4, 4>"), std::string::npos);
  EXPECT_NE(code.find("fmaf(ar[i], br[j], acc[i][j])"), std::string::npos);
  EXPECT_EQ(code.find("wmma"), std::string::npos);  // float32 stays off the tensor cores
  EXPECT_NE(code.find("<= 0.0f ? 0.0f"), std::string::npos);  // relu in the epilogue
  EXPECT_NE(code.find("def __init__(self, d_in, d_out):"), std::string::npos);
}

TEST(PlanCudaTest, ConvIsDeclinedNamingThePlan) {
  Result<std::string> code = EmitCudaProgram(Plan(Conv2d()), {});
  ASSERT_FALSE(code.ok());
  EXPECT_EQ(code.status().kind(), ErrorKind::kUnsupported);
  EXPECT_NE(code.status().message().find("conv plan"), std::string::npos);
}

TEST(PlanCudaTest, BuiltinKernelGenWritesCudaForEveryTaskThroughPlans) {
  TaskInfo task;
  task.inspection = GeluMulAdd({8, 8});
  task.graph = MakeOpGraph(task.inspection);
  GenRequest request;
  request.task = &task;
  request.target = {"torch", "cuda", "h100", "cuda"};
  Result<Candidate> c = BuiltinKernelGen().Generate(request);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_NE(c->code.find("load_cuda"), std::string::npos);
  EXPECT_NE(c->description.find("builtin kernel plan (cuda)"), std::string::npos);
}

// The real compiler on every plan kind the emitter writes: a generated program that nvcc
// rejects fails here, not on the GPU.
TEST(PlanCudaTest, NvccCompilesEveryPlanKind) {
  if (!HaveNvcc()) GTEST_SKIP() << "no nvcc at /usr/local/cuda/bin/nvcc";
  struct Case {
    const char* name;
    Json graph;
    const char* task;
  };
  std::vector<Case> cases = {
      {"pointwise", GeluMulAdd({8, 64}), ""}, {"softmax", Softmax(), ""},
      {"sum", SumLastDim(), ""},              {"mean_mid", MeanMiddleDim(), ""},
      {"argmax", ArgmaxLastDim(), ""},        {"cumsum", Cumsum(), ""},
      {"layer_norm", LayerNorm(), kLayerNormTask}, {"linear_relu", LinearRelu(), kLinearTask},
      {"max_pool", MaxPoolRelu(), ""},
  };
  for (const Case& c : cases) {
    std::string code = Emit(c.graph, c.task);
    ASSERT_FALSE(CudaSource(code).empty()) << c.name;
    EXPECT_EQ(Nvcc(code, c.name), "") << c.name;
  }
}

}  // namespace
}  // namespace akg
