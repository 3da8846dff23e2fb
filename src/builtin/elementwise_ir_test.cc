#include "builtin/elementwise_ir.h"

#include <gtest/gtest.h>

#include "builtin/test_graphs.h"

namespace akg {
namespace {

using namespace test_graphs;  // NOLINT: test helpers

ElementwiseGraph ParseOk(const Json& inspection) {
  Result<ElementwiseGraph> g = ParseElementwiseGraph(ParseOpGraph(inspection));
  EXPECT_TRUE(g.ok()) << g.status().message();
  return g.ok() ? *g : ElementwiseGraph{};
}

std::string ParseError(const Json& inspection) {
  Result<ElementwiseGraph> g = ParseElementwiseGraph(ParseOpGraph(inspection));
  EXPECT_FALSE(g.ok());
  if (g.ok()) return "";
  EXPECT_EQ(g.status().kind(), ErrorKind::kUnsupported) << g.status().message();
  return g.status().message();
}

Json Unary(const std::string& target, Json extra_args = Json::array(),
           Json kwargs = Json::object()) {
  Json args = Json::array({Ref("x")});
  for (const Json& a : extra_args) args.push_back(a);
  return Inspection({Input("x", 0, {4, 8}), Call("op", target, args, {4, 8}, kwargs),
                     Output("op")});
}

TEST(ElementwiseIrTest, BroadcastInputsKeepTheirShapes) {
  ElementwiseGraph g = ParseOk(Inspection(
      {Input("x", 0, {4, 8, 16}), Input("y", 1, {8, 1}),
       Call("add", "aten.add.Tensor", {Ref("x"), Ref("y")}, {4, 8, 16}), Output("add")}));
  ASSERT_EQ(g.inputs.size(), 2u);
  EXPECT_EQ(g.inputs[1].shape, (std::vector<int64_t>{8, 1}));
  EXPECT_EQ(g.output_shape, (std::vector<int64_t>{4, 8, 16}));
  EXPECT_EQ(g.output_dtype, "float32");
  EXPECT_EQ(g.nodes[g.output].op, ExprOp::kAdd);
  EXPECT_EQ(g.UsedInputs(), (std::vector<int>{0, 1}));
  EXPECT_EQ(FormatExpression(g), "x + y");
  EXPECT_EQ(g.eager_kernels, 1);
}

TEST(ElementwiseIrTest, ScalarArgumentsBecomeConstants) {
  ElementwiseGraph g = ParseOk(Unary("aten.mul.Tensor", {2}));
  const ExprNode& mul = g.nodes[g.output];
  ASSERT_EQ(mul.op, ExprOp::kMul);
  EXPECT_EQ(g.nodes[mul.args[1]].op, ExprOp::kConst);
  EXPECT_EQ(g.nodes[mul.args[1]].params[0], 2.0);
  EXPECT_EQ(FormatExpression(g), "x * 2");
}

TEST(ElementwiseIrTest, RsubSubtractsScaledInputFromScalar) {
  ElementwiseGraph g = ParseOk(Unary("aten.rsub.Scalar", {1}, {{"alpha", 2}}));
  EXPECT_EQ(FormatExpression(g), "1 - (x * 2)");
}

TEST(ElementwiseIrTest, AddWithAlphaFoldsAScalarOperand) {
  ElementwiseGraph g = ParseOk(Unary("aten.add.Tensor", {3}, {{"alpha", 2}}));
  EXPECT_EQ(FormatExpression(g), "x + 6");
}

TEST(ElementwiseIrTest, SharedSubexpressionsAreComputedOnce) {
  // relu(x) + relu(x) * sigmoid(relu(x)), written with three separate relu calls.
  Json inspection = Inspection(
      {Input("x", 0, {8}), Call("r1", "aten.relu.default", {Ref("x")}, {8}),
       Call("r2", "aten.relu.default", {Ref("x")}, {8}),
       Call("r3", "aten.relu.default", {Ref("x")}, {8}),
       Call("s", "aten.sigmoid.default", {Ref("r3")}, {8}),
       Call("m", "aten.mul.Tensor", {Ref("r2"), Ref("s")}, {8}),
       Call("a", "aten.add.Tensor", {Ref("r1"), Ref("m")}, {8}), Output("a")});
  ElementwiseGraph g = ParseOk(inspection);
  int relus = 0;
  for (int id : g.LiveNodes()) relus += g.nodes[id].op == ExprOp::kRelu;
  EXPECT_EQ(relus, 1);
  EXPECT_EQ(FormatExpression(g), "t1 = relu(x); t1 + (t1 * sigmoid(t1))");
  EXPECT_EQ(g.eager_kernels, 6);
}

TEST(ElementwiseIrTest, SwishPatternReadsItsInputTwice) {
  ElementwiseGraph g = ParseOk(Inspection(
      {Input("x", 0, {8}), Call("s", "aten.sigmoid.default", {Ref("x")}, {8}),
       Call("m", "aten.mul.Tensor", {Ref("x"), Ref("s")}, {8}), Output("m")}));
  EXPECT_EQ(FormatExpression(g), "x * sigmoid(x)");
  EXPECT_EQ(g.UsedInputs(), (std::vector<int>{0}));
}

TEST(ElementwiseIrTest, OperatorParametersAndDefaultsAreRead) {
  EXPECT_EQ(ParseOk(Unary("aten.leaky_relu.default")).nodes.back().params,
            (std::vector<double>{0.01}));
  EXPECT_EQ(FormatExpression(ParseOk(Unary("aten.hardtanh.default"))), "clamp(x, -1, 1)");
  EXPECT_EQ(FormatExpression(ParseOk(Unary("aten.relu6.default"))), "clamp(x, 0, 6)");
  EXPECT_EQ(FormatExpression(ParseOk(Unary("aten.softplus.default", {2.0, 10.0}))),
            "softplus(x, 2, 10)");
  EXPECT_EQ(FormatExpression(ParseOk(Unary("aten.clamp.default", {nullptr, 1.5}))),
            "clamp_max(x, 1.5)");
  EXPECT_EQ(ParseOk(Unary("aten.gelu.default", {}, {{"approximate", "tanh"}})).nodes.back().op,
            ExprOp::kGeluTanh);
  EXPECT_EQ(ParseOk(Unary("aten.gelu.default")).nodes.back().op, ExprOp::kGelu);
}

TEST(ElementwiseIrTest, SeluAndCeluBecomeElu) {
  const ExprNode selu = ParseOk(Unary("aten.selu.default")).nodes.back();
  ASSERT_EQ(selu.op, ExprOp::kElu);
  EXPECT_NEAR(selu.params[1], 1.0507009873554805, 1e-15);
  const ExprNode celu = ParseOk(Unary("aten.celu.default", {0.5})).nodes.back();
  EXPECT_EQ(celu.params, (std::vector<double>{0.5, 1.0, 2.0}));
}

TEST(ElementwiseIrTest, PowBySmallExponentsIsLoweredOthersRejected) {
  EXPECT_EQ(FormatExpression(ParseOk(Unary("aten.pow.Tensor_Scalar", {2}))), "x * x");
  EXPECT_EQ(FormatExpression(ParseOk(Unary("aten.pow.Tensor_Scalar", {0.5}))), "sqrt(x)");
  EXPECT_NE(ParseError(Unary("aten.pow.Tensor_Scalar", {2.7})).find("exponent"),
            std::string::npos);
}

TEST(ElementwiseIrTest, UnsupportedOperatorMessageNamesTheOperator) {
  std::string m = ParseError(Unary("aten.conv2d.default"));
  EXPECT_NE(m.find("aten.conv2d.default"), std::string::npos) << m;
  EXPECT_NE(m.find("elementwise operators only"), std::string::npos) << m;
}

TEST(ElementwiseIrTest, OperatorIsNamedBeforeParametersAreMentioned) {
  Json inspection = Inspection({Param("p_weight", {8, 8}), Input("x", 0, {4, 8}),
                                Call("lin", "aten.linear.default", {Ref("x"), Ref("p_weight")},
                                     {4, 8}),
                                Output("lin")});
  EXPECT_NE(ParseError(inspection).find("aten.linear.default"), std::string::npos);
}

TEST(ElementwiseIrTest, ParameterPlaceholderIsRejectedClearly) {
  Json inspection = Inspection({Param("p_w", {8}), Input("x", 0, {4, 8}),
                                Call("mul", "aten.mul.Tensor", {Ref("x"), Ref("p_w")}, {4, 8}),
                                Output("mul")});
  std::string m = ParseError(inspection);
  EXPECT_NE(m.find("parameters"), std::string::npos) << m;
  EXPECT_NE(m.find("p_w"), std::string::npos) << m;
}

TEST(ElementwiseIrTest, NonTensorForwardArgumentIsRejected) {
  Json x = Input("x", 0, {4});
  Json a = {{"name", "a"}, {"op", "placeholder"}, {"role", "user_input"}, {"index", 1}};
  Json inspection = Inspection({x, a, Call("mul", "aten.mul.Tensor", {Ref("x"), 0.5}, {4}),
                                Output("mul")});
  EXPECT_NE(ParseError(inspection).find("'a' is not a tensor"), std::string::npos);
}

TEST(ElementwiseIrTest, TwoOutputsAreRejected) {
  Json inspection = Inspection({Input("x", 0, {4}), Call("r", "aten.relu.default", {Ref("x")}, {4})});
  inspection["graph"]["nodes"].push_back(
      {{"name", "output"}, {"op", "output"}, {"args", {{Ref("r"), Ref("x")}}}});
  EXPECT_NE(ParseError(inspection).find("one tensor output"), std::string::npos);
}

TEST(ElementwiseIrTest, IntegerTensorsAreRejected) {
  Json inspection = Inspection({Input("x", 0, {4}, "int64"),
                                Call("r", "aten.relu.default", {Ref("x")}, {4}, {}, "int64"),
                                Output("r")});
  EXPECT_NE(ParseError(inspection).find("int64"), std::string::npos);
}

TEST(ElementwiseIrTest, MissingGraphReportsTheHarnessReason) {
  Json inspection = {{"ok", true}, {"graph", nullptr}, {"graph_error", "export failed: boom"}};
  EXPECT_NE(ParseError(inspection).find("export failed: boom"), std::string::npos);
  Json fx = Unary("aten.relu.default");
  fx["graph"]["source"] = "torch.fx";
  EXPECT_NE(ParseError(fx).find("torch.export"), std::string::npos);
}

TEST(ElementwiseIrTest, InPlaceOpIsAcceptedOnlyWhenNothingElseReadsTheValue) {
  ParseOk(Unary("aten.relu_.default"));
  Json shared = Inspection({Input("x", 0, {4}), Call("r", "aten.relu_.default", {Ref("x")}, {4}),
                            Call("a", "aten.add.Tensor", {Ref("x"), Ref("r")}, {4}),
                            Output("a")});
  EXPECT_NE(ParseError(shared).find("in place"), std::string::npos);
}

TEST(ElementwiseIrTest, UnusedArgumentStaysInTheSignature) {
  ElementwiseGraph g = ParseOk(Inspection({Input("x", 0, {4}), Input("y", 1, {3}),
                                           Call("r", "aten.relu.default", {Ref("x")}, {4}),
                                           Output("r")}));
  EXPECT_EQ(g.inputs.size(), 2u);
  EXPECT_EQ(g.UsedInputs(), (std::vector<int>{0}));
}

TEST(ElementwiseIrTest, OutputMayBeAnInputItself) {
  ElementwiseGraph g = ParseOk(Inspection({Input("x", 0, {4}), Output("x")}));
  EXPECT_EQ(g.nodes[g.output].op, ExprOp::kInput);
  EXPECT_EQ(g.eager_kernels, 0);
}

}  // namespace
}  // namespace akg
