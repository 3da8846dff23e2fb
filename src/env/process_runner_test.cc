#include "env/process_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "env/fake_process_runner.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

fs::path MakeTempDir() {
  std::string pattern = (fs::path(testing::TempDir()) / "akg_process_XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  return fs::canonical(pattern);
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// True once `pid` no longer runs (gone, or a zombie nobody has reaped yet); waits up to 1 s.
bool ProcessGone(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::string stat = ReadText("/proc/" + std::to_string(pid) + "/stat");
    size_t paren = stat.rfind(')');
    bool zombie = paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
    if (zombie) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool IsValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

class PosixProcessRunnerTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  static ProcessSpec Shell(const std::string& script) {
    ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.env = {{"PATH", "/usr/bin:/bin"}};
    spec.timeout_s = 10;  // a safety net; no test should come near it
    return spec;
  }

  PosixProcessRunner runner_;
  fs::path dir_;
};

TEST_F(PosixProcessRunnerTest, CapturesStdoutAndStderrSeparately) {
  ProcessResult r = runner_.Run(Shell("echo out; echo err >&2; echo out2"));
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.stdout_text, "out\nout2\n");
  EXPECT_EQ(r.stderr_text, "err\n");
  EXPECT_TRUE(r.Succeeded());
  EXPECT_EQ(r.Describe(), "exited 0");
  EXPECT_FALSE(r.stdout_truncated);
}

TEST_F(PosixProcessRunnerTest, ReportsExitCode) {
  ProcessResult r = runner_.Run(Shell("exit 3"));
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_FALSE(r.Succeeded());
  EXPECT_EQ(r.Describe(), "exited 3");
}

TEST_F(PosixProcessRunnerTest, ReportsDeathBySignal) {
  ProcessResult r = runner_.Run(Shell("kill -SEGV $$"));
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.term_signal, SIGSEGV);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.Describe(), "killed by signal 11 (SIGSEGV)");
}

TEST_F(PosixProcessRunnerTest, TimeoutKillsWholeProcessGroupIncludingGrandchild) {
  fs::path marker = dir_ / "grandchild_was_here";
  // The backgrounded subshell would create the marker 0.6 s in, long after the timeout.
  ProcessSpec spec = Shell("(sleep 0.6; touch '" + marker.string() + "') & echo $!; sleep 30");
  spec.timeout_s = 0.2;
  spec.kill_grace_s = 0.2;
  ProcessResult r = runner_.Run(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_TRUE(r.timed_out);
  EXPECT_GE(r.wall_seconds, 0.2);
  EXPECT_LT(r.wall_seconds, 1.0);
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_NE(r.Describe().find("timed out after"), std::string::npos) << r.Describe();
  pid_t grandchild = std::stoi(r.stdout_text);
  EXPECT_TRUE(ProcessGone(grandchild));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_FALSE(fs::exists(marker));
}

TEST_F(PosixProcessRunnerTest, TimeoutEscalatesToSigkillWhenSigtermIsIgnored) {
  ProcessSpec spec = Shell("trap '' TERM; sleep 30");
  spec.timeout_s = 0.2;
  spec.kill_grace_s = 0.3;
  ProcessResult r = runner_.Run(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_GE(r.wall_seconds, 0.5);
  EXPECT_LT(r.wall_seconds, 1.5);
}

TEST_F(PosixProcessRunnerTest, ExitKillsLeftoverGrandchildAndReturnsPromptly) {
  // The backgrounded sleep keeps stdout open; Run must not wait for it.
  ProcessResult r = runner_.Run(Shell("sleep 30 & echo $!"));
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(r.wall_seconds, 1.0);
  pid_t grandchild = std::stoi(r.stdout_text);
  EXPECT_TRUE(ProcessGone(grandchild));
}

TEST_F(PosixProcessRunnerTest, EnvironmentIsExactlyWhatWasPassed) {
  ASSERT_EQ(setenv("AKG_TEST_PARENT_ONLY", "leak", 1), 0);
  ProcessSpec spec;
  spec.argv = {"env"};  // found through the PATH given below
  spec.env = {{"PATH", "/usr/bin:/bin"}, {"AKG_CHILD", "x y=z"}};
  ProcessResult r = runner_.Run(spec);
  unsetenv("AKG_TEST_PARENT_ONLY");
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.stdout_text, "AKG_CHILD=x y=z\nPATH=/usr/bin:/bin\n");
}

TEST_F(PosixProcessRunnerTest, ResolvesProgramThroughChildPathOnly) {
  fs::path tool = dir_ / "akg_test_tool";
  std::ofstream(tool) << "#!/bin/sh\necho tool ran\n";
  fs::permissions(tool, fs::perms::owner_all);
  ProcessSpec spec;
  spec.argv = {"akg_test_tool"};
  spec.env = {{"PATH", "/nonexistent:" + dir_.string()}};
  ProcessResult r = runner_.Run(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.stdout_text, "tool ran\n");

  spec.env = {{"PATH", "/usr/bin:/bin"}};
  r = runner_.Run(spec);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.start_error.find("akg_test_tool"), std::string::npos) << r.start_error;
}

