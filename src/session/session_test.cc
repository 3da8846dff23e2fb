#include "session/session.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/files.h"
#include "env/fake_env.h"
#include "session/run.h"
#include "workflow/search_test_fakes.h"  // ArgAfter

namespace akg {
namespace {

namespace fs = std::filesystem;

// Plays the harness for a verifier_only run: inspect describes any task, a kernel with "GOOD"
// passes, profile reports 2x; anything else (peaks) writes no result.
ProcessResult FakeHarness(const ProcessSpec& spec) {
  std::string command = spec.argv.at(3);
  Json res;
  if (command == "inspect") {
    res = {{"ok", true},
           {"inputs", Json::array({{{"shape", {16}}, {"dtype", "float32"}}})},
           {"outputs", Json::array({{{"shape", {16}}, {"dtype", "float32"}}})},
           {"init_inputs", Json::array()}};
  } else if (command == "verify") {
    Json req = *ParseJson(*ReadFile(ArgAfter(spec, "--request")), "request");
    std::string code = *ReadFile(req["candidate_path"].get<std::string>());
    bool good = code.find("GOOD") != std::string::npos;
    res = {{"verdict", good ? "passed" : "wrong_answer"},
           {"message", good ? "" : "output 0: 3 of 16 elements differ"}};
  } else if (command == "profile") {
    res = {{"ok", true}, {"timing_method", "cpu_wall"}, {"performance_valid", true},
           {"reference", {{"median_ms", 2.0}, {"runs", 3}}},
           {"candidate", {{"median_ms", 1.0}, {"runs", 3}}},
           {"speedup_vs_eager", 2.0}, {"suspect", Json::array()}};
  } else {
    return FakeProcessRunner::Exited(1, "", "not scripted");
  }
  (void)WriteFileAtomic(ArgAfter(spec, "--result"), res.dump());
  return FakeProcessRunner::Exited(0);
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("akg_session_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    env_.working_dir = root_;
    env_.fake_runner().SetHandler(FakeHarness);
    task_ = root_ / "relu.py";
    std::ofstream(task_) << "import torch\nclass Model(torch.nn.Module):\n"
                            "    def forward(self, x):\n        return torch.relu(x)\n"
                            "def get_inputs():\n    return [torch.randn(16)]\n"
                            "def get_init_inputs():\n    return []\n";
    kernel_ = root_ / "kernel.py";
    std::ofstream(kernel_) << "# GOOD\nclass ModelNew: pass\n";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::unique_ptr<Session> Open(SessionOptions o = {}) {
    if (o.target.dsl.empty()) o.target = {"torch", "cpu", "x86_64", "cpp"};
    auto s = Session::Open(o, &env_, [this](const std::string& n) { notes_.push_back(n); });
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  RunRequest VerifyKernel(const std::string& out) {
    RunRequest r;
    r.task = {TaskInput::Kind::kFile, task_.string()};
    r.workflow = "verifier_only";
    r.kernel_file = kernel_.string();
    r.out_dir = (root_ / out).string();
    return r;
  }

  fs::path root_, task_, kernel_;
  FakeEnv env_;
  std::vector<std::string> notes_;
};

TEST_F(SessionTest, ARunWritesItsFolderAndEmitsTypedEvents) {
  auto session = Open();
  ASSERT_NE(session, nullptr);
  std::vector<RunEvent> events;
  akg::Run run(session.get(), VerifyKernel("run1"), [&](const RunEvent& e) { events.push_back(e); });
  ASSERT_TRUE(run.Check().ok());
  auto result = run.Execute();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->exit_code, 0);
  for (const char* file : {"run.json", "task.py", "inspect.json", "kernel.py", "report.json"}) {
    EXPECT_TRUE(fs::exists(root_ / "run1" / file)) << file;
  }
  bool staged = false, passed = false, timed = false;
  for (const RunEvent& e : events) {
    staged |= e.kind == RunEvent::Kind::kPhase && e.phase == "task";
    passed |= e.kind == RunEvent::Kind::kVerdict && e.verdict == "passed";
    timed |= e.kind == RunEvent::Kind::kTiming && e.speedup == 2.0;
  }
  EXPECT_TRUE(staged && passed && timed);
  EXPECT_EQ(FormatRunEvent(events.front()), "[task] inspecting the task with the harness");
}

TEST_F(SessionTest, ACancelledRunStartsNothingAndTheSessionServesTheNextRun) {
  auto session = Open();
  ASSERT_NE(session, nullptr);
  size_t before = env_.fake_runner().run_count();
  akg::Run cancelled(session.get(), VerifyKernel("run1"), nullptr);
  cancelled.Cancel();
  auto first = cancelled.Execute();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().kind(), ErrorKind::kCancelled) << first.status().message();
  EXPECT_FALSE(fs::exists(root_ / "run1"));
  // Its one call (the inspection) was refused before it started.
  auto specs = env_.fake_runner().specs();
  ASSERT_EQ(specs.size(), before + 1);
  EXPECT_TRUE(IsCancelled(specs.back().cancel));
  EXPECT_FALSE(session->token()->cancelled());

  akg::Run next(session.get(), VerifyKernel("run2"), nullptr);
  auto second = next.Execute();
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->exit_code, 0);
  // Every call of the second run carried its own, live token.
  for (size_t i = before + 1; i < env_.fake_runner().specs().size(); ++i) {
    EXPECT_FALSE(IsCancelled(env_.fake_runner().specs()[i].cancel));
  }
}

TEST_F(SessionTest, AKernelThatFailsIsAResultWithExitCodeOneNotAnError) {
  std::ofstream(kernel_) << "class ModelNew: pass\n";
  auto session = Open();
  ASSERT_NE(session, nullptr);
  akg::Run run(session.get(), VerifyKernel("run1"), nullptr);
  auto result = run.Execute();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_FALSE(fs::exists(root_ / "run1" / "kernel.py"));
}

TEST_F(SessionTest, ABadConfigFailsTheOpenNamingTheKey) {
  fs::path bad = root_ / "bad.yaml";
  std::ofstream(bad) << "max_stepz: 3\n";
  SessionOptions o;
  o.target = {"torch", "cpu", "x86_64", "cpp"};
  o.config_file = bad.string();
  auto s = Session::Open(o, &env_, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("max_stepz"), std::string::npos) << s.status().message();
  EXPECT_EQ(env_.fake_runner().run_count(), 0u);  // no harness started
}

TEST_F(SessionTest, TheRunChecksItsWorkflowInputsBeforeAnythingRuns) {
  auto session = Open();
  ASSERT_NE(session, nullptr);
  RunRequest r = VerifyKernel("run1");
  r.kernel_file.clear();
  EXPECT_NE(akg::Run(session.get(), r, nullptr).Check().message().find("needs --kernel"),
            std::string::npos);
  r.workflow = "nonesuch";
  Status unknown = akg::Run(session.get(), r, nullptr).Check();
  EXPECT_NE(unknown.message().find("default, coder_only"), std::string::npos) << unknown.message();
  EXPECT_EQ(env_.fake_runner().run_count(), 0u);
}

TEST(FindHarnessPythonTest, ConfigThenAkgPythonThenTheFileBesideTheBinaryThenPython3) {
  fs::path dir = fs::temp_directory_path() / ("akg_find_python_" + std::to_string(getpid()));
  fs::create_directories(dir);
  FakeEnv env;
  std::string why;
  EXPECT_EQ(FindHarnessPython(env, "", &why), "python3");
  env.executable_dir = dir;
  EXPECT_EQ(FindHarnessPython(env, ""), "python3");  // no akg_python there
  fs::path interpreter = dir / "python";
  std::ofstream(interpreter) << "";
  std::ofstream(dir / "akg_python") << interpreter.string() << "\n";
  EXPECT_EQ(FindHarnessPython(env, "", &why), interpreter.string());
  EXPECT_NE(why.find("akg_python"), std::string::npos) << why;
  env.vars["AKG_PYTHON"] = "/opt/py/bin/python";
  EXPECT_EQ(FindHarnessPython(env, ""), "/opt/py/bin/python");
  EXPECT_EQ(FindHarnessPython(env, "/configured/python"), "/configured/python");
  fs::remove(interpreter);  // a stale file naming a removed interpreter is skipped
  env.vars.clear();
  EXPECT_EQ(FindHarnessPython(env, ""), "python3");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace akg
