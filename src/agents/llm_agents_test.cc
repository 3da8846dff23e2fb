// LlmDesigner and LlmKernelGen against a scripted model and the real prompts/ templates.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agents/llm_designer.h"
#include "agents/llm_kernel_gen.h"
#include "llm/scripted_llm.h"

namespace akg {
namespace {

const char* kTaskSource =
    "import torch\nimport torch.nn as nn\n\n"
    "class Model(nn.Module):\n"
    "    def forward(self, x):\n"
    "        return torch.nn.functional.gelu(x) * 2\n\n"
    "def get_inputs():\n    return [torch.randn(16, 1024)]\n\n"
    "def get_init_inputs():\n    return []\n";

const char* kGoodReply =
    "One OpenMP loop computes gelu(x) * 2 in a single pass.\n\n"
    "```python\n"
    "import torch\nimport torch.nn as nn\n\n"
    "class ModelNew(nn.Module):\n"
    "    def forward(self, x):\n"
    "        return launch(x)\n"
    "```\n";

Json Inspection() {
  Json graph = {{"source", "torch.export"},
                {"nodes",
                 Json::array({{{"name", "x"}, {"op", "placeholder"}, {"role", "user_input"},
                               {"index", 0}, {"shape", {16, 1024}}, {"dtype", "float32"}},
                              {{"name", "gelu"}, {"op", "call_function"},
                               {"target", "aten.gelu.default"},
                               {"args", Json::array({{{"node", "x"}}})},
                               {"kwargs", Json::object()},
                               {"shape", {16, 1024}}, {"dtype", "float32"}},
                              {{"name", "mul"}, {"op", "call_function"},
                               {"target", "aten.mul.Tensor"},
                               {"args", Json::array({{{"node", "gelu"}}, 2})},
                               {"kwargs", Json::object()},
                               {"shape", {16, 1024}}, {"dtype", "float32"}},
                              {{"name", "output"}, {"op", "output"},
                               {"args", Json::array({Json::array({{{"node", "mul"}}})})}}})}};
  return {{"ok", true},
          {"device_used", "cpu"},
          {"inputs", Json::array({{{"index", 0}, {"kind", "tensor"}, {"shape", {16, 1024}},
                                   {"dtype", "float32"}}})},
          {"init_inputs", Json::array()},
          {"outputs", Json::array({{{"index", 0}, {"kind", "tensor"}, {"shape", {16, 1024}},
                                    {"dtype", "float32"}}})},
          {"parameters", Json::array()},
          {"reference_ms", 0.25},
          {"graph", graph}};
}

Skill MakeSkill(std::string name, std::string dsl, std::vector<std::string> stages,
                std::string body) {
  Skill s;
  s.name = std::move(name);
  s.description = "test skill";
  s.dsl = std::move(dsl);
  s.stages = std::move(stages);
  s.body = std::move(body);
  return s;
}

class LlmAgentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    task_.name = "gelu_scale";
    task_.task_path = "/tmp/akg_llm_agents_test/gelu_scale.py";
    task_.source = kTaskSource;
    task_.inspection = Inspection();
    target_ = {"torch", "cpu", "x86_64", "cpp"};
    skills_ = {MakeSkill("cpp-simd", "cpp", {"design", "generate"}, "SKILL-CPP-SIMD-BODY"),
               MakeSkill("cpp-debugging", "cpp", {"debug"}, "SKILL-CPP-DEBUG-BODY"),
               MakeSkill("triton-tiles", "triton_cuda", {}, "SKILL-TRITON-BODY")};
    options_.prompts_dir = std::string(AKG_SOURCE_DIR) + "/prompts";
    options_.skills = &skills_;
    options_.skill_query.dsl = "cpp";
    options_.skill_query.backend = "cpu";
    options_.skill_query.arch = "x86_64";
    options_.arch_peaks = {{"bandwidth_gbs", 2970}, {"tflops", {{"fp32", 52}}}, {"source", "t"}};
  }

