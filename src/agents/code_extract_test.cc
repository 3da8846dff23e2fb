#include "agents/code_extract.h"

#include <gtest/gtest.h>

namespace akg {
namespace {

const char* kFile =
    "import torch\n"
    "import torch.nn as nn\n"
    "\n"
    "class ModelNew(nn.Module):\n"
    "    def forward(self, x):\n"
    "        return x\n";

std::string CodeOf(const std::string& reply) {
  auto r = ExtractCode(reply, "ModelNew");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r->code : "<error>";
}

TEST(CodeExtractTest, TaggedFencesOfEveryKind) {
  for (const char* open : {"```python", "```py", "```", "``` python", "~~~", "~~~python",
                           "````python"}) {
    std::string close = std::string(open).substr(0, std::string(open).find_first_not_of("`~"));
    std::string reply = std::string(open) + "\n" + kFile + close + "\n";
    EXPECT_EQ(CodeOf(reply), kFile) << open;
  }
}

TEST(CodeExtractTest, ProseBeforeAndAfterIsKeptAsProse) {
  std::string reply = std::string("Fused GELU with one pass over memory. It vectorises.\n\n") +
                      "```python\n" + kFile + "```\n\nThe grid covers every row.\n";
  auto r = ExtractCode(reply, "ModelNew");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, kFile);
  EXPECT_FALSE(r->unclosed);
  EXPECT_EQ(r->prose,
            "Fused GELU with one pass over memory. It vectorises.\n\n\nThe grid covers every row.");
  EXPECT_EQ(FirstSentence(r->prose), "Fused GELU with one pass over memory.");
}

TEST(CodeExtractTest, SeveralBlocksChooseTheOneDefiningTheClass) {
  std::string reply = std::string("The kernel body:\n```cpp\nextern \"C\" void f();\n```\n") +
                      "Whole file:\n```python\n" + kFile + "```\nUsage:\n```python\nm = "
                      "ModelNew()\n```\n";
  EXPECT_EQ(CodeOf(reply), kFile);
}

TEST(CodeExtractTest, SeveralDefiningBlocksTakeTheLast) {
  std::string revised = std::string(kFile) + "# revised\n";
  std::string reply = std::string("```python\n") + kFile + "```\nOops, fixed:\n```python\n" +
                      revised + "```\n";
  EXPECT_EQ(CodeOf(reply), revised);
}

TEST(CodeExtractTest, BlocksWithoutTheClassFail) {
  auto r = ExtractCode("```python\nimport torch\n```\n```\nx = 1\n```\n", "ModelNew");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("none of the reply's code blocks defines class ModelNew"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("```python"), std::string::npos);
}

TEST(CodeExtractTest, MissingClosingFenceTakesTheRestAndSaysSo) {
  auto r = ExtractCode(std::string("Here it is:\n```python\n") + kFile, "ModelNew");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->code, kFile);
  EXPECT_TRUE(r->unclosed);
}

TEST(CodeExtractTest, UnfencedReplyThatIsCode) {
  EXPECT_EQ(CodeOf(kFile), kFile);
  EXPECT_EQ(CodeOf(std::string("\n# fused kernel\n") + kFile), std::string("# fused kernel\n") + kFile);
  EXPECT_EQ(CodeOf(std::string("from torch import nn\nclass ModelNew(nn.Module):\n  pass\n")),
            "from torch import nn\nclass ModelNew(nn.Module):\n  pass\n");
}

TEST(CodeExtractTest, WindowsLineEndings) {
  std::string reply = "```python\r\nclass ModelNew(nn.Module):\r\n    pass\r\n```\r\n";
  EXPECT_EQ(CodeOf(reply), "class ModelNew(nn.Module):\n    pass\n");
}

TEST(CodeExtractTest, ProseOnlyReplyGivesAMessageForTheModel) {
  auto r = ExtractCode("I would write a Triton kernel that tiles the rows.", "ModelNew");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kInput);
  EXPECT_NE(r.status().message().find("no code block"), std::string::npos);
  auto empty = ExtractCode("  \n", "ModelNew");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);
}

TEST(CodeExtractTest, UnfencedCodeWithoutTheClassFails) {
  auto r = ExtractCode("import torch\nx = torch.ones(3)\n", "ModelNew");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("defines no class ModelNew"), std::string::npos);
}

TEST(CodeExtractTest, ClassNameMustMatchExactly) {
  EXPECT_TRUE(DefinesClass("class Model(nn.Module):\n", "Model"));
  EXPECT_FALSE(DefinesClass("class ModelNew(nn.Module):\n", "Model"));
  EXPECT_FALSE(DefinesClass("# class ModelNew(nn.Module)\n", "ModelNew"));
  EXPECT_TRUE(DefinesClass("import x\nclass ModelNew:\n", "ModelNew"));
  auto task = ExtractCode(std::string("```python\n") + kFile + "```\n", "Model");
  EXPECT_FALSE(task.ok());
}

TEST(CodeExtractTest, FirstSentenceSkipsIntroductionsAndMarkdown) {
  EXPECT_EQ(FirstSentence("Here is the optimised kernel:\n\n## **Row-wise** `softmax` in one "
                          "pass. Then more."),
            "Row-wise softmax in one pass.");
  EXPECT_EQ(FirstSentence("1. Tile the matrix by 128x128 blocks"), "Tile the matrix by 128x128 blocks");
  EXPECT_EQ(FirstSentence(""), "");
  std::string long_line(300, 'a');
  long_line += " end";
  EXPECT_LE(FirstSentence("word " + long_line, 40).size(), 40u);
}

}  // namespace
}  // namespace akg
