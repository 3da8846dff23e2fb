#include "agents/task_constructor.h"

#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/files.h"
#include "env/fake_process_runner.h"
#include "llm/scripted_llm.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

const char* kGoodTask =
    "import torch\nimport torch.nn as nn\n\n"
    "class Model(nn.Module):\n"
    "    def forward(self, x):\n"
    "        return torch.relu(x)\n\n"
    "def get_inputs():\n    return [torch.randn(16, 1024)]\n\n"
    "def get_init_inputs():\n    return []\n";

std::string Fenced(const std::string& code) { return "```python\n" + code + "```\n"; }

std::string ArgAfter(const ProcessSpec& spec, const std::string& flag) {
  for (size_t i = 0; i + 1 < spec.argv.size(); ++i) {
    if (spec.argv[i] == flag) return spec.argv[i + 1];
  }
  return "";
}

// Plays the harness's inspect: a task file containing "BROKEN" raises in the reference.
ProcessResult FakeInspect(const ProcessSpec& spec) {
  Json req = *ParseJson(*ReadFile(ArgAfter(spec, "--request")), "request");
  std::string source = *ReadFile(req["task_path"].get<std::string>());
  Json res;
  if (source.find("BROKEN") != std::string::npos) {
    res = {{"ok", false},
           {"error", {{"kind", "reference_error"},
                      {"message", "RuntimeError: mat1 and mat2 shapes cannot be multiplied"}}}};
  } else {
    res = {{"ok", true}, {"inputs", Json::array()}, {"outputs", Json::array()},
           {"graph", nullptr}};
  }
  EXPECT_TRUE(WriteFileAtomic(ArgAfter(spec, "--result"), res.dump()).ok());
  return FakeProcessRunner::Exited(0);
}

class TaskConstructorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("akg_task_constructor_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    runner_.SetHandler(FakeInspect);
    HarnessOptions ho;
    ho.work_root = root_ / "work";
    harness_ = std::make_unique<HarnessClient>(&runner_, ho);
    options_.prompts_dir = std::string(AKG_SOURCE_DIR) + "/prompts";
    options_.work_dir = root_ / "task";
    options_.target = {"torch", "cuda", "h100", "triton_cuda"};
  }
  void TearDown() override { fs::remove_all(root_); }

  static std::string User(const LlmRequest& r) { return r.messages.back().content; }

  fs::path root_;
  FakeProcessRunner runner_;
  std::unique_ptr<HarnessClient> harness_;
  TaskConstructorOptions options_;
};

TEST_F(TaskConstructorTest, RetriesAfterInspectFailureAndSucceeds) {
  std::string broken = std::string(kGoodTask) + "# BROKEN\n";
  ScriptedLlm llm({"Here is the task:\n" + Fenced(broken), Fenced(kGoodTask)});
  TaskConstructor tc(&llm, harness_.get(), options_);
  auto task = tc.FromSentence("relu of a 16x1024 matrix");
  ASSERT_TRUE(task.ok()) << task.status().message();
  EXPECT_EQ(task->source, kGoodTask);
  EXPECT_EQ(task->llm_calls, 2);
  EXPECT_EQ(task->path, root_ / "task" / "task.py");
  EXPECT_EQ(*ReadFile(task->path), kGoodTask);
  EXPECT_TRUE(task->inspection["ok"].get<bool>());
  auto requests = llm.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].agent, "task_constructor");
  EXPECT_EQ(requests[0].messages[0].role, "system");
  EXPECT_NE(requests[0].messages[0].content.find("get_init_inputs"), std::string::npos);
  EXPECT_NE(User(requests[0]).find("relu of a 16x1024 matrix"), std::string::npos);
  std::string fix = User(requests[1]);
  EXPECT_NE(fix.find("mat1 and mat2 shapes cannot be multiplied"), std::string::npos) << fix;
  EXPECT_NE(fix.find("# BROKEN"), std::string::npos);  // the failing version is shown
  EXPECT_NE(fix.find("relu of a 16x1024 matrix"), std::string::npos);
  EXPECT_EQ(runner_.run_count(), 2u);
}

TEST_F(TaskConstructorTest, GivesUpAfterThreeAttemptsWithTheLastError) {
  std::string broken = std::string(kGoodTask) + "# BROKEN\n";
  ScriptedLlm llm({Fenced(broken), "no code, sorry", Fenced(broken), Fenced(kGoodTask)});
  TaskConstructor tc(&llm, harness_.get(), options_);
  auto task = tc.FromSentence("a matmul");
  ASSERT_FALSE(task.ok());
  EXPECT_EQ(llm.requests().size(), 3u);
  EXPECT_EQ(llm.pending(), 1u);
  const std::string m = task.status().message();
  EXPECT_NE(m.find("after 3 attempts"), std::string::npos) << m;
  EXPECT_NE(m.find("mat1 and mat2"), std::string::npos) << m;
  EXPECT_NE(m.find("--task"), std::string::npos) << m;
  // The reply without code was answered with the extraction problem.
  EXPECT_NE(User(llm.requests()[2]).find("no code block"), std::string::npos);
}

