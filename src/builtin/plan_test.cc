#include "builtin/plan.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "builtin/plan_dag.h"
#include "builtin/plan_emit.h"
#include "builtin/plan_tunables.h"
#include "builtin/test_graphs.h"

namespace akg {
namespace {

using namespace test_graphs;

const char* kLinearTask = R"PY(import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, d_in, d_out):
        super(Model, self).__init__()
        self.fc = nn.Linear(d_in, d_out)

    def forward(self, x):
        return torch.relu(self.fc(x))


def get_inputs():
    return [torch.randn(8, 32)]


def get_init_inputs():
    return [32, 64]
)PY";

KernelProgram Plan(const Json& inspection) {
  Result<KernelProgram> p = PlanProgram(ParseOpGraph(inspection));
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : KernelProgram();
}

Json Softmax() {
  return Inspection({Input("x", 0, {16, 100}),
                     Call("s", "aten.softmax.int", {Ref("x"), -1}, {16, 100}), Output("s")});
}

Json LinearRelu() {
  return Inspection({Param("fc.weight", {64, 32}), Param("fc.bias", {64}), Input("x", 0, {8, 32}),
                     Call("linear", "aten.linear.default",
                          {Ref("x"), Ref("fc.weight"), Ref("fc.bias")}, {8, 64}),
                     Call("relu", "aten.relu.default", {Ref("linear")}, {8, 64}),
                     Output("relu")});
}

TEST(PlanTest, SoftmaxIsOneNormalizeLaunchOfTwoStages) {
  KernelProgram p = Plan(Softmax());
  ASSERT_EQ(p.launches.size(), 1u);
  const Launch& l = p.launches[0];
  EXPECT_EQ(l.kind, PlanKind::kRow);
  EXPECT_TRUE(l.row.full_output);
  EXPECT_EQ(l.row.stages, 2);
  EXPECT_EQ(l.row.axis_begin, 1);
  EXPECT_EQ(l.row.axis_end, 2);
  EXPECT_EQ(l.operands.size(), 1u);
}

TEST(PlanTest, SumIsAReduceWithItsShape) {
  KernelProgram p = Plan(Inspection({Input("x", 0, {4, 6, 5}),
                                     Call("s", "aten.sum.dim_IntList", {Ref("x"), {1}, true},
                                          {4, 1, 5}),
                                     Output("s")}));
  ASSERT_EQ(p.launches.size(), 1u);
  const RowPlan& r = p.launches[0].row;
  EXPECT_FALSE(r.full_output);
  EXPECT_TRUE(r.keepdim);
  EXPECT_EQ(r.stages, 1);
  EXPECT_EQ(r.axis_begin, 1);
  EXPECT_EQ(r.axis_end, 2);
}

TEST(PlanTest, ArgmaxGivesAnInt64Result) {
  KernelProgram p = Plan(Inspection({Input("x", 0, {4, 6}),
                                     Call("a", "aten.argmax.default", {Ref("x"), 1}, {4}, Json::object(),
                                          "int64"),
                                     Output("a")}));
  ASSERT_EQ(p.launches.size(), 1u);
  EXPECT_EQ(p.launches[0].output_dtype, "int64");
}

TEST(PlanTest, LinearReluIsAMatmulWithItsEpilogue) {
  KernelProgram p = Plan(LinearRelu());
  ASSERT_EQ(p.launches.size(), 1u);
  const Launch& l = p.launches[0];
  EXPECT_EQ(l.kind, PlanKind::kMatmul);
  EXPECT_EQ(l.mm.m, 8);
  EXPECT_EQ(l.mm.n, 64);
  EXPECT_EQ(l.mm.k, 32);
  ASSERT_EQ(l.operands.size(), 3u);  // x, the weight (transposed view), the bias
  EXPECT_EQ(l.operands[1].path, "fc.weight");
  ASSERT_EQ(l.operands[1].views.size(), 1u);
  EXPECT_EQ(l.operands[1].views[0].kind, PlanView::Kind::kTranspose);
  EXPECT_EQ(ProgramStatePaths(p), (std::vector<std::string>{"fc.weight", "fc.bias"}));
}

TEST(PlanTest, AReductionAfterAMatmulIsASecondLaunch) {
  Json g = Inspection({Input("a", 0, {8, 16}), Input("b", 1, {16, 4}),
                       Call("mm", "aten.mm.default", {Ref("a"), Ref("b")}, {8, 4}),
                       Call("s", "aten.sum.dim_IntList", {Ref("mm"), {1}}, {8}), Output("s")});
  KernelProgram p = Plan(g);
  ASSERT_EQ(p.launches.size(), 2u);
  EXPECT_EQ(p.launches[0].kind, PlanKind::kMatmul);
  EXPECT_EQ(p.launches[1].kind, PlanKind::kRow);
  EXPECT_EQ(p.launches[1].operands[0].kind, PlanOperand::Kind::kIntermediate);
  EXPECT_EQ(p.launches[1].operands[0].index, 0);
}

TEST(PlanTest, LayerNormReadsItsParameters) {
  Json g = Inspection({Param("ln.weight", {16}), Param("ln.bias", {16}), Input("x", 0, {4, 16}),
                       Call("ln", "aten.layer_norm.default",
                            {Ref("x"), {16}, Ref("ln.weight"), Ref("ln.bias"), 1e-5, false}, {4, 16}),
                       Output("ln")});
  KernelProgram p = Plan(g);
  ASSERT_EQ(p.launches.size(), 1u);
  EXPECT_EQ(p.launches[0].row.stages, 2);
  EXPECT_EQ(p.launches[0].operands.size(), 3u);
}

TEST(PlanTest, ReductionsOverOtherDomainsAreSeparateLaunches) {
  // sum over dim 1 plus amax over dim 0, broadcast back: two reductions, two domains.
  Json g = Inspection({Input("x", 0, {4, 6}),
                       Call("s", "aten.sum.dim_IntList", {Ref("x"), {1}, true}, {4, 1}),
                       Call("m", "aten.amax.default", {Ref("x"), {0}, true}, {1, 6}),
                       Call("add", "aten.add.Tensor", {Ref("s"), Ref("m")}, {4, 6}), Output("add")});
  KernelProgram p = Plan(g);
  EXPECT_EQ(p.launches.size(), 2u);
}

TEST(PlanTest, UnplannedOperatorsAreNamed) {
  Json g = Inspection({Input("x", 0, {2, 3, 8, 8}),
                       Call("s", "aten.sort.default", {Ref("x")}, {2, 3, 8, 8}), Output("s")});
  Result<KernelProgram> p = PlanProgram(ParseOpGraph(g));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().kind(), ErrorKind::kUnsupported);
  EXPECT_NE(p.status().message().find("aten.sort.default"), std::string::npos);
}