  GenRequest Request(int attempt, std::vector<Feedback> history = {}) {
    GenRequest r;
    r.task = &task_;
    r.target = target_;
    r.attempt = attempt;
    r.history = std::move(history);
    return r;
  }

  static std::string UserPrompt(const LlmRequest& r) {
    for (const ChatMessage& m : r.messages) {
      if (m.role == "user") return m.content;
    }
    return "";
  }

  TaskInfo task_;
  Target target_;
  std::vector<Skill> skills_;
  LlmAgentOptions options_;
};

TEST_F(LlmAgentsTest, DesignerPromptHasTaskSourceSkillAndPeaks) {
  ScriptedLlm llm({"## Computation\nFuse gelu and the scale.\n\n```json\n{\"BLOCK\": 1024}\n```\n"});
  LlmDesigner designer(&llm, options_);
  auto design = designer.MakeDesign({&task_, target_});
  ASSERT_TRUE(design.ok()) << design.status().message();
  ASSERT_EQ(llm.requests().size(), 1u);
  const LlmRequest req = llm.requests()[0];
  EXPECT_EQ(req.agent, "kernel_designer");
  ASSERT_EQ(req.messages.size(), 2u);
  EXPECT_EQ(req.messages[0].role, "system");
  std::string user = req.messages[1].content;
  EXPECT_NE(user.find(kTaskSource), std::string::npos);
  EXPECT_NE(user.find("SKILL-CPP-SIMD-BODY"), std::string::npos);
  EXPECT_EQ(user.find("SKILL-CPP-DEBUG-BODY"), std::string::npos);  // another stage
  EXPECT_EQ(user.find("SKILL-TRITON-BODY"), std::string::npos);     // another DSL
  EXPECT_NE(user.find("gelu = aten.gelu.default(x) -> float32[16, 1024]"), std::string::npos)
      << user;
  EXPECT_NE(user.find("return [mul]"), std::string::npos);
  EXPECT_NE(user.find("2970 GB/s"), std::string::npos);
  EXPECT_NE(req.messages[0].content.find("load_cpp"), std::string::npos);  // cpp DSL notes
  EXPECT_NE(design->sketch.find("Fuse gelu and the scale."), std::string::npos);
  EXPECT_EQ(design->hints, (Json{{"BLOCK", 1024}}));
  EXPECT_EQ(designer.skills_used(), (std::vector<std::string>{"cpp-simd"}));
}

TEST_F(LlmAgentsTest, DesignWithoutJsonBlockHasNullHints) {
  ScriptedLlm llm({"Just prose.\n```json\n{not json}\n```\n"});
  LlmDesigner designer(&llm, options_);
  auto design = designer.MakeDesign({&task_, target_});
  ASSERT_TRUE(design.ok());
  EXPECT_TRUE(design->hints.is_null());
  EXPECT_TRUE(DesignHintsFromReply("no block").is_null());
  EXPECT_EQ(DesignHintsFromReply("x\n~~~JSON\n{\"a\": [1]}\n~~~\n"), (Json{{"a", {1}}}));
}

TEST_F(LlmAgentsTest, KernelGenFirstAttemptUsesDesignAndReturnsCode) {
  ScriptedLlm llm({kGoodReply});
  LlmKernelGen gen(&llm, options_);
  Design design{"## Plan\nDESIGN-SKETCH-TEXT\n", Json{{"BLOCK", 512}}};
  GenRequest r = Request(1);
  r.design = &design;
  auto c = gen.Generate(r);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_NE(c->code.find("class ModelNew(nn.Module):"), std::string::npos);
  EXPECT_EQ(c->code.find("```"), std::string::npos);
  EXPECT_EQ(c->description, "One OpenMP loop computes gelu(x) * 2 in a single pass.");
  EXPECT_TRUE(c->hints.is_null());
  const LlmRequest req = llm.requests().at(0);
  EXPECT_EQ(req.agent, "kernel_gen");
  std::string user = UserPrompt(req);
  EXPECT_NE(user.find("DESIGN-SKETCH-TEXT"), std::string::npos);
  EXPECT_NE(user.find("\"BLOCK\": 512"), std::string::npos);
  EXPECT_NE(user.find("SKILL-CPP-SIMD-BODY"), std::string::npos);
  EXPECT_EQ(user.find("Earlier attempts failed"), std::string::npos);
  // The contract and the exact answer format are in the system prompt.
  EXPECT_NE(req.messages[0].content.find("class ModelNew(nn.Module)"), std::string::npos);
  EXPECT_NE(req.messages[0].content.find("```python"), std::string::npos);
}