TEST_F(PosixProcessRunnerTest, MissingProgramFailsToStartWithClearError) {
  ProcessSpec spec;
  spec.argv = {"/nonexistent/akg_no_such_program", "--flag"};
  ProcessResult r = runner_.Run(spec);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.start_error.find("/nonexistent/akg_no_such_program"), std::string::npos);
  EXPECT_NE(r.start_error.find("No such file"), std::string::npos) << r.start_error;
  EXPECT_EQ(r.Describe().rfind("failed to start: ", 0), 0u);

  spec.argv = {"akg_no_such_program"};
  spec.env = {{"PATH", "/usr/bin:/bin"}};
  r = runner_.Run(spec);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.start_error.find("not found"), std::string::npos) << r.start_error;

  spec.env.clear();  // a bare name without PATH
  r = runner_.Run(spec);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.start_error.find("no PATH"), std::string::npos) << r.start_error;

  spec.argv.clear();
  EXPECT_FALSE(runner_.Run(spec).started);
}

TEST_F(PosixProcessRunnerTest, MissingWorkingFolderFailsToStart) {
  ProcessSpec spec = Shell("pwd");
  spec.cwd = dir_ / "does_not_exist";
  ProcessResult r = runner_.Run(spec);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.start_error.find("working folder"), std::string::npos) << r.start_error;
}

TEST_F(PosixProcessRunnerTest, HonoursWorkingFolder) {
  ProcessSpec spec = Shell("pwd -P");
  spec.cwd = dir_;
  ProcessResult r = runner_.Run(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.stdout_text, dir_.string() + "\n");
}

TEST_F(PosixProcessRunnerTest, PassesStdin) {
  ProcessSpec spec = Shell("cat; echo done >&2");
  spec.stdin_data = "hello\nworld";
  ProcessResult r = runner_.Run(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.stdout_text, "hello\nworld");
  EXPECT_EQ(r.stderr_text, "done\n");
}

TEST_F(PosixProcessRunnerTest, StdinIgnoredByChildDoesNotKillAgent) {
  ProcessSpec spec = Shell("exec 0<&-; echo closed");  // closes stdin at once
  spec.stdin_data = std::string(4 << 20, 'x');
  ProcessResult r = runner_.Run(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_text, "closed\n");
}

TEST_F(PosixProcessRunnerTest, LargeStdinEchoedBackDoesNotDeadlock) {
  ProcessSpec spec = Shell("cat");
  spec.stdin_data = std::string(3 << 20, 'a');
  ProcessResult r = runner_.Run(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.stdout_text.size(), spec.stdin_data.size());
  EXPECT_EQ(r.stdout_text, spec.stdin_data);
}