TEST(PlanEmitTest, TritonHasAKernelAndLauncherPerLaunch) {
  KernelProgram p = Plan(Softmax());
  Result<std::string> code = EmitTritonProgram(p, {});
  ASSERT_TRUE(code.ok()) << code.status().message();
  EXPECT_NE(code->find("def _akg0_kernel("), std::string::npos);
  EXPECT_NE(code->find("def _launch0(ops):"), std::string::npos);
  EXPECT_NE(code->find("if SINGLE:"), std::string::npos);
  EXPECT_NE(code->find("v0 = _launch0([x])"), std::string::npos);
  EXPECT_NE(code->find("def __init__(self, *args, **kwargs):"), std::string::npos);
}

TEST(PlanEmitTest, MatmulKeepsFloat32AndCopiesTheInit) {
  KernelProgram p = Plan(LinearRelu());
  PlanEmitOptions o;
  o.task_source = kLinearTask;
  Result<std::string> code = EmitTritonProgram(p, o);
  ASSERT_TRUE(code.ok()) << code.status().message();
  // float32 products: exact ieee by default, three TF32 passes when the tunables say so
  EXPECT_NE(code->find("input_precision=\"ieee\""), std::string::npos);
  EXPECT_NE(code->find("F32=f32"), std::string::npos);
  o.tunables = DefaultPlanTunables(p).value;
  o.tunables["launches"][0]["dot"] = "tf32x3";
  Result<std::string> three = EmitTritonProgram(p, o);
  ASSERT_TRUE(three.ok()) << three.status().message();
  EXPECT_NE(three->find("input_precision=\"tf32x3\""), std::string::npos);
  EXPECT_EQ(three->find("\"ieee\""), std::string::npos);
  o.tunables = Json();
  EXPECT_NE(code->find("def __init__(self, d_in, d_out):"), std::string::npos);
  EXPECT_NE(code->find("super().__init__()"), std::string::npos);
  EXPECT_EQ(code->find("super(Model, self)"), std::string::npos);
  EXPECT_NE(code->find("self.fc.weight.transpose(-1, -2)"), std::string::npos);
  Result<std::string> cpp = EmitCppProgram(p, o);
  ASSERT_TRUE(cpp.ok()) << cpp.status().message();
  EXPECT_NE(cpp->find("extern \"C\" void akg_launch0("), std::string::npos);
}

