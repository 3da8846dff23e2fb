// HarnessClient in warm mode against the real `python -m akg_harness.server` (skipped when the
// harness Python is absent: set AKG_PYTHON, or run scripts/setup.sh), plus the pieces that need
// no Python.
#include "verify/warm_harness.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/files.h"
#include "env/fake_process_runner.h"
#include "verify/harness_client.h"

namespace akg {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const fs::path kSource = AKG_SOURCE_DIR;

// AKG_PYTHON, else the venv scripts/setup.sh recorded in build/akg_python; "" when neither.
std::string HarnessPython() {
  const char* env = std::getenv("AKG_PYTHON");
  if (env && *env) return env;
  std::ifstream recorded(kSource / "build" / "akg_python");
  std::string path;
  std::getline(recorded, path);
  return path;
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

bool Alive(int pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  size_t paren = text.rfind(')');
  return paren == std::string::npos || text.substr(paren + 2, 1) != "Z";
}

bool DiesWithin(int pid, double seconds) {
  auto start = Clock::now();
  while (Seconds(start) < seconds) {
    if (!Alive(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class WarmHarnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (HarnessPython().empty() || !fs::exists(HarnessPython())) {
      GTEST_SKIP() << "no harness Python (set AKG_PYTHON or run scripts/setup.sh)";
    }
    root_ = fs::temp_directory_path() /
            ("akg_warm_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "work");
  }
  void TearDown() override {
    clients_.clear();  // stops their servers before the folders go
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  HarnessOptions Options() {
    HarnessOptions ho;
    ho.python = HarnessPython();
    ho.harness_dir = kSource / "harness";
    ho.work_root = root_ / "work";
    ho.limits.open_files = 4096;
    ho.on_note = [this](const std::string& note) { notes_.push_back(note); };
    return ho;
  }

  HarnessClient* Client(HarnessOptions ho) {
    clients_.push_back(std::make_unique<HarnessClient>(&runner_, std::move(ho)));
    return clients_.back().get();
  }

  // A task whose module runs `prelude` when the harness loads it.
  fs::path Task(const std::string& name, const std::string& prelude) {
    fs::path path = root_ / (name + ".py");
    std::ofstream(path) << prelude << "\n"
                        << "import torch\n"
                           "class Model(torch.nn.Module):\n"
                           "    def forward(self, x):\n"
                           "        return torch.relu(x)\n"
                           "def get_inputs():\n"
                           "    return [torch.randn(64, 64)]\n"
                           "def get_init_inputs():\n"
                           "    return []\n";
    return path;
  }

  static VerifyRequest Relu(const fs::path& task, double timeout_s = 120) {
    VerifyRequest req;
    req.task_path = task;
    req.candidate_path = kSource / "harness/tests/fixtures/relu_cpp.py";
    req.dsl = "cpp";
    req.trials = 2;
    req.timeout_s = timeout_s;
    return req;
  }

  static int ServerPid(HarnessClient* client) {
    Json info = client->WarmServerInfo();
    return info.is_object() ? static_cast<int>(NumberOr(info, "pid", 0)) : 0;
  }

  fs::path root_;
  PosixProcessRunner runner_;
  std::vector<std::string> notes_;
  std::vector<std::unique_ptr<HarnessClient>> clients_;
};

TEST_F(WarmHarnessTest, VerifiesLikeTheColdPathAndReusesOneServer) {
  fs::path task = kSource / "harness/tests/fixtures/relu_task.py";
  HarnessClient* warm = Client(Options());
  Verdict first = warm->Verify(Relu(task));
  ASSERT_EQ(first.kind, VerdictKind::kPassed) << first.message << "\n" << first.log;
  int pid = ServerPid(warm);
  EXPECT_GT(pid, 0);
  Verdict second = warm->Verify(Relu(task));
  EXPECT_EQ(second.kind, VerdictKind::kPassed);
  EXPECT_EQ(ServerPid(warm), pid);
  EXPECT_EQ(warm->ModeDescription(), "warm");

  HarnessOptions cold_options = Options();
  cold_options.mode = HarnessMode::kCold;
  HarnessClient* cold = Client(cold_options);
  Verdict reference = cold->Verify(Relu(task));
  ASSERT_EQ(reference.kind, VerdictKind::kPassed) << reference.message;
  EXPECT_TRUE(cold->WarmServerInfo().is_null());
  for (const char* key : {"verdict", "reason", "runtime_proof", "atol", "rtol", "policy"}) {
    EXPECT_EQ(first.details[key], reference.details[key]) << key;
  }
  ASSERT_EQ(first.details["trials"].size(), reference.details["trials"].size());
  for (size_t t = 0; t < first.details["trials"].size(); ++t) {
    Json a = first.details["trials"][t], b = reference.details["trials"][t];
    a.erase("reference_cached"), b.erase("reference_cached");
    EXPECT_EQ(a, b) << "trial " << t;
  }
  EXPECT_TRUE(notes_.empty());
}

TEST_F(WarmHarnessTest, ConcurrentVerifiesRunSideBySideInOneServer) {
  HarnessClient* client = Client(Options());
  fs::path task = kSource / "harness/tests/fixtures/relu_task.py";
  std::vector<Verdict> verdicts(3);
  std::vector<std::thread> threads;
  for (auto& v : verdicts) {
    threads.emplace_back([&v, client, task] { v = client->Verify(Relu(task)); });
  }
  for (auto& t : threads) t.join();
  for (const Verdict& v : verdicts) EXPECT_EQ(v.kind, VerdictKind::kPassed) << v.message;
  EXPECT_GT(ServerPid(client), 0);
}

TEST_F(WarmHarnessTest, SecretsReachNeitherTheServerNorItsChildren) {
  setenv("AKG_WARM_TEST_API_KEY", "leaked-value", 1);
  HarnessClient* client = Client(Options());
  fs::path probe = root_ / "child_env.txt";
  fs::path task = Task("env_probe", "import os\n"
                                    "open('" + probe.string() + "', 'w').write(\n"
                                    "    '\\n'.join(f'{k}={v}' for k, v in os.environ.items()))\n");
  Verdict v = client->Verify(Relu(task));
  unsetenv("AKG_WARM_TEST_API_KEY");
  ASSERT_EQ(v.kind, VerdictKind::kPassed) << v.message;
  std::ifstream child_in(probe);
  std::string child_env((std::istreambuf_iterator<char>(child_in)), {});
  std::ifstream server_in("/proc/" + std::to_string(ServerPid(client)) + "/environ");
  std::string server_env((std::istreambuf_iterator<char>(server_in)), {});
  ASSERT_FALSE(child_env.empty());
  ASSERT_FALSE(server_env.empty());
  EXPECT_EQ(child_env.find("leaked-value"), std::string::npos);
  EXPECT_EQ(server_env.find("leaked-value"), std::string::npos);
  // Each child has its own call folder as HOME, not the server's.
  EXPECT_NE(child_env.find("HOME=" + (root_ / "work").string() + "/"), std::string::npos);
  EXPECT_EQ(child_env.find("harness-server"), std::string::npos);
  EXPECT_NE(server_env.find("harness-server"), std::string::npos);
}

TEST_F(WarmHarnessTest, TimeoutIsAVerdictAndKillsTheChildsWholeGroup) {
  HarnessClient* client = Client(Options());
  fs::path pid_file = root_ / "grandchild.pid";
  fs::path task = Task("hangs", "import subprocess, time\n"
                                "g = subprocess.Popen(['sleep', '1000'])\n"
                                "open('" + pid_file.string() + "', 'w').write(str(g.pid))\n"
                                "time.sleep(1000)\n");
  auto start = Clock::now();
  Verdict v = client->Verify(Relu(task, 3));
  EXPECT_EQ(v.kind, VerdictKind::kTimeout) << v.message;
  EXPECT_LT(Seconds(start), 3 + 10);
  std::ifstream in(pid_file);
  int grandchild = 0;
  in >> grandchild;
  EXPECT_TRUE(DiesWithin(grandchild, 5));
  int server = ServerPid(client);
  EXPECT_TRUE(Alive(server));
  EXPECT_EQ(client->Verify(Relu(kSource / "harness/tests/fixtures/relu_task.py")).kind,
            VerdictKind::kPassed);
  EXPECT_EQ(ServerPid(client), server);
}

TEST_F(WarmHarnessTest, ACrashingChildIsARuntimeErrorVerdict) {
  HarnessClient* client = Client(Options());
  Verdict v = client->Verify(
      Relu(Task("segv", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")));
  EXPECT_EQ(v.kind, VerdictKind::kRuntimeError);
  EXPECT_NE(v.message.find("SIGSEGV"), std::string::npos) << v.message;
  Verdict exits = client->Verify(Relu(Task("exits", "import os\nos._exit(0)\n")));
  EXPECT_EQ(exits.kind, VerdictKind::kRuntimeError);
  EXPECT_NE(exits.message.find("died"), std::string::npos) << exits.message;
}

TEST_F(WarmHarnessTest, AServerKilledByTheTaskIsReportedThenReplaced) {
  HarnessClient* client = Client(Options());
  fs::path task = Task("parricide", "import os\nos.kill(os.getppid(), 9)\n");
  Verdict v = client->Verify(Relu(task));
  EXPECT_EQ(v.kind, VerdictKind::kRuntimeError);
  EXPECT_NE(v.message.find("died"), std::string::npos) << v.message;
  EXPECT_NE(v.log.find("warm server"), std::string::npos) << v.log;
  EXPECT_EQ(client->ModeDescription(), "warm");
  Verdict after = client->Verify(Relu(kSource / "harness/tests/fixtures/relu_task.py"));
  EXPECT_EQ(after.kind, VerdictKind::kPassed) << after.message;
}

TEST_F(WarmHarnessTest, CancellingOneRunStopsItsChildAndLeavesTheServerWarm) {
  HarnessClient* client = Client(Options());
  fs::path relu = kSource / "harness/tests/fixtures/relu_task.py";
  ASSERT_TRUE(client->Inspect(relu, 0, 120).ok());
  int server = ServerPid(client);
  ASSERT_GT(server, 0);
  CancelToken session;
  CancelToken cancelled_run(&session), other_run(&session);
  VerifyRequest sleeps = Relu(Task("sleeps", "import time\ntime.sleep(1000)\n"), 300);
  sleeps.cancel = &cancelled_run;
  // The other run's call takes a few seconds, so it is still running at the cancel.
  VerifyRequest slow = Relu(Task("slow", "import time\ntime.sleep(3)\n"), 300);
  slow.cancel = &other_run;
  Verdict cancelled, other;
  std::thread a([&] { cancelled = client->Verify(sleeps); });
  std::thread b([&] { other = client->Verify(slow); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto start = Clock::now();
  cancelled_run.Cancel();
  a.join();
  EXPECT_LT(Seconds(start), 5);
  EXPECT_EQ(cancelled.message, "interrupted");
  b.join();
  EXPECT_EQ(other.kind, VerdictKind::kPassed) << other.message << "\n" << other.log;
  // The same server, still warm, serves the next run.
  EXPECT_FALSE(DiesWithin(server, 1));
  EXPECT_EQ(ServerPid(client), server);
  CancelToken next_run(&session);
  VerifyRequest next = Relu(relu);
  next.cancel = &next_run;
  Verdict after = client->Verify(next);
  EXPECT_EQ(after.kind, VerdictKind::kPassed) << after.message;
  EXPECT_EQ(ServerPid(client), server);
}

TEST_F(WarmHarnessTest, FallsBackToColdWithOneNoteWhenTheServerCannotStart) {
  HarnessOptions ho = Options();
  ho.harness_dir = root_ / "no_harness_here";
  HarnessClient* client = Client(ho);
  auto first = client->Inspect(kSource / "harness/tests/fixtures/relu_task.py", 0, 120);
  ASSERT_FALSE(first.ok());
  // The cold path's own answer, as without a warm server.
  EXPECT_NE(first.status().message().find("No module named akg_harness"), std::string::npos)
      << first.status().message();
  auto second = client->Inspect(kSource / "harness/tests/fixtures/relu_task.py", 0, 120);
  EXPECT_FALSE(second.ok());
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_NE(notes_[0].find("did not start"), std::string::npos) << notes_[0];
  EXPECT_EQ(client->ModeDescription().rfind("cold (", 0), 0u);
}

TEST_F(WarmHarnessTest, StartInBackgroundHasTheServerReadyBeforeTheFirstCall) {
  HarnessClient* client = Client(Options());
  client->StartInBackground();
  client->StartInBackground();  // a second call is a no-op
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (ServerPid(client) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int pid = ServerPid(client);
  ASSERT_GT(pid, 0) << "the server never became ready";
  Verdict v = client->Verify(Relu(kSource / "harness/tests/fixtures/relu_task.py"));
  EXPECT_EQ(v.kind, VerdictKind::kPassed) << v.message;
  EXPECT_EQ(ServerPid(client), pid);  // the call used the server started in the background
  EXPECT_TRUE(notes_.empty());
}

TEST_F(WarmHarnessTest, AnInspectionDuringABackgroundStartRunsColdBesideIt) {
  // The task records the main module of the process that loads it: the warm server's
  // (akg_harness.server) in a fork of it, akg_harness.__main__ in a cold child.
  fs::path mark = root_ / "main_module";
  fs::path task = Task("inspected", "import sys, pathlib\npathlib.Path(" +
                                       Json(mark.string()).dump() +
                                       ").write_text(sys.modules['__main__'].__spec__.name)");
  HarnessClient* client = Client(Options());
  client->StartInBackground();  // the server is importing torch for a second or more
  auto first = client->Inspect(task, 0, 120);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(*ReadFile(mark), "akg_harness.__main__");  // its own Python, no wait for the server
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (ServerPid(client) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(ServerPid(client), 0) << "the background start did not finish";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // its thread returns just after
  auto second = client->Inspect(task, 0, 120);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(*ReadFile(mark), "akg_harness.server");  // once ready, the server serves them
  EXPECT_EQ((*first)["outputs"], (*second)["outputs"]);
  EXPECT_TRUE(notes_.empty());
}

TEST_F(WarmHarnessTest, AClientClosingDuringABackgroundStartDoesNotWaitForTheImports) {
  auto start = std::chrono::steady_clock::now();
  {
    HarnessClient client(&runner_, Options());
    client.StartInBackground();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the server is importing torch
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(s, 1.5);  // a tick of the ready wait, not the seconds of torch's import
  EXPECT_TRUE(notes_.empty());  // giving up on purpose is not a fallback
}

TEST_F(WarmHarnessTest, ABackgroundStartThatFailsMeansColdWithOneNote) {
  HarnessOptions ho = Options();
  ho.harness_dir = root_ / "no_harness_here";
  {
    HarnessClient client(&runner_, ho);
    client.StartInBackground();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (client.ModeDescription() == "warm" && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(client.ModeDescription().rfind("cold (", 0), 0u);
  }  // joins the starting thread, so its note is in
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_NE(notes_[0].find("did not start"), std::string::npos) << notes_[0];
}

TEST(WarmHarnessPlainTest, AFakeRunnerKeepsTheClientOnTheColdPath) {
  FakeProcessRunner fake;
  HarnessOptions ho;
  ho.work_root = fs::temp_directory_path() / ("akg_warm_fake_" + std::to_string(getpid()));
  HarnessClient client(&fake, ho);
  EXPECT_EQ(client.ModeDescription(), "cold");
  EXPECT_FALSE(client.Inspect("/nonexistent/task.py", 0, 10).ok());
  EXPECT_EQ(fake.run_count(), 1u);
  EXPECT_EQ(fake.specs()[0].argv[2], "akg_harness");
  std::error_code ec;
  fs::remove_all(ho.work_root, ec);
}

TEST(WarmHarnessPlainTest, DecodesBase64) {
  std::string out;
  ASSERT_TRUE(DecodeBase64("aGVsbG8gd29ybGQ=", &out));
  EXPECT_EQ(out, "hello world");
  ASSERT_TRUE(DecodeBase64("/wA=", &out));
  EXPECT_EQ(out, std::string("\xff\x00", 2));
  ASSERT_TRUE(DecodeBase64("", &out));
  EXPECT_EQ(out, "");
  EXPECT_FALSE(DecodeBase64("no spaces!", &out));
}

TEST(WarmHarnessPlainTest, ModeNamesFollowTheConfig) {
  EXPECT_EQ(HarnessModeFromName("warm"), HarnessMode::kWarm);
  EXPECT_EQ(HarnessModeFromName("cold"), HarnessMode::kCold);
}

}  // namespace
}  // namespace akg
