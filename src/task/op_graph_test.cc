#include "task/op_graph.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "core/files.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

Json LoadInspection(const std::string& name) {
  fs::path path = fs::path(AKG_SOURCE_DIR) / "src/skills/testdata" / ("inspect_" + name + ".json");
  auto text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status().message();
  auto json = ParseJson(text.ok() ? *text : "{}", path.string());
  EXPECT_TRUE(json.ok()) << json.status().message();
  return json.ok() ? *json : Json::object();
}

Json Tensor(std::vector<int64_t> shape, const char* dtype = "float32") {
  return {{"shape", shape}, {"dtype", dtype}};
}

Json Placeholder(const char* name, const char* role, std::vector<int64_t> shape, int index = -1) {
  Json n = Tensor(shape);
  n["name"] = name;
  n["op"] = "placeholder";
  n["role"] = role;
  if (index >= 0) n["index"] = index;
  if (std::string(role) != "user_input") n["target"] = std::string("lin.") + name;
  return n;
}

Json Call(const char* name, const char* target, Json args, std::vector<int64_t> shape) {
  Json n = Tensor(shape);
  n["name"] = name;
  n["op"] = "call_function";
  n["target"] = target;
  n["args"] = std::move(args);
  n["kwargs"] = Json::object();
  return n;
}

Json Ref(const char* name) { return {{"node", name}}; }

Json LinearRelu() {
  Json nodes = Json::array({
      Placeholder("weight", "parameter", {64, 32}),
      Placeholder("bias", "parameter", {64}),
      Placeholder("x", "user_input", {8, 32}, 0),
      Call("linear", "aten.linear.default", {Ref("x"), Ref("weight"), Ref("bias")}, {8, 64}),
      Call("relu_", "aten.relu_.default", {Ref("linear")}, {8, 64}),
      {{"name", "output"}, {"op", "output"}, {"args", {{Ref("relu_")}}}},
  });
  return {{"ok", true},
          {"inputs", {{{"kind", "tensor"}, {"shape", {8, 32}}, {"dtype", "float32"}}}},
          {"outputs", {Tensor({8, 64})}},
          {"reference_ms", 1.5},
          {"graph", {{"source", "torch.export"}, {"nodes", nodes}}}};
}

TEST(OpGraphTest, ParsesRolesOperatorsAndUses) {
  OpGraph g = ParseOpGraph(LinearRelu());
  ASSERT_TRUE(g.has_graph());
  EXPECT_EQ(g.source, "torch.export");
  ASSERT_EQ(g.nodes.size(), 6u);
  EXPECT_EQ(g.Placeholders(NodeRole::kParameter).size(), 2u);
  ASSERT_EQ(g.Placeholders(NodeRole::kInput).size(), 1u);
  EXPECT_EQ(g.Placeholders(NodeRole::kInput)[0]->input_index, 0);
  EXPECT_EQ(g.Find("weight")->target, "lin.weight");
  const OpNode* relu = g.Find("relu_");
  ASSERT_NE(relu, nullptr);
  EXPECT_EQ(relu->op, "relu");
  EXPECT_EQ(relu->overload, "default");
  EXPECT_TRUE(relu->in_place);
  const OpNode* linear = g.Find("linear");
  EXPECT_EQ(linear->operands, (std::vector<int>{2, 0, 1}));
  EXPECT_EQ(linear->uses, 1);
  EXPECT_EQ(g.Find("relu_")->uses, 1);  // the output
  EXPECT_EQ(g.outputs, (std::vector<int>{4}));
  EXPECT_EQ(g.Categories(), (std::vector<std::string>{"elementwise", "matmul"}));
  ASSERT_EQ(g.forward_args.size(), 1u);
  EXPECT_EQ(g.forward_args[0].type->shape, (std::vector<int64_t>{8, 32}));
  EXPECT_DOUBLE_EQ(g.reference_ms, 1.5);
}