TEST_F(LlmAgentsTest, KernelGenSecondPromptCarriesVerifierFeedbackAndPreviousCode) {
  ScriptedLlm llm({kGoodReply, kGoodReply});
  LlmKernelGen gen(&llm, options_);
  ASSERT_TRUE(gen.Generate(Request(1)).ok());
  std::string long_log = "HEAD-OF-LOG\n" + std::string(20000, 'x') + "\nTAIL-OF-LOG: IndexError";
  Feedback f{"wrong_answer", "output 0: 12 of 16384 elements differ (max abs err 0.5)", long_log,
             "mismatch"};
  auto c = gen.Generate(Request(2, {f}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::string user = UserPrompt(llm.requests().at(1));
  EXPECT_NE(user.find("Attempt 1: wrong_answer (mismatch)"), std::string::npos) << user;
  EXPECT_NE(user.find("12 of 16384 elements differ"), std::string::npos);
  EXPECT_NE(user.find("HEAD-OF-LOG"), std::string::npos);
  EXPECT_NE(user.find("TAIL-OF-LOG: IndexError"), std::string::npos);
  EXPECT_LT(user.size(), 16000u);  // the long log was cut
  EXPECT_NE(user.find("return launch(x)"), std::string::npos);  // the previous attempt's code
  EXPECT_NE(user.find("SKILL-CPP-DEBUG-BODY"), std::string::npos);  // debug-stage skill
  EXPECT_EQ(gen.skills_used(), (std::vector<std::string>{"cpp-debugging", "cpp-simd"}));
}

TEST_F(LlmAgentsTest, AShapeSpecificFailureComesBackWithWhatToChange) {
  ScriptedLlm llm({kGoodReply, kGoodReply});
  LlmKernelGen gen(&llm, options_);
  Feedback f{"wrong_answer",
             "passed at the task's sizes, not at batch_size=7, dim=1023: output 0 differs",
             "", "shape_specific"};
  ASSERT_TRUE(gen.Generate(Request(2, {f})).ok());
  std::string user = UserPrompt(llm.requests().at(0));
  EXPECT_NE(user.find("Attempt 1: wrong_answer (shape_specific)"), std::string::npos) << user;
  EXPECT_NE(user.find("batch_size=7, dim=1023"), std::string::npos);
  EXPECT_NE(user.find("How to fix it: The kernel is right at the task's sizes"), std::string::npos);
  EXPECT_NE(user.find("`x.shape`"), std::string::npos);
  EXPECT_EQ(FailureAdvice("mismatch"), "");  // the generic advice covers the others
}

TEST_F(LlmAgentsTest, TheContractStatesTheToleranceRuleAndTheShapeTrialsWhenOn) {
  auto system_prompt = [this](const std::string& shapes) {
    LlmAgentOptions o = options_;
    o.shapes = shapes;
    ScriptedLlm llm({kGoodReply});
    LlmKernelGen gen(&llm, o);
    EXPECT_TRUE(gen.Generate(Request(1)).ok());
    return llm.requests().at(0).messages[0].content;
  };
  std::string vary = system_prompt("vary");
  EXPECT_NE(vary.find("reference computed in float64"), std::string::npos) << vary;
  EXPECT_NE(vary.find("16 times the float32 reference's own"), std::string::npos);
  EXPECT_NE(vary.find("TF32 matmuls) fails"), std::string::npos);
  EXPECT_NE(vary.find("Shape trials:"), std::string::npos);
  EXPECT_NE(vary.find("`shape_specific`"), std::string::npos);
  EXPECT_NE(vary.find("the harness also runs other, odd"), std::string::npos);  // dsl_cpp.md
  std::string task = system_prompt("task");
  EXPECT_EQ(task.find("Shape trials:"), std::string::npos);
  EXPECT_EQ(task.find("other, odd"), std::string::npos);
  EXPECT_NE(task.find("never copy a number"), std::string::npos);  // generality still asked for
}

TEST_F(LlmAgentsTest, MalformedReplyIsFedBackAndGoodSecondReplyAccepted) {
  ScriptedLlm llm({"I would use OpenMP with a SIMD loop over the rows.", kGoodReply});
  LlmKernelGen gen(&llm, options_);
  auto c = gen.Generate(Request(1));
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(llm.requests().size(), 2u);
  const LlmRequest retry = llm.requests()[1];
  ASSERT_EQ(retry.messages.size(), 4u);
  EXPECT_EQ(retry.messages[2].role, "assistant");
  EXPECT_EQ(retry.messages[2].content, "I would use OpenMP with a SIMD loop over the rows.");
  EXPECT_EQ(retry.messages[3].role, "user");
  EXPECT_NE(retry.messages[3].content.find("the reply has no code block"), std::string::npos)
      << retry.messages[3].content;
  EXPECT_NE(c->code.find("class ModelNew"), std::string::npos);
}

TEST_F(LlmAgentsTest, ReplyThatStaysBadIsAClearError) {
  ScriptedLlm llm({"```python\nimport torch\n```\n", "Sorry, I cannot."});
  LlmKernelGen gen(&llm, options_);
  auto c = gen.Generate(Request(1));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(llm.requests().size(), 2u);
  const std::string m = c.status().message();
  EXPECT_NE(m.find("KernelGen"), std::string::npos) << m;
  EXPECT_NE(m.find("no usable code in two replies"), std::string::npos) << m;
  EXPECT_NE(m.find("the reply has no code block"), std::string::npos) << m;
  EXPECT_NE(m.find(".akg/settings.yaml"), std::string::npos) << m;
}

TEST_F(LlmAgentsTest, TruncatedReplyIsRetried) {
  ScriptedLlm llm;
  llm.Enqueue("```python\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        re",
              "length");
  llm.Enqueue(kGoodReply);
  LlmKernelGen gen(&llm, options_);
  auto c = gen.Generate(Request(1));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_NE(llm.requests()[1].messages[3].content.find("cut off"), std::string::npos);
}

TEST_F(LlmAgentsTest, ModelErrorsKeepTheirKindAndNameTheAgent) {
  ScriptedLlm llm;
  llm.EnqueueError(ConfigError("openai deepseek: 401 unauthorized; check the key"),
                   LlmErrorKind::kAuth);
  LlmKernelGen gen(&llm, options_);
  auto c = gen.Generate(Request(1));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kConfig);
  EXPECT_EQ(c.status().message(), "KernelGen: openai deepseek: 401 unauthorized; check the key");
}

TEST_F(LlmAgentsTest, DescriptionFallsBackToTheAttemptNumber) {
  ScriptedLlm llm({"```python\nclass ModelNew(nn.Module):\n    pass\n```"});
  LlmKernelGen gen(&llm, options_);
  auto c = gen.Generate(Request(3));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->description, "LLM kernel, attempt 3");
}