TEST(PlanEmitTest, ParametersWithoutAnInitAreAnError) {
  Result<std::string> code = EmitCppProgram(Plan(LinearRelu()), {});
  ASSERT_FALSE(code.ok());
  EXPECT_NE(code.status().message().find("__init__"), std::string::npos);
}

TEST(PlanTunablesTest, VersionedRangedAndMutable) {
  KernelProgram p = Plan(LinearRelu());
  PlanTunables t = DefaultPlanTunables(p);
  EXPECT_EQ(t.value["version"], kPlanTunablesVersion);
  ASSERT_TRUE(PlanTunablesFromJson(p, t.value).ok());
  Json bad = t.value;
  bad["launches"][0]["bm"] = 100;
  EXPECT_FALSE(PlanTunablesFromJson(p, bad).ok());
  bad = t.value;
  bad["version"] = 99;
  EXPECT_FALSE(PlanTunablesFromJson(p, bad).ok());
  std::string what;
  PlanTunables m = MutateTunables(t, 7, &what);
  EXPECT_NE(m.value, t.value);
  EXPECT_FALSE(what.empty());
  EXPECT_TRUE(PlanTunablesFromJson(p, m.value).ok());
}

TEST(PlanTunablesTest, DotPrecisionPerKind) {
  // plain TF32 fails float32's tolerance (measured on an H200), so it is not in the space
  KernelProgram mm = Plan(LinearRelu());
  PlanTunables t = DefaultPlanTunables(mm);
  EXPECT_EQ(t.value["launches"][0]["dot"], kDefaultMatmulDot);
  Json j = t.value;
  j["launches"][0]["dot"] = "ieee";
  EXPECT_TRUE(PlanTunablesFromJson(mm, j).ok());
  j["launches"][0]["dot"] = "tf32";
  Result<PlanTunables> bad = PlanTunablesFromJson(mm, j);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("dot=\"tf32\" is not an allowed value"), std::string::npos);
  // mutation walks the string-valued key too, and stays inside the space
  std::set<std::string> seen;
  for (uint64_t seed = 1; seed < 200; ++seed) {
    PlanTunables m = MutateTunables(t, seed, nullptr);
    seen.insert(m.value["launches"][0]["dot"].get<std::string>());
    ASSERT_TRUE(PlanTunablesFromJson(mm, m.value).ok()) << m.value.dump();
  }
  EXPECT_EQ(seen, (std::set<std::string>{"ieee", "tf32x3"}));
}

}  // namespace
}  // namespace akg

namespace akg {
namespace {

TEST(PlanTest, FlippedCumsumIsOneReverseScan) {
  Json g = Inspection({Input("x", 0, {4, 9}),
                       Call("f", "aten.flip.default", {Ref("x"), {1}}, {4, 9}),
                       Call("c", "aten.cumsum.default", {Ref("f"), 1}, {4, 9}),
                       Call("g", "aten.flip.default", {Ref("c"), {1}}, {4, 9}), Output("g")});
  KernelProgram p = Plan(g);
  ASSERT_EQ(p.launches.size(), 1u);
  EXPECT_TRUE(p.launches[0].row.full_output);
  RowSchedule s = ScheduleRow(p.launches[0]);
  EXPECT_TRUE(s.has_scan);
  EXPECT_TRUE(s.scan_reverse);
  Result<std::string> code = EmitTritonProgram(p, {});
  ASSERT_TRUE(code.ok()) << code.status().message();
  EXPECT_NE(code->find("tl.cumsum("), std::string::npos);
  Result<std::string> cpp = EmitCppProgram(p, {});
  ASSERT_TRUE(cpp.ok()) << cpp.status().message();
  EXPECT_NE(cpp->find("for (int64_t r = R - 1; r >= 0; --r)"), std::string::npos);
}

TEST(PlanTest, AFlipAloneIsDeclined) {
  Json g = Inspection({Input("x", 0, {4, 9}),
                       Call("f", "aten.flip.default", {Ref("x"), {1}}, {4, 9}), Output("f")});
  Result<KernelProgram> p = PlanProgram(ParseOpGraph(g));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("flip"), std::string::npos);
}

}  // namespace
}  // namespace akg

