#include "builtin/kernel_gen.h"

#include <gtest/gtest.h>

#include "builtin/designer.h"
#include "builtin/test_graphs.h"

namespace akg {
namespace {

using namespace test_graphs;  // NOLINT: test helpers

TaskInfo Task(const Json& inspection) {
  TaskInfo task;
  task.name = "t";
  task.inspection = inspection;
  return task;
}

Target WithDsl(const std::string& dsl) { return {"torch", "cpu", "x86_64", dsl}; }

GenRequest Request(const TaskInfo& task, const std::string& dsl, const Design* design = nullptr) {
  GenRequest request;
  request.task = &task;
  request.target = WithDsl(dsl);
  request.design = design;
  return request;
}

TEST(BuiltinKernelGenTest, OtherDslsAreUnsupported) {
  TaskInfo task = Task(GeluMulAdd({8, 8}));
  GenRequest request = Request(task, "tilelang_cuda");
  Result<Candidate> c = BuiltinKernelGen().Generate(request);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kUnsupported);
  EXPECT_NE(c.status().message().find("cpp, triton_cuda and cuda"), std::string::npos);
}

TEST(BuiltinKernelGenTest, DispatchesOnTheDsl) {
  TaskInfo task = Task(GeluMulAdd({8, 8}));
  Result<Candidate> cpp = BuiltinKernelGen().Generate(Request(task, "cpp"));
  Result<Candidate> triton = BuiltinKernelGen().Generate(Request(task, "triton_cuda"));
  ASSERT_TRUE(cpp.ok() && triton.ok());
  EXPECT_NE(cpp->code.find("load_cpp"), std::string::npos);
  EXPECT_NE(triton->code.find("@triton.jit"), std::string::npos);
  EXPECT_NE(cpp->description.find("(gelu(x) * 2) + y"), std::string::npos);
}

TEST(BuiltinKernelGenTest, ReadsTunablesFromTheDesign) {
  TaskInfo task = Task(GeluMulAdd({8, 8}));
  Design design{"", {{"dsl", "cpp"}, {"tunables", {{"tile", 2048}}}}};
  GenRequest request = Request(task, "cpp", &design);
  Result<Candidate> c = BuiltinKernelGen().Generate(request);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_NE(c->code.find("kTile = 2048;"), std::string::npos);
}

TEST(BuiltinKernelGenTest, HintsForAnotherDslAreIgnored) {
  TaskInfo task = Task(GeluMulAdd({8, 8}));
  Design design{"", {{"dsl", "triton_cuda"}, {"tunables", {{"block", 64}}}}};
  Result<Candidate> c = BuiltinKernelGen().Generate(Request(task, "cpp", &design));
  ASSERT_TRUE(c.ok()) << c.status().message();
}

TEST(BuiltinKernelGenTest, BadTunableIsAnError) {
  TaskInfo task = Task(GeluMulAdd({8, 8}));
  Design design{"", {{"dsl", "cpp"}, {"tunables", {{"tile", 1000}}}}};
  Result<Candidate> c = BuiltinKernelGen().Generate(Request(task, "cpp", &design));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("tile=1000"), std::string::npos);
  design.hints["tunables"] = {{"tiles", 64}};
  EXPECT_NE(BuiltinKernelGen().Generate(Request(task, "cpp", &design))
                .status().message().find("unknown cpp tunable 'tiles'"),
            std::string::npos);
}

TEST(BuiltinKernelGenTest, FailedAttemptLeadsToTheConservativeVariant) {
  TaskInfo task = Task(GeluMulAdd({8, 8}));
  for (const char* dsl : {"cpp", "triton_cuda"}) {
    GenRequest request = Request(task, dsl);
    request.attempt = 2;
    Feedback failed;
    failed.verdict = "wrong_answer";
    failed.message = "mismatch";
    request.history.push_back(failed);
    Result<Candidate> c = BuiltinKernelGen().Generate(request);
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_NE(c->description.find("conservative variant after wrong_answer"), std::string::npos)
        << c->description;
  }
}

TEST(BuiltinKernelGenTest, UnsupportedOperatorNamesIt) {
  TaskInfo task = Task(Inspection({Input("x", 0, {4}),
                                   Call("s", "aten.sort.default", {Ref("x"), -1}, {4}),
                                   Output("s")}));
  Result<Candidate> c = BuiltinKernelGen().Generate(Request(task, "cpp"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("aten.sort.default"), std::string::npos);
}

TEST(BuiltinDesignerTest, SketchCountsTrafficAgainstEager) {
  TaskInfo task = Task(GeluMulAdd({4096, 4096}));
  Result<Design> d = BuiltinDesigner().MakeDesign({&task, WithDsl("cpp")});
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_NE(d->sketch.find("`out = (gelu(x) * 2) + y`"), std::string::npos);
  EXPECT_NE(d->sketch.find("Eager: 3 kernels read 256.0 MiB and write 192.0 MiB"),
            std::string::npos) << d->sketch;
  EXPECT_NE(d->sketch.find("reads 128.0 MiB and writes 64.0 MiB"), std::string::npos);
  EXPECT_NE(d->sketch.find("2.33x fewer bytes"), std::string::npos);
  EXPECT_NE(d->sketch.find("tile = 1024"), std::string::npos);
  EXPECT_NE(d->sketch.find("Its libm calls (erff) are declared"), std::string::npos);
  EXPECT_EQ(d->hints["dsl"], "cpp");
  EXPECT_EQ(d->hints["tunables"]["tile"], 1024);
  EXPECT_EQ(d->hints["eager_kernels"], 3);
}

TEST(BuiltinDesignerTest, TritonDesignCarriesTritonTunables) {
  TaskInfo task = Task(GeluMulAdd({4096, 4096}));
  Result<Design> d = BuiltinDesigner().MakeDesign({&task, WithDsl("triton_cuda")});
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->hints["tunables"]["block"], 1024);
  EXPECT_EQ(d->hints["tunables"]["num_warps"], 4);
  EXPECT_NE(d->sketch.find("FULL<k>"), std::string::npos);
}

TEST(BuiltinDesignerTest, RejectsWhatKernelGenCannotWrite) {
  TaskInfo task = Task(GeluMulAdd({8}));
  EXPECT_EQ(BuiltinDesigner().MakeDesign({&task, WithDsl("tilelang_cuda")}).status().kind(),
            ErrorKind::kUnsupported);
}

}  // namespace
}  // namespace akg