TEST_F(LlmAgentsTest, OptimisePromptsShowEachCodeOnceAndNoFasterCodeThanTheParentWhenNone) {
  ScriptedLlm llm({kGoodReply});
  LlmKernelGen gen(&llm, options_);
  ScoredKernel parent{"c07", "PARENT-CODE", "row loop", nullptr, "passed",
                      "passed; 0.2000 ms, 1.25x vs eager", 1.25, 0.2};
  GenRequest r = Request(1);
  r.parent = &parent;
  r.inspirations = {parent,  // the parent again: already shown above
                    {"c03", "SLOW-CODE", "naive loop", nullptr, "passed",
                     "passed; 0.3125 ms, 0.80x vs eager", 0.8, 0.3125},
                    {"c04", "SLOW-CODE", "naive copy", nullptr, "passed", "", 0.79, 0.316}};
  ASSERT_TRUE(gen.Generate(r).ok());
  std::string user = UserPrompt(llm.requests()[0]);
  EXPECT_EQ(user.find("- row loop"), std::string::npos) << user;
  EXPECT_EQ(user.find("- naive copy"), std::string::npos);  // the same code as naive loop
  EXPECT_NE(user.find("- naive loop: passed, 0.3125 ms, 0.80x vs eager\n"), std::string::npos)
      << user;  // its summary would only repeat the numbers
  EXPECT_EQ(user.find("The fastest of them"), std::string::npos);  // none beats the parent
  EXPECT_EQ(user.find("SLOW-CODE"), std::string::npos);
}