namespace akg {
namespace {

using namespace test_graphs;

Json MaxPoolRelu() {
  return Inspection({Input("x", 0, {2, 3, 9, 10}),
                     Call("p", "aten.max_pool2d.default", {Ref("x"), {3, 3}, {2, 2}, {1, 1}},
                          {2, 3, 5, 5}),
                     Call("r", "aten.relu.default", {Ref("p")}, {2, 3, 5, 5}), Output("r")});
}

TEST(PoolPlanTest, MaxPoolWithAnEpilogueIsOnePoolLaunch) {
  KernelProgram p = PlanProgram(ParseOpGraph(MaxPoolRelu())).value();
  ASSERT_EQ(p.launches.size(), 1u);
  const Launch& l = p.launches[0];
  EXPECT_EQ(l.kind, PlanKind::kPool);
  EXPECT_TRUE(l.pool.max);
  EXPECT_EQ(l.pool.dims, 2);
  EXPECT_EQ(l.pool.kernel, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(l.pool.stride, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(l.pool.padding, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(l.pool.dilation, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(l.out.shape, (std::vector<int64_t>{2, 3, 5, 5}));
  EXPECT_EQ(l.operands.size(), 1u);
  EXPECT_NE(DescribeLaunch(l).find("pool: max 2-d window [3, 3]"), std::string::npos);
  Result<std::string> triton = EmitTritonProgram(p, {});
  ASSERT_TRUE(triton.ok()) << triton.status().message();
  EXPECT_NE(triton->find("acc = _akg_max(acc, v)"), std::string::npos);
  EXPECT_NE(triton->find("def _pool_shape("), std::string::npos);
  EXPECT_NE(triton->find("_pool_shape(x.shape, (3, 3), (2, 2), (1, 1), (1, 1), False)"),
            std::string::npos);
  Result<std::string> cpp = EmitCppProgram(p, {});
  ASSERT_TRUE(cpp.ok()) << cpp.status().message();
  EXPECT_NE(cpp->find("if (v != v || v > acc) acc = v;"), std::string::npos);  // NaN wins
  EXPECT_NE(cpp->find("\"akg_launch0\": [ctypes.c_void_p] * 7"), std::string::npos);
}

TEST(PoolPlanTest, AveragePoolShapesFollowTorch) {
  // avg_pool3d(k=3, s=2, ceil_mode): 8 -> 4 (the last window starts inside), 15 -> 7, 16 -> 8.
  Json g = Inspection({Input("x", 0, {2, 3, 8, 15, 16}),
                       Call("p", "aten.avg_pool3d.default", {Ref("x"), {3, 3, 3}, {2, 2, 2},
                                                             {0, 0, 0}, true},
                            {2, 3, 4, 7, 8}),
                       Output("p")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 1u);
  EXPECT_EQ(p.launches[0].out.shape, (std::vector<int64_t>{2, 3, 4, 7, 8}));
  EXPECT_FALSE(p.launches[0].pool.max);
  EXPECT_TRUE(p.launches[0].pool.ceil_mode);
  EXPECT_TRUE(p.launches[0].pool.count_include_pad);
  PoolPlan one;
  one.dims = 1;
  one.kernel = {4};
  one.stride = {2};
  one.padding = {1};
  one.dilation = {3};
  EXPECT_EQ(PoolShape(one, {5, 20}).value(), (std::vector<int64_t>{5, 7}));  // (20+2-9-1)/2+1
  one.kernel = {30};
  one.dilation = {1};
  EXPECT_FALSE(PoolShape(one, {5, 20}).ok());
  Result<std::string> triton = EmitTritonProgram(p, {});
  ASSERT_TRUE(triton.ok()) << triton.status().message();
  EXPECT_NE(triton->find("acc = acc / div"), std::string::npos);
}

TEST(PoolPlanTest, AdaptiveAverageToOneIsAMeanAndOtherSizesAreDeclined) {
  Json one = Inspection({Input("x", 0, {2, 3, 9, 10}),
                         Call("p", "aten.adaptive_avg_pool2d.default", {Ref("x"), {1, 1}},
                              {2, 3, 1, 1}),
                         Output("p")});
  KernelProgram p = PlanProgram(ParseOpGraph(one)).value();
  ASSERT_EQ(p.launches.size(), 1u);
  EXPECT_EQ(p.launches[0].kind, PlanKind::kRow);
  EXPECT_TRUE(p.launches[0].row.keepdim);
  Json other = Inspection({Input("x", 0, {2, 3, 9, 10}),
                           Call("p", "aten.adaptive_avg_pool2d.default", {Ref("x"), {3, 3}},
                                {2, 3, 3, 3}),
                           Output("p")});
  Result<KernelProgram> declined = PlanProgram(ParseOpGraph(other));
  ASSERT_FALSE(declined.ok());
  EXPECT_NE(declined.status().message().find("output size 1"), std::string::npos);
}

TEST(PoolPlanTest, APoolOfAComputedValueReadsAnIntermediate) {
  Json g = Inspection({Input("x", 0, {2, 3, 8}),
                       Call("t", "aten.tanh.default", {Ref("x")}, {2, 3, 8}),
                       Call("p", "aten.max_pool1d.default", {Ref("t"), {2}}, {2, 3, 4}),
                       Output("p")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 2u);
  EXPECT_EQ(p.launches[0].kind, PlanKind::kPointwise);
  EXPECT_EQ(p.launches[1].kind, PlanKind::kPool);
  EXPECT_EQ(p.launches[1].operands[0].kind, PlanOperand::Kind::kIntermediate);
  EXPECT_EQ(p.launches[1].pool.stride, (std::vector<int64_t>{2}));  // the kernel's, by default
}

}  // namespace
}  // namespace akg

namespace akg {
namespace {

using namespace test_graphs;

TEST(NnPlanTest, TrainingBatchNormTakesStatisticsInTwoLevelsThenOnePointwisePass) {
  Json g = Inspection({Param("bn.weight", {8}), Param("bn.bias", {8}), Buffer("bn.running_mean", {8}),
                       Buffer("bn.running_var", {8}), Input("x", 0, {4, 8, 5, 6}),
                       Call("y", "aten.batch_norm.default",
                            {Ref("x"), Ref("bn.weight"), Ref("bn.bias"), Ref("bn.running_mean"),
                             Ref("bn.running_var"), true, 0.1, 1e-5, false},
                            {4, 8, 5, 6}),
                       Output("y")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 5u);  // mean per (n, c), over n; centred squares, over n; y
  EXPECT_EQ(p.launches[0].kind, PlanKind::kRow);
  EXPECT_EQ(p.launches[1].kind, PlanKind::kRow);
  EXPECT_EQ(p.launches.back().kind, PlanKind::kPointwise);
  EXPECT_EQ(p.launches.back().out.shape, (std::vector<int64_t>{4, 8, 5, 6}));
  // Evaluation mode reads the running statistics: one launch.
  Json eval = g;
  eval["graph"]["nodes"][5]["args"][5] = false;
  KernelProgram e = PlanProgram(ParseOpGraph(eval)).value();
  ASSERT_EQ(e.launches.size(), 1u);
  EXPECT_EQ(e.launches[0].kind, PlanKind::kPointwise);
}

TEST(NnPlanTest, GroupNormViewsTheInputByGroupsAndFlattensTheScaleAndShift) {
  Json g = Inspection({Param("gn.weight", {8}), Param("gn.bias", {8}), Input("x", 0, {2, 8, 5}),
                       Call("y", "aten.group_norm.default",
                            {Ref("x"), 4, Ref("gn.weight"), Ref("gn.bias"), 1e-5, false},
                            {2, 8, 5}),
                       Output("y")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_GE(p.launches.size(), 3u);
  const Launch& mean = p.launches[0];
  ASSERT_EQ(mean.operands.size(), 1u);
  ASSERT_EQ(mean.operands[0].views.size(), 1u);
  EXPECT_EQ(mean.operands[0].views[0].kind, PlanView::Kind::kUnflatten);
  EXPECT_EQ(mean.operands[0].type.shape, (std::vector<int64_t>{2, 4, 2, 5}));
  EXPECT_EQ(mean.row.stages, 1);
  const Launch& y = p.launches.back();
  EXPECT_EQ(y.kind, PlanKind::kPointwise);
  EXPECT_EQ(y.out.shape, (std::vector<int64_t>{2, 8, 5}));
  bool flattened = false;
  for (const PlanOperand& op : y.operands) {
    for (const PlanView& v : op.views) flattened |= v.kind == PlanView::Kind::kFlatten;
  }
  EXPECT_TRUE(flattened) << DescribeLaunch(y);
  PlanEmitOptions o;
  o.task_source = "class Model(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                  "        self.gn = nn.GroupNorm(4, 8)\n";
  Result<std::string> code = EmitTritonProgram(p, o);
  ASSERT_TRUE(code.ok()) << code.status().message();
  EXPECT_NE(code->find(".unflatten(1, (4, -1))"), std::string::npos);
  EXPECT_NE(code->find(".flatten(1, 2)"), std::string::npos);
}

TEST(NnPlanTest, CrossEntropyIsOneRowPassAndAMeanOverTheRowsThatCount) {
  Json g = Inspection({Input("x", 0, {6, 10}), Input("t", 1, {6}, "int64"),
                       Call("l", "aten.cross_entropy_loss.default", {Ref("x"), Ref("t")}, {}),
                       Output("l")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 2u);
  EXPECT_EQ(p.launches[0].kind, PlanKind::kRow);
  EXPECT_EQ(p.launches[0].row.stages, 2);  // the max, then exp-sum and the picked logit
  EXPECT_EQ(p.launches[0].operands[1].type.dtype, "int64");
  EXPECT_NE(FormatExpression(p.launches[0].expr).find("row_index"), std::string::npos);
  Result<std::string> cpp = EmitCppProgram(p, {});
  ASSERT_TRUE(cpp.ok()) << cpp.status().message();
  EXPECT_NE(cpp->find("reinterpret_cast<const int64_t*>(in[1])"), std::string::npos);
  EXPECT_NE(cpp->find("_check(ops, {1: torch.int64, })"), std::string::npos);
}

TEST(NnPlanTest, BatchMeanReadsTheBatchSizeAtRunTime) {
  Json g = Inspection({Input("x", 0, {6, 10}), Input("t", 1, {6, 10}),
                       Call("k", "aten.kl_div.default", {Ref("x"), Ref("t"), 2}, {}),
                       Call("d", "aten.div.Tensor", {Ref("k"), 6}, {}), Output("d")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 2u);
  std::string last = FormatExpression(p.launches[1].expr);
  EXPECT_NE(last.find("mean("), std::string::npos) << last;
  EXPECT_EQ(last.find("6"), std::string::npos) << last;
}

TEST(NnPlanTest, TripletMarginIsOneRowPassForBothDistances) {
  Json g = Inspection({Input("a", 0, {6, 10}), Input("p", 1, {6, 10}), Input("n", 2, {6, 10}),
                       Call("l", "aten.triplet_margin_loss.default", {Ref("a"), Ref("p"), Ref("n")},
                            {}),
                       Output("l")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 2u);
  EXPECT_EQ(p.launches[0].operands.size(), 3u);
  EXPECT_EQ(p.launches[0].row.stages, 1);
}

}  // namespace
}  // namespace akg

namespace akg {
namespace {

using namespace test_graphs;

TEST(MmPlanTest, EinsumThatIsOneMatmulIsPlannedAndOthersAreNamed) {
  Json g = Inspection({Input("a", 0, {2, 3, 5, 16}), Input("b", 1, {16, 24}),
                       Call("e", "aten.einsum.default", {"bijl,lk->bijk", {Ref("a"), Ref("b")}},
                            {2, 3, 5, 24}),
                       Output("e")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 1u);
  EXPECT_EQ(p.launches[0].kind, PlanKind::kMatmul);
  EXPECT_EQ(p.launches[0].mm.k, 16);
  Json other = Inspection({Input("a", 0, {3, 5}), Input("b", 1, {3, 5}),
                           Call("e", "aten.einsum.default", {"ij,ij->i", {Ref("a"), Ref("b")}}, {3}),
                           Output("e")});
  Result<KernelProgram> declined = PlanProgram(ParseOpGraph(other));
  ASSERT_FALSE(declined.ok());
  EXPECT_NE(declined.status().message().find("\"ij,ij->i\""), std::string::npos);
}

TEST(MmPlanTest, TriuOfAMatmulIsItsEpilogueAndOfAnInputIsDeclined) {
  Json g = Inspection({Input("a", 0, {8, 8}), Input("b", 1, {8, 8}),
                       Call("m", "aten.matmul.default", {Ref("a"), Ref("b")}, {8, 8}),
                       Call("t", "aten.triu.default", {Ref("m")}, {8, 8}), Output("t")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 1u);
  EXPECT_EQ(p.launches[0].kind, PlanKind::kMatmul);
  Result<std::string> triton = EmitTritonProgram(p, {});
  ASSERT_TRUE(triton.ok()) << triton.status().message();
  EXPECT_NE(triton->find("cn.to(tl.float32)"), std::string::npos);
  Result<std::string> cpp = EmitCppProgram(p, {});
  ASSERT_TRUE(cpp.ok()) << cpp.status().message();
  EXPECT_NE(cpp->find("static_cast<float>(m)"), std::string::npos);
  Json input = Inspection({Input("a", 0, {8, 8}), Call("t", "aten.tril.default", {Ref("a")}, {8, 8}),
                           Output("t")});
  Result<KernelProgram> declined = PlanProgram(ParseOpGraph(input));
  ASSERT_FALSE(declined.ok());
  EXPECT_NE(declined.status().message().find("matmul's result"), std::string::npos);
}

TEST(MmPlanTest, AttentionIsTwoMatmulsAroundASoftmaxWithTheScaleReadAtRunTime) {
  Json g = Inspection({Input("q", 0, {2, 3, 9, 16}), Input("k", 1, {2, 3, 9, 16}),
                       Input("v", 2, {2, 3, 9, 16}),
                       Call("o", "aten.scaled_dot_product_attention.default",
                            {Ref("q"), Ref("k"), Ref("v")}, {2, 3, 9, 16}),
                       Output("o")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 3u);
  EXPECT_EQ(p.launches[0].kind, PlanKind::kMatmul);  // q @ k^T * rsqrt(K)
  EXPECT_NE(FormatExpression(p.launches[0].expr).find("rsqrt(K)"), std::string::npos);
  EXPECT_EQ(p.launches[1].kind, PlanKind::kRow);     // the softmax
  EXPECT_EQ(p.launches[2].kind, PlanKind::kMatmul);  // @ v
}

TEST(MmPlanTest, ABoolMaskIsReadAsAFloat) {
  Json g = Inspection({Input("x", 0, {4, 9}), Input("m", 1, {4, 9}, "bool"),
                       Call("p", "aten.mul.Tensor", {Ref("x"), Ref("m")}, {4, 9}),
                       Call("c", "aten.cumsum.default", {Ref("p"), 1}, {4, 9}), Output("c")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 1u);
  EXPECT_EQ(p.launches[0].operands[1].type.dtype, "bool");
  EXPECT_EQ(p.launches[0].output_dtype, "float32");
  Result<std::string> cpp = EmitCppProgram(p, {});
  ASSERT_TRUE(cpp.ok()) << cpp.status().message();
  EXPECT_NE(cpp->find("reinterpret_cast<const bool*>(in[1])"), std::string::npos);
}

}  // namespace
}  // namespace akg

namespace akg {
namespace {

using namespace test_graphs;

TEST(ConvPlanTest, Conv2dWithBiasAndReluIsOneConvLaunch) {
  Json g = Inspection({Param("conv.weight", {8, 2, 3, 3}), Param("conv.bias", {8}),
                       Input("x", 0, {2, 4, 17, 19}),
                       Call("c", "aten.conv2d.default",
                            {Ref("x"), Ref("conv.weight"), Ref("conv.bias"), {2, 2}, {1, 1}, {1, 1}, 2},
                            {2, 8, 9, 10}),
                       Call("r", "aten.relu.default", {Ref("c")}, {2, 8, 9, 10}), Output("r")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 1u);
  const Launch& l = p.launches[0];
  EXPECT_EQ(l.kind, PlanKind::kConv);
  EXPECT_EQ(l.conv.groups, 2);
  EXPECT_EQ(l.conv.kernel, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(l.out.shape, (std::vector<int64_t>{2, 8, 9, 10}));
  EXPECT_EQ(l.operands.size(), 3u);  // input, weight, the bias (epilogue)
  PlanEmitOptions o;
  o.task_source = "class Model(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                  "        self.conv = nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2)\n";
  Result<std::string> triton = EmitTritonProgram(p, o);
  ASSERT_TRUE(triton.ok()) << triton.status().message();
  EXPECT_NE(triton->find("input_precision=\"ieee\""), std::string::npos);
  // groups follow the input's channels (a depthwise conv at another size)
  EXPECT_NE(triton->find("groups = 2 if False else x.shape[1] // w.shape[1]"), std::string::npos);
  EXPECT_NE(triton->find("_conv_shape(x, w, (2, 2), (1, 1), (1, 1), (0, 0), 2, False)"),
            std::string::npos);
  Result<std::string> cpp = EmitCppProgram(p, o);
  ASSERT_TRUE(cpp.ok()) << cpp.status().message();
  EXPECT_NE(cpp->find("\"akg_launch0\": [ctypes.c_void_p] * 8"), std::string::npos);
}

TEST(ConvPlanTest, TransposedShapesFollowTorch) {
  ConvPlan t;
  t.dims = 1;
  t.transposed = true;
  t.groups = 2;
  t.stride = {3};
  t.padding = {2};
  t.dilation = {2};
  t.output_padding = {1};
  // (13 - 1) * 3 - 4 + 2 * 3 + 1 + 1 = 40; weight [C_in, C_out / groups, k]
  EXPECT_EQ(ConvShape(t, {2, 4, 13}, {4, 3, 4}).value(), (std::vector<int64_t>{2, 6, 40}));
  EXPECT_FALSE(ConvShape(t, {2, 5, 13}, {4, 3, 4}).ok());  // channels do not match
  ConvPlan s;
  s.dims = 2;
  s.stride = {1, 1};
  s.padding = {0, 0};
  s.dilation = {1, 1};
  s.output_padding = {0, 0};
  EXPECT_FALSE(ConvShape(s, {1, 3, 2, 2}, {4, 3, 3, 3}).ok());  // kernel larger than the input
  Json g = Inspection({Input("x", 0, {2, 4, 13}), Param("w", {4, 3, 4}),
                       Call("c", "aten.conv_transpose1d.default",
                            {Ref("x"), Ref("w"), nullptr, {3}, {2}, {1}, 2, {2}}, {2, 6, 40}),
                       Output("c")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 1u);
  EXPECT_TRUE(p.launches[0].conv.transposed);
  EXPECT_EQ(p.launches[0].out.shape, (std::vector<int64_t>{2, 6, 40}));
}

}  // namespace
}  // namespace akg

namespace akg {
namespace {

using namespace test_graphs;

TEST(ViewPlanTest, ReshapesAreFlattensAndSplitsOfDimGroups) {
  // conv-like [2, 4, 3, 5] viewed as [2, 60], then a linear: the matmul reads a flatten view.
  Json g = Inspection({Param("fc.weight", {7, 60}), Input("x", 0, {2, 4, 3, 5}),
                       Call("v", "aten.view.default", {Ref("x"), {2, -1}}, {2, 60}),
                       Call("y", "aten.linear.default", {Ref("v"), Ref("fc.weight")}, {2, 7}),
                       Output("y")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 1u);
  ASSERT_EQ(p.launches[0].operands[0].views.size(), 1u);
  EXPECT_EQ(p.launches[0].operands[0].views[0].kind, PlanView::Kind::kFlatten);
  EXPECT_EQ(p.launches[0].operands[0].type.shape, (std::vector<int64_t>{2, 60}));
  // [4, 6, 1, 1] squeezed to [4, 6], and [6, 4] split to [2, 3, 4]
  Json sq = Inspection({Input("x", 0, {4, 6, 1, 1}),
                        Call("v", "aten.squeeze.dims", {Ref("x"), {2, 3}}, {4, 6}),
                        Call("r", "aten.relu.default", {Ref("v")}, {4, 6}), Output("r")});
  KernelProgram q = PlanProgram(ParseOpGraph(sq)).value();
  EXPECT_EQ(q.launches[0].operands[0].type.shape, (std::vector<int64_t>{4, 6}));
  Json split = Inspection({Input("x", 0, {6, 4}),
                           Call("v", "aten.reshape.default", {Ref("x"), {2, 3, 4}}, {2, 3, 4}),
                           Call("s", "aten.sum.dim_IntList", {Ref("v"), {1}}, {2, 4}),
                           Output("s")});
  KernelProgram r = PlanProgram(ParseOpGraph(split)).value();
  EXPECT_EQ(r.launches[0].operands[0].type.shape, (std::vector<int64_t>{2, 3, 4}));
  // [6, 4] as [4, 6]: merged, then split
  Json merge_split = Inspection({Input("x", 0, {6, 4}),
                                 Call("v", "aten.reshape.default", {Ref("x"), {4, 6}}, {4, 6}),
                                 Call("r", "aten.relu.default", {Ref("v")}, {4, 6}), Output("r")});
  KernelProgram m = PlanProgram(ParseOpGraph(merge_split)).value();
  ASSERT_EQ(m.launches[0].operands[0].views.size(), 2u);
  EXPECT_EQ(m.launches[0].operands[0].views[0].kind, PlanView::Kind::kFlatten);
  EXPECT_EQ(m.launches[0].operands[0].views[1].kind, PlanView::Kind::kUnflatten);
  EXPECT_EQ(m.launches[0].operands[0].type.shape, (std::vector<int64_t>{4, 6}));
}

TEST(ViewPlanTest, LogSumExpMishAndEvalDropoutArePlanned) {
  Json g = Inspection({Input("x", 0, {5, 9}),
                       Call("d", "aten.dropout.default", {Ref("x"), 0.5, false}, {5, 9}),
                       Call("l", "aten.logsumexp.default", {Ref("d"), {1}, true}, {5, 1}),
                       Call("m", "aten.mish.default", {Ref("l")}, {5, 1}), Output("m")});
  KernelProgram p = PlanProgram(ParseOpGraph(g)).value();
  ASSERT_EQ(p.launches.size(), 1u);
  EXPECT_EQ(p.launches[0].row.stages, 2);
  Json train = Inspection({Input("x", 0, {5, 9}),
                           Call("d", "aten.dropout.default", {Ref("x"), 0.5, true}, {5, 9}),
                           Output("d")});
  Result<KernelProgram> declined = PlanProgram(ParseOpGraph(train));
  ASSERT_FALSE(declined.ok());
  EXPECT_NE(declined.status().message().find("random"), std::string::npos);
}

}  // namespace
}  // namespace akg