TEST(OpGraphTest, CountsFlopsAndBytesFromShapes) {
  GraphTraffic t = ParseOpGraph(LinearRelu()).Traffic();
  EXPECT_EQ(t.flops, 2LL * 8 * 64 * 32);
  EXPECT_EQ(t.flops_by_dtype.at("float32"), t.flops);
  EXPECT_EQ(t.eager_kernels, 2);
  // linear reads x, weight, bias and writes its result; relu reads and writes it.
  EXPECT_EQ(t.eager_bytes_read, 4 * (8 * 32 + 64 * 32 + 64 + 8 * 64));
  EXPECT_EQ(t.eager_bytes_written, 4 * (2 * 8 * 64));
  EXPECT_EQ(t.min_bytes, 4 * (64 * 32 + 64 + 8 * 32 + 8 * 64));
}

TEST(OpGraphTest, ConvolutionFlopsFollowTheFlopCounter) {
  Json nodes = Json::array({
      Placeholder("w", "parameter", {16, 3, 3, 3}),
      Placeholder("x", "user_input", {2, 3, 32, 32}, 0),
      Call("conv2d", "aten.conv2d.default", {Ref("x"), Ref("w")}, {2, 16, 30, 30}),
      {{"name", "output"}, {"op", "output"}, {"args", {{Ref("conv2d")}}}},
  });
  OpGraph g = ParseOpGraph({{"graph", {{"source", "torch.export"}, {"nodes", nodes}}}});
  EXPECT_EQ(g.Find("conv2d")->flops, 2LL * 2 * 16 * 30 * 30 * 3 * 3 * 3);
  EXPECT_EQ(g.Categories(), (std::vector<std::string>{"convolution"}));
}

TEST(OpGraphTest, ReadsRealInspectResults) {
  OpGraph ln = ParseOpGraph(LoadInspection("layer_norm"));
  ASSERT_TRUE(ln.has_graph());
  EXPECT_EQ(ln.Find("layer_norm")->op, "layer_norm");
  EXPECT_EQ(ln.Find("p_ln_weight")->role, NodeRole::kParameter);
  EXPECT_EQ(ln.Find("p_ln_weight")->target, "ln.weight");
  OpGraph mm = ParseOpGraph(LoadInspection("matmul_linear_gelu"));
  EXPECT_EQ(mm.Find("matmul")->flops, 2LL * 4 * 8 * 5);
  EXPECT_EQ(mm.Find("linear")->flops, 2LL * 4 * 6 * 8);
  OpGraph bn = ParseOpGraph(LoadInspection("batch_group_norm_avgpool"));
  EXPECT_EQ(bn.Placeholders(NodeRole::kBuffer).size(), 3u);
  EXPECT_EQ(bn.Find("b_bn_num_batches_tracked")->type->dtype, "int64");
}

TEST(OpGraphTest, NoGraphKeepsTheReason) {
  OpGraph g = ParseOpGraph({{"ok", true}, {"graph", nullptr},
                            {"graph_error", "torch.export: data-dependent"}});
  EXPECT_FALSE(g.has_graph());
  EXPECT_EQ(g.error, "torch.export: data-dependent");
  EXPECT_TRUE(g.Categories().empty());
  EXPECT_FALSE(ParseOpGraph(Json::array()).has_graph());
}

TEST(OpGraphTest, MalformedNodesAreRecordedNotThrown) {
  Json bad = {{"graph", {{"source", "torch.export"},
                         {"nodes", {{{"name", "x"}, {"op", "placeholder"}, {"index", "zero"}}}}}}};
  OpGraph g = ParseOpGraph(bad);
  EXPECT_NE(g.error.find("malformed inspect result"), std::string::npos);
}

TEST(OpGraphTest, SymbolicDimsAreUnknown) {
  Json n = Placeholder("x", "user_input", {4}, 0);
  n["shape"] = Json::array({"s0", 4});
  OpGraph g = ParseOpGraph({{"graph", {{"source", "torch.export"}, {"nodes", {n}}}}});
  EXPECT_EQ(g.Find("x")->type->shape, (std::vector<int64_t>{-1, 4}));
  EXPECT_EQ(g.Find("x")->type->Numel(), 0);
  EXPECT_EQ(ShapeText(g.Find("x")->type->shape), "[?, 4]");
}

}  // namespace
}  // namespace akg