TEST_F(LlmAgentsTest, OptimiseStageShowsParentAndBestInspiration) {
  ScriptedLlm llm({kGoodReply});
  LlmKernelGen gen(&llm, options_);
  ScoredKernel parent{"c07", "PARENT-CODE", "row loop", nullptr, "passed",
                      "median 0.20 ms, 42% of the speed of light", 1.25, 0.2};
  GenRequest r = Request(1);
  r.parent = &parent;
  r.inspirations = {{"c03", "SLOW-CODE", "naive loop", nullptr, "passed", "", 0.8, 0.3125},
                    {"c06", "BROKEN-CODE", "vector loop", nullptr, "wrong_answer", "mismatch", 0},
                    {"c05", "BEST-CODE", "blocked loop", nullptr, "passed", "", 1.9, 0.1316},
                    {"c08", "NOISY-CODE", "tiled loop", nullptr, "passed", "", 1.1, 0.2273,
                     true}};
  ASSERT_TRUE(gen.Generate(r).ok());
  std::string user = UserPrompt(llm.requests()[0]);
  EXPECT_EQ(GenStage(r), "optimise");
  EXPECT_NE(user.find("Kernel to improve (0.2000 ms, 1.25x vs eager, passed)"),
            std::string::npos) << user;
  EXPECT_NE(user.find("PARENT-CODE"), std::string::npos);
  EXPECT_NE(user.find("42% of the speed of light"), std::string::npos);
  EXPECT_NE(user.find("- naive loop: passed, 0.3125 ms, 0.80x vs eager"), std::string::npos)
      << user;
  EXPECT_NE(user.find("- vector loop: wrong_answer, not timed, not measured vs eager (mismatch)"),
            std::string::npos);
  EXPECT_NE(user.find("- tiled loop: passed, 0.2273 ms, 1.10x (noisy) vs eager"),
            std::string::npos);
  // Fastest first, failures last: the prompt's order is the ranking's.
  auto blocked = user.find("- blocked loop"), tiled = user.find("- tiled loop"),
       naive = user.find("- naive loop"), broken = user.find("- vector loop");
  EXPECT_TRUE(blocked < tiled && tiled < naive && naive < broken) << user;
  EXPECT_NE(user.find("The fastest of them, faster than the kernel to improve (0.1316 ms, "
                      "1.90x vs eager)"), std::string::npos);
  EXPECT_NE(user.find("BEST-CODE"), std::string::npos);
  EXPECT_EQ(user.find("SLOW-CODE"), std::string::npos);
  EXPECT_EQ(user.find("BROKEN-CODE"), std::string::npos);
  EXPECT_NE(user.find("Write a faster version"), std::string::npos);
}