TEST_F(TaskConstructorTest, CompletePastedCodeIsUsedAsIs) {
  ScriptedLlm llm;  // any call fails the test: nothing is scripted
  TaskConstructor tc(&llm, harness_.get(), options_);
  auto task = tc.FromCode(kGoodTask);
  ASSERT_TRUE(task.ok()) << task.status().message();
  EXPECT_EQ(task->source, kGoodTask);
  EXPECT_EQ(task->llm_calls, 0);
  EXPECT_TRUE(llm.requests().empty());
}

TEST_F(TaskConstructorTest, CompletePastedCodeThatFailsGoesToTheModelWithTheError) {
  std::string broken = std::string(kGoodTask) + "# BROKEN\n";
  ScriptedLlm llm({Fenced(kGoodTask)});
  TaskConstructor tc(&llm, harness_.get(), options_);
  auto task = tc.FromCode(broken);
  ASSERT_TRUE(task.ok()) << task.status().message();
  EXPECT_EQ(task->llm_calls, 1);
  std::string fix = User(llm.requests().at(0));
  EXPECT_NE(fix.find("mat1 and mat2"), std::string::npos);
  EXPECT_NE(fix.find("# BROKEN"), std::string::npos);
}

TEST_F(TaskConstructorTest, PastedCodeMissingPiecesIsCompletedByTheModel) {
  std::string pasted = "import torch\n\ndef f(x):\n    return torch.relu(x)\n";
  ScriptedLlm llm({Fenced(kGoodTask)});
  TaskConstructor tc(&llm, harness_.get(), options_);
  auto task = tc.FromCode(pasted);
  ASSERT_TRUE(task.ok()) << task.status().message();
  std::string prompt = User(llm.requests().at(0));
  EXPECT_NE(prompt.find(pasted), std::string::npos);
  EXPECT_NE(prompt.find("class Model(nn.Module), get_inputs() and get_init_inputs()"),
            std::string::npos)
      << prompt;
}

TEST_F(TaskConstructorTest, ModelAnswerLackingPiecesIsSentBack) {
  std::string partial = "import torch\nimport torch.nn as nn\n\nclass Model(nn.Module):\n"
                        "    def forward(self, x):\n        return x\n";
  ScriptedLlm llm({Fenced(partial), Fenced(kGoodTask)});
  TaskConstructor tc(&llm, harness_.get(), options_);
  auto task = tc.FromSentence("identity");
  ASSERT_TRUE(task.ok()) << task.status().message();
  EXPECT_NE(User(llm.requests().at(1)).find("lacks get_inputs() and get_init_inputs()"),
            std::string::npos);
  EXPECT_EQ(runner_.run_count(), 1u);  // the incomplete file was never inspected
}

TEST_F(TaskConstructorTest, OfflineSentenceUsesTheIntentCatalogue) {
  TaskConstructor tc(nullptr, harness_.get(), options_);
  auto task = tc.FromSentence("relu");
  ASSERT_TRUE(task.ok()) << task.status().message();
  EXPECT_NE(task->source.find("class Model"), std::string::npos);
  EXPECT_EQ(task->llm_calls, 0);
  auto unknown = tc.FromSentence("a fast fourier transform over the last axis");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find(".akg/settings.yaml"), std::string::npos)
      << unknown.status().message();
}

TEST_F(TaskConstructorTest, OfflinePastedCodeWithoutGetInputsNeedsAModel) {
  TaskConstructor tc(nullptr, harness_.get(), options_);
  auto task = tc.FromCode("import torch.nn as nn\n\nclass Model(nn.Module):\n    pass\n");
  ASSERT_FALSE(task.ok());
  EXPECT_EQ(task.status().kind(), ErrorKind::kInput);
  const std::string m = task.status().message();
  EXPECT_NE(m.find("lacks get_inputs() and get_init_inputs()"), std::string::npos) << m;
  EXPECT_NE(m.find("LLM model"), std::string::npos) << m;
  EXPECT_NE(m.find(".akg/settings.yaml"), std::string::npos) << m;
  EXPECT_EQ(runner_.run_count(), 0u);
}

TEST_F(TaskConstructorTest, OfflineMissingGetInitInputsGetsAnEmptyList) {
  std::string code = kGoodTask;
  code = code.substr(0, code.find("def get_init_inputs"));
  TaskConstructor tc(nullptr, harness_.get(), options_);
  auto task = tc.FromCode(code);
  ASSERT_TRUE(task.ok()) << task.status().message();
  EXPECT_NE(task->source.find("def get_init_inputs():\n    return []\n"), std::string::npos);
}

TEST(TaskConstructorPiecesTest, FindsTopLevelDefinitionsOnly) {
  TaskPieces p = FindTaskPieces(kGoodTask);
  EXPECT_TRUE(p.complete());
  EXPECT_EQ(p.Missing(), "");
  p = FindTaskPieces("class ModelNew(nn.Module):\n    def get_inputs(self):\n        pass\n");
  EXPECT_FALSE(p.model);
  EXPECT_FALSE(p.get_inputs);  // a method, not a module-level function
  EXPECT_EQ(p.Missing(), "class Model(nn.Module), get_inputs() and get_init_inputs()");
}

}  // namespace
}  // namespace akg