TEST_F(PosixProcessRunnerTest, LargeOutputOnBothStreamsDoesNotDeadlockAndKeepsHeadAndTail) {
  // 6 MB to stderr before anything reaches stdout: a reader of one stream at a time hangs.
  ProcessSpec spec = Shell(
      "echo ERRSTART >&2; head -c 6000000 /dev/zero >&2; echo ERREND >&2;"
      "echo START; head -c 6000000 /dev/zero; echo; echo END");
  spec.max_output_bytes = 1 << 20;
  ProcessResult r = runner_.Run(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_TRUE(r.stderr_truncated);
  EXPECT_EQ(r.stdout_text.rfind("START\n", 0), 0u);
  EXPECT_EQ(r.stdout_text.substr(r.stdout_text.size() - 5), "\nEND\n");
  EXPECT_EQ(r.stderr_text.rfind("ERRSTART\n", 0), 0u);
  EXPECT_EQ(r.stderr_text.substr(r.stderr_text.size() - 7), "ERREND\n");
  EXPECT_LE(r.stdout_text.size(), spec.max_output_bytes + 64);
  size_t omitted = 6000000 + 11 - spec.max_output_bytes;  // "START\n" "\n" "END\n" + zeros
  EXPECT_NE(r.stdout_text.find("[... " + std::to_string(omitted) + " bytes omitted ...]"),
            std::string::npos);
}

TEST_F(PosixProcessRunnerTest, TruncationNeverSplitsUtf8Characters) {
  ProcessSpec spec = Shell("yes 'é' | head -c 3000000");  // "é\n" is 3 bytes
  spec.max_output_bytes = 999999;  // both cuts fall inside an "é"
  ProcessResult r = runner_.Run(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_TRUE(IsValidUtf8(r.stdout_text));
}

TEST_F(PosixProcessRunnerTest, CpuLimitKillsBusyLoop) {
  ProcessSpec spec = Shell("while :; do :; done");
  spec.limits.cpu_seconds = 1;
  spec.timeout_s = 8;  // generous: a loaded machine gives the loop less than a core
  ProcessResult r = runner_.Run(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(r.term_signal == SIGXCPU || r.term_signal == SIGKILL) << r.Describe();
  EXPECT_GE(r.user_cpu_seconds + r.sys_cpu_seconds, 0.9);
  EXPECT_LT(r.wall_seconds, 4.0);
}

TEST_F(PosixProcessRunnerTest, AppliesFileMemoryAndCoreLimits) {
  ProcessSpec spec = Shell("ulimit -n; ulimit -v; ulimit -c");
  spec.limits.open_files = 64;
  spec.limits.memory_bytes = uint64_t{512} << 20;
  ProcessResult r = runner_.Run(spec);
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_EQ(r.stdout_text, "64\n524288\n0\n");
}

TEST_F(PosixProcessRunnerTest, ChildInheritsNoOtherFileDescriptors) {
  int leaky = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaky, 3);
  ProcessResult r = runner_.Run(Shell("ls /proc/$$/fd; :"));  // the colon keeps sh from exec-ing ls
  close(leaky);
  ASSERT_TRUE(r.started) << r.start_error;
  // sh's own 0, 1, 2 (ls opens the folder of another process, so adds nothing here).
  EXPECT_EQ(r.stdout_text, "0\n1\n2\n");
}

TEST_F(PosixProcessRunnerTest, CancelFromAnotherThreadKillsChildQuickly) {
  CancelToken run_token;
  std::thread canceller([&run_token] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    run_token.Cancel();
  });
  ProcessSpec spec = Shell("sleep 30");
  spec.timeout_s = 0;
  spec.cancel = &run_token;
  ProcessResult r = runner_.Run(spec);
  canceller.join();
  ASSERT_TRUE(r.started) << r.start_error;
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.timed_out);
  EXPECT_LT(r.wall_seconds, 1.0);
  EXPECT_NE(r.Describe().find("cancelled after"), std::string::npos) << r.Describe();
}

