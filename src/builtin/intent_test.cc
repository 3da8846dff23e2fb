#include "builtin/intent.h"

#include <gtest/gtest.h>

namespace akg {
namespace {

std::string Source(const std::string& sentence) {
  Result<std::string> s = TaskSourceFromIntent(sentence);
  EXPECT_TRUE(s.ok()) << sentence << ": " << s.status().message();
  return s.ok() ? *s : "";
}

std::string Error(const std::string& sentence) {
  Result<std::string> s = TaskSourceFromIntent(sentence);
  EXPECT_FALSE(s.ok()) << sentence;
  if (s.ok()) return "";
  EXPECT_EQ(s.status().kind(), ErrorKind::kUnsupported);
  return s.status().message();
}

bool Has(const std::string& text, const std::string& piece) {
  return text.find(piece) != std::string::npos;
}

TEST(IntentTest, SingleOperatorBecomesACompleteTask) {
  std::string s = Source("Generate a relu kernel");
  EXPECT_TRUE(Has(s, "class Model(nn.Module):"));
  EXPECT_TRUE(Has(s, "def forward(self, x):\n        x = torch.relu(x)\n        return x\n"));
  EXPECT_TRUE(Has(s, "def get_inputs():\n    return [torch.randn(16, 16384)]"));
  EXPECT_TRUE(Has(s, "def get_init_inputs():\n    return []"));
}

TEST(IntentTest, ChainWithScalarOperand) {
  std::string s = Source("gelu then multiply by 2");
  EXPECT_TRUE(Has(s, "x = F.gelu(x)\n        x = x * 2.0\n"));
}

TEST(IntentTest, SwishIsSilu) { EXPECT_TRUE(Has(Source("swish"), "x = F.silu(x)")); }

TEST(IntentTest, ParameterByKeyword) {
  std::string s = Source("leaky relu with slope 0.2 then tanh");
  EXPECT_TRUE(Has(s, "x = F.leaky_relu(x, negative_slope=0.2)\n        x = torch.tanh(x)"));
  EXPECT_TRUE(Has(Source("Leaky-ReLU with negative slope 0.1."), "negative_slope=0.1)"));
  EXPECT_TRUE(Has(Source("leaky relu"), "negative_slope=0.01)"));
}

TEST(IntentTest, AddTwoTensors) {
  std::string s = Source("add two tensors");
  EXPECT_TRUE(Has(s, "def forward(self, x, y):\n        x = x + y\n"));
  EXPECT_TRUE(Has(s, "return [torch.randn(16, 16384), torch.randn(16, 16384)]"));
}

TEST(IntentTest, BinaryStepsLaterInTheChain) {
  std::string s = Source("sigmoid, then add another tensor and scale by 0.5");
  EXPECT_TRUE(Has(s, "def forward(self, x, y):"));
  EXPECT_TRUE(Has(s, "x = torch.sigmoid(x)\n        x = x + y\n        x = x * 0.5\n"));
  EXPECT_TRUE(Has(Source("gelu * 2 + y"), "x = x * 2.0\n        x = x + y\n"));
}

TEST(IntentTest, ClampBetweenTwoNumbersAndShape) {
  std::string s = Source("clamp between -1 and 1.5 on a 32x64 tensor");
  EXPECT_TRUE(Has(s, "torch.clamp(x, min=(-1.0), max=1.5)"));
  EXPECT_TRUE(Has(s, "torch.randn(32, 64)"));
  EXPECT_TRUE(Has(Source("hardtanh with max 6 and min 0"), "min_val=0.0, max_val=6.0"));
}

TEST(IntentTest, GeluTanhApproximation) {
  EXPECT_TRUE(Has(Source("gelu with tanh approximation"), "approximate=\"tanh\""));
  EXPECT_TRUE(Has(Source("gelu then tanh"), "F.gelu(x)\n        x = torch.tanh(x)"));
}

TEST(IntentTest, PositiveInputsForLogAndSqrt) {
  EXPECT_TRUE(Has(Source("square root"), "torch.rand(16, 16384) + 0.1"));
}

TEST(IntentTest, UnknownOperatorIsNamedWithTheCatalogue) {
  std::string m = Error("softmax over the last dim");
  EXPECT_TRUE(Has(m, "'softmax'")) << m;
  EXPECT_TRUE(Has(m, "relu, leaky relu")) << m;
}

TEST(IntentTest, UnknownWordNextToAKnownOperatorIsNotIgnored) {
  EXPECT_TRUE(Has(Error("conv then relu"), "'conv'"));
}

TEST(IntentTest, IncompleteRequestsAreErrors) {
  EXPECT_TRUE(Has(Error("gelu then add"), "'add' without an operand"));
  EXPECT_TRUE(Has(Error("relu 7"), "the number 7 after relu"));
  EXPECT_TRUE(Has(Error("please generate a kernel"), "names no operator"));
}

}  // namespace
}  // namespace akg