// Every DSL's notes and every stage render from the shipped templates without unknown
// variables, under both policies.
TEST_F(LlmAgentsTest, ShippedTemplatesRenderForEveryDslStageAndPolicy) {
  for (const std::string& dsl : KnownDsls()) {
    for (const char* policy : {"strict", "partial"}) {
      LlmAgentOptions o = options_;
      o.policy = policy;
      o.extra_glue = {"torch.ones_like"};
      o.arch_peaks = nullptr;
      ScriptedLlm llm;
      llm.SetHandler([](const LlmRequest&) { return Result<LlmReply>(ScriptedLlm::Reply(kGoodReply)); });
      Target t{"torch", dsl == "cpp" ? "cpu" : "cuda", "h100", dsl};
      LlmDesigner designer(&llm, o);
      Result<Design> design = designer.MakeDesign({&task_, t});
      ASSERT_TRUE(design.ok()) << dsl << ": " << design.status().message();
      LlmKernelGen gen(&llm, o);
      GenRequest r = Request(1);
      r.target = t;
      r.design = &*design;
      ASSERT_TRUE(gen.Generate(r).ok()) << dsl;
      r.attempt = 2;
      r.history = {{"compile_error", "g++ failed", "error: expected ';'", "compile_failed"}};
      ScoredKernel parent{"p", "code", "desc", nullptr, "passed", "fast", 2.0};
      r.parent = &parent;
      r.inspirations = {parent};
      auto c = gen.Generate(r);
      ASSERT_TRUE(c.ok()) << dsl << ": " << c.status().message();
      std::string system = llm.requests().back().messages[0].content;
      EXPECT_NE(system.find("DSL " + dsl), std::string::npos) << system.substr(0, 2000);
      bool strict = std::string(policy) == "strict";
      EXPECT_EQ(system.find("Strict policy") != std::string::npos, strict) << dsl << policy;
      EXPECT_EQ(system.find("torch.ones_like") != std::string::npos, strict) << dsl << policy;
      EXPECT_NE(UserPrompt(llm.requests().back()).find("not known in advance"), std::string::npos);
    }
  }
}

TEST_F(LlmAgentsTest, MissingPromptsFolderIsAClearError) {
  options_.prompts_dir = "/nonexistent/prompts";
  ScriptedLlm llm({kGoodReply});
  LlmKernelGen gen(&llm, options_);
  auto c = gen.Generate(Request(1));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kConfig);
  EXPECT_NE(c.status().message().find("/nonexistent/prompts"), std::string::npos);
  EXPECT_TRUE(llm.requests().empty());
}

TEST(LlmAgentsContextTest, LogExcerptKeepsHeadAndTail) {
  EXPECT_EQ(LogExcerpt("short", 100), "short");
  std::string log = "HEAD" + std::string(10000, '.') + "TAIL";
  std::string cut = LogExcerpt(log, 1000);
  EXPECT_EQ(cut.rfind("HEAD", 0), 0u);
  EXPECT_EQ(cut.substr(cut.size() - 4), "TAIL");
  EXPECT_NE(cut.find("characters cut"), std::string::npos);
  EXPECT_LT(cut.size(), 1100u);
}

TEST(LlmAgentsContextTest, OpGraphSummaryWithoutGraphSaysWhy) {
  Json inspection = {{"graph", nullptr}, {"graph_error", "export failed: data-dependent"}};
  EXPECT_NE(OpGraphSummary(ParseOpGraph(inspection)).find("export failed: data-dependent"), std::string::npos);
}

TEST(LlmAgentsContextTest, OpGraphSummaryShortensLongGraphs) {
  Json nodes = Json::array();
  for (int i = 0; i < 200; ++i) {
    nodes.push_back({{"name", "n" + std::to_string(i)}, {"op", "call_function"},
                     {"target", "aten.relu.default"}, {"args", Json::array()},
                     {"shape", {4}}, {"dtype", "float32"}});
  }
  std::string s = OpGraphSummary(ParseOpGraph({{"graph", {{"source", "torch.export"}, {"nodes", nodes}}}}), 40);
  EXPECT_NE(s.find("n0 = aten.relu.default() -> float32[4]"), std::string::npos);
  EXPECT_NE(s.find("n199 = "), std::string::npos);
  EXPECT_NE(s.find("... 160 more nodes ..."), std::string::npos) << s;
}

}  // namespace
}  // namespace akg