TEST_F(PosixProcessRunnerTest, CancellingOneRunsTokenLeavesAnotherRunsChildRunning) {
  CancelToken session;
  CancelToken cancelled_run(&session), other_run(&session);
  ProcessSpec long_spec = Shell("sleep 30");
  long_spec.cancel = &cancelled_run;
  ProcessSpec short_spec = Shell("sleep 0.5; echo done");
  short_spec.cancel = &other_run;
  ProcessResult cancelled, finished;
  std::thread a([&] { cancelled = runner_.Run(long_spec); });
  std::thread b([&] { finished = runner_.Run(short_spec); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  cancelled_run.Cancel();
  a.join();
  b.join();
  EXPECT_TRUE(cancelled.cancelled);
  EXPECT_TRUE(finished.Succeeded()) << finished.Describe();
  EXPECT_EQ(finished.stdout_text, "done\n");
}

TEST_F(PosixProcessRunnerTest, CancelledParentTokenStopsChildOfAChildToken) {
  CancelToken session;
  CancelToken run_token(&session);
  session.Cancel();
  EXPECT_TRUE(run_token.cancelled());
  fs::path marker = dir_ / "ran";
  ProcessSpec spec = Shell("touch '" + marker.string() + "'");
  spec.cancel = &run_token;
  ProcessResult r = runner_.Run(spec);
  EXPECT_FALSE(r.started);
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(fs::exists(marker));
}

TEST_F(PosixProcessRunnerTest, RunAfterCancelStartsNothing) {
  CancelToken run_token;
  run_token.Cancel();
  fs::path marker = dir_ / "ran";
  ProcessSpec spec = Shell("touch '" + marker.string() + "'");
  spec.cancel = &run_token;
  ProcessResult r = runner_.Run(spec);
  EXPECT_FALSE(r.started);
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(fs::exists(marker));
  run_token.Reset();
  EXPECT_TRUE(runner_.Run(spec).started);
  EXPECT_TRUE(fs::exists(marker));
}

TEST_F(PosixProcessRunnerTest, ConcurrentRunsFromManyThreadsKeepTheirOwnOutput) {
  constexpr int kThreads = 8;
  std::vector<ProcessResult> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([this, i, &results] {
      ProcessSpec spec = Shell("sleep 0.1; echo $N; echo e$N >&2");
      spec.env["N"] = std::to_string(i);
      results[i] = runner_.Run(spec);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(results[i].stdout_text, std::to_string(i) + "\n");
    EXPECT_EQ(results[i].stderr_text, "e" + std::to_string(i) + "\n");
  }
}

TEST(ProcessResultTest, DescribeNamesTheOutcome) {
  ProcessResult r;
  r.start_error = "boom";
  EXPECT_EQ(r.Describe(), "failed to start: boom");
  r.started = true;
  r.exit_code = 1;
  EXPECT_EQ(r.Describe(), "exited 1");
  r.exit_code = -1;
  r.term_signal = SIGABRT;
  EXPECT_EQ(r.Describe(), "killed by signal 6 (SIGABRT)");
  r.timed_out = true;
  r.wall_seconds = 5.02;
  EXPECT_EQ(r.Describe(), "timed out after 5.0 s");
  EXPECT_EQ(SignalName(SIGXCPU), "SIGXCPU");
  EXPECT_EQ(SignalName(63), "signal 63");
}

TEST(ScrubbedEnvironmentTest, LooksSecretFlagsCredentialNames) {
  for (const char* name :
       {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "HF_TOKEN",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "DB_PASSWORD",
        "PGPASSWORD", "MYSQL_PWD", "HTTPS_PROXY", "http_proxy", "ALL_PROXY",
        "openai_api_key", "GOOGLE_APPLICATION_CREDENTIALS", "SSH_AUTH_SOCK", "NPM_AUTH",
        "GITLAB_PAT", "SSH_PRIVATE", "SESSION_COOKIE"}) {
    EXPECT_TRUE(LooksSecret(name)) << name;
  }
  for (const char* name : {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "PWD", "TMPDIR",
                           "CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "TRITON_INTERPRET"}) {
    EXPECT_FALSE(LooksSecret(name)) << name;
  }
}

TEST(ScrubbedEnvironmentTest, CopiesOnlyNamedVariablesAndNeverSecrets) {
  setenv("OPENAI_API_KEY", "sk-test", 1);
  setenv("ANTHROPIC_API_KEY", "sk-ant-test", 1);
  setenv("GITHUB_TOKEN", "ghp_test", 1);
  setenv("AKG_TEST_VISIBLE", "yes", 1);
  setenv("AKG_TEST_NOT_NAMED", "no", 1);
  unsetenv("AKG_TEST_UNSET");
  std::map<std::string, std::string> env =
      ScrubbedEnvironment({"PATH", "AKG_TEST_VISIBLE", "AKG_TEST_UNSET", "OPENAI_API_KEY",
                           "ANTHROPIC_API_KEY", "GITHUB_TOKEN"});
  EXPECT_EQ(env.count("PATH"), getenv("PATH") != nullptr ? 1u : 0u);
  EXPECT_EQ(env["AKG_TEST_VISIBLE"], "yes");
  EXPECT_EQ(env.count("AKG_TEST_NOT_NAMED"), 0u);
  EXPECT_EQ(env.count("AKG_TEST_UNSET"), 0u);
  EXPECT_EQ(env.count("OPENAI_API_KEY"), 0u);
  EXPECT_EQ(env.count("ANTHROPIC_API_KEY"), 0u);
  EXPECT_EQ(env.count("GITHUB_TOKEN"), 0u);

  std::map<std::string, std::string> everything = ScrubbedEnvironment({"*"});
  EXPECT_EQ(everything["AKG_TEST_NOT_NAMED"], "no");
  for (const auto& [name, value] : everything) EXPECT_FALSE(LooksSecret(name)) << name;

  std::map<std::string, std::string> prefixed = ScrubbedEnvironment({"AKG_TEST_*"});
  EXPECT_EQ(prefixed.size(), 2u);
  for (const char* name : {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GITHUB_TOKEN",
                           "AKG_TEST_VISIBLE", "AKG_TEST_NOT_NAMED"}) {
    unsetenv(name);
  }
}

TEST(FakeProcessRunnerTest, RecordsSpecsAndReturnsScriptedResultsInOrder) {
  FakeProcessRunner runner;
  runner.Enqueue(FakeProcessRunner::Exited(0, "first"));
  runner.Enqueue(FakeProcessRunner::KilledBySignal(SIGSEGV));
  ProcessSpec spec;
  spec.argv = {"nvcc", "-c", "a.cu"};
  spec.timeout_s = 30;
  EXPECT_EQ(runner.Run(spec).stdout_text, "first");
  spec.argv = {"python", "-m", "akg_harness"};
  EXPECT_EQ(runner.Run(spec).term_signal, SIGSEGV);
  EXPECT_EQ(runner.pending(), 0u);
  ASSERT_EQ(runner.run_count(), 2u);
  EXPECT_EQ(runner.specs()[0].argv[0], "nvcc");
  EXPECT_EQ(runner.specs()[1].argv[2], "akg_harness");
  EXPECT_EQ(runner.specs()[1].timeout_s, 30);
}

TEST(FakeProcessRunnerTest, HandlerCanWriteResultFileNamedInSpec) {
  fs::path dir = MakeTempDir();
  FakeProcessRunner runner;
  runner.SetHandler([](const ProcessSpec& spec) {
    std::ofstream(spec.cwd / spec.argv.back()) << "{\"ok\": true}";
    return FakeProcessRunner::Exited(0);
  });
  ProcessSpec spec;
  spec.argv = {"python", "--result", "result.json"};
  spec.cwd = dir;
  EXPECT_TRUE(runner.Run(spec).Succeeded());
  EXPECT_EQ(ReadText(dir / "result.json"), "{\"ok\": true}");
  fs::remove_all(dir);
}

TEST(FakeProcessRunnerTest, UnscriptedRunReportsNotStartedNamingTheCommand) {
  FakeProcessRunner runner;
  ProcessSpec spec;
  spec.argv = {"gcc", "x.c"};
  ProcessResult r = runner.Run(spec);
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.start_error.find("gcc x.c"), std::string::npos) << r.start_error;
  EXPECT_TRUE(FakeProcessRunner::TimedOut(5).timed_out);
  EXPECT_EQ(FakeProcessRunner::TimedOut(5).Describe(), "timed out after 5.0 s");
}

}  // namespace
}  // namespace akg
