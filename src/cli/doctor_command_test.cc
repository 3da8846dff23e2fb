#include "cli/doctor_command.h"

#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>

#include <gtest/gtest.h>

#include "core/json.h"
#include "env/fake_env.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

// The machine the probes see: each field answers one probe.
struct Machine {
  bool gxx = true;
  std::string nvcc;              // release of nvcc on PATH; "" = not on PATH
  std::string nvcc_off_path;     // release of /usr/local/cuda/bin/nvcc; "" = none there
  std::vector<std::string> smi;  // nvidia-smi's CSV lines; empty = nvidia-smi not installed
  bool python = true;            // the interpreter starts
  std::map<std::string, std::string> installed = {
      {"torch", "2.11.0+cu130"}, {"numpy", "2.4.6"}, {"triton", "3.6.0"}};
  std::optional<std::string> torch_cuda = "13.0";  // nullopt = a CPU-only torch
  std::vector<std::string> torch_gpus;             // what torch.cuda sees
  int model_exit = 0;                              // the command provider's program
  std::string model_stderr;
};

std::string NvccText(const std::string& release) {
  return "nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release " + release +
         ", V" + release + ".88\n";
}

ProcessResult PythonAnswer(const Machine& m, const ProcessSpec& spec) {
  if (!m.python) return FakeProcessRunner::NotStarted(spec.argv[0] + ": not found");
  Json packages = Json::object();
  for (size_t i = 3; i < spec.argv.size(); ++i) {
    auto it = m.installed.find(spec.argv[i]);
    packages[spec.argv[i]] =
        it != m.installed.end()
            ? Json{{"version", it->second}}
            : Json{{"error", "ModuleNotFoundError: No module named '" + spec.argv[i] + "'"}};
  }
  Json report = {{"python", "3.11.2"}, {"packages", packages}};
  if (m.installed.count("torch")) {
    Json devices = Json::array();
    for (const auto& g : m.torch_gpus) devices.push_back({{"name", g}, {"memory_mib", 81559}});
    report["torch_cuda"] = {{"version", m.torch_cuda ? Json(*m.torch_cuda) : Json(nullptr)},
                            {"available", !m.torch_gpus.empty()},
                            {"devices", devices}};
  }
  return FakeProcessRunner::Exited(0, "some import chatter\nAKG_DOCTOR " + report.dump() + "\n");
}

ProcessResult Answer(const Machine& m, const ProcessSpec& spec) {
  const std::string& program = spec.argv[0];
  auto absent = [&] { return FakeProcessRunner::NotStarted(program + ": not found in PATH"); };
  if (program == "g++") {
    return m.gxx ? FakeProcessRunner::Exited(0, "g++ (Debian 12.2.0-14) 12.2.0\nCopyright\n")
                 : absent();
  }
  if (program == "nvcc") {
    return m.nvcc.empty() ? absent() : FakeProcessRunner::Exited(0, NvccText(m.nvcc));
  }
  if (program == "/usr/local/cuda/bin/nvcc") {
    return m.nvcc_off_path.empty() ? absent()
                                   : FakeProcessRunner::Exited(0, NvccText(m.nvcc_off_path));
  }
  if (program == "nvidia-smi") {
    std::string csv;
    for (const auto& line : m.smi) csv += line + "\n";
    return m.smi.empty() ? absent() : FakeProcessRunner::Exited(0, csv);
  }
  if (spec.argv.size() >= 3 && spec.argv[1] == "-c") return PythonAnswer(m, spec);
  if (program == "my-model") {
    return FakeProcessRunner::Exited(m.model_exit, m.model_exit == 0 ? "ok" : "", m.model_stderr);
  }
  return FakeProcessRunner::NotStarted("unexpected probe " + program);
}

class DoctorCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = fs::temp_directory_path() / ("akg-doctor-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(root_);
    fs::create_directories(root_);
    env_.vars["HOME"] = root_.string();
    env_.vars["PATH"] = "/usr/local/bin:/usr/bin:/bin";
    env_.vars["AKG_PYTHON"] = "/venv/bin/python";
    env_.working_dir = root_;
  }
  void TearDown() override { fs::remove_all(root_); }

  int Run(const DoctorOptions& o) {
    out_.str("");
    err_.str("");
    env_.fake_runner().SetHandler([this](const ProcessSpec& s) { return Answer(machine_, s); });
    return RunDoctorCommand(o, &env_, out_, err_);
  }

  // The line of the named check ("  ok       torch  2.11.0 ...").
  std::string Line(const std::string& check) const {
    std::istringstream lines(out_.str());
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string status, rest;
      words >> status;
      std::getline(words, rest);
      if (rest.find_first_not_of(' ') != std::string::npos &&
          rest.substr(rest.find_first_not_of(' ')).rfind(check + "  ", 0) == 0) {
        return line;
      }
    }
    return "";
  }

  void WriteSettings(const std::string& yaml) {
    fs::create_directories(root_ / ".akg");
    std::ofstream(root_ / ".akg" / "settings.yaml") << yaml;
  }

  static DoctorOptions Cuda(const std::string& dsl = "triton_cuda") {
    DoctorOptions o;
    o.backend = "cuda";
    o.arch = "h100";
    o.dsl = dsl;
    return o;
  }

  fs::path root_;
  FakeEnv env_;
  Machine machine_;
  std::ostringstream out_, err_;
};

TEST_F(DoctorCommandTest, CpuMachineWithTorchIsReadyAndAnAbsentGpuIsOptional) {
  EXPECT_EQ(Run({}), 0) << out_.str();
  EXPECT_NE(out_.str().find("cpu/x86_64/cpp (no target named: the CPU path)"), std::string::npos);
  EXPECT_EQ(Line("torch").rfind("  ok", 0), 0u) << out_.str();
  EXPECT_NE(Line("torch").find("2.11.0+cu130 (built for CUDA 13.0)"), std::string::npos);
  EXPECT_NE(Line("c++ compiler").find("g++ (Debian 12.2.0-14) 12.2.0"), std::string::npos);
  EXPECT_NE(Line("python").find("chosen by AKG_PYTHON"), std::string::npos);
  EXPECT_NE(Line("gpu").find("missing"), std::string::npos);
  EXPECT_NE(Line("gpu").find("(optional for cpu/x86_64/cpp)"), std::string::npos);
  EXPECT_NE(out_.str().find("ready: cpu/x86_64/cpp can run here"), std::string::npos);
  EXPECT_EQ(err_.str(), "");
}

TEST_F(DoctorCommandTest, CudaTargetWithoutAGpuExitsOneNamingTheGpu) {
  EXPECT_EQ(Run(Cuda()), 1);
  EXPECT_NE(Line("gpu").find("no NVIDIA GPU"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("fix: run on a machine with an NVIDIA GPU"), std::string::npos);
  EXPECT_NE(out_.str().find("not ready: cuda/h100/triton_cuda cannot run here until these are "
                            "fixed: gpu"),
            std::string::npos)
      << out_.str();
}

TEST_F(DoctorCommandTest, CudaMachineWithTheTargetsGpuIsReadyAndShowsMemoryAndDriver) {
  machine_.nvcc = "13.0";
  machine_.smi = {"NVIDIA H100 80GB HBM3, 81559 MiB, 570.86.15"};
  machine_.torch_gpus = {"NVIDIA H100 80GB HBM3"};
  EXPECT_EQ(Run(Cuda()), 0) << out_.str();
  EXPECT_NE(Line("gpu").find("NVIDIA H100 80GB HBM3 (81559 MiB, driver 570.86.15); torch sees 1"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(Line("nvcc vs torch").find("nvcc 13.0, torch built for CUDA 13.0"), std::string::npos);
}

TEST_F(DoctorCommandTest, GpuOfAnotherArchThanTheTargetIsAProblem) {
  machine_.smi = {"NVIDIA A100-SXM4-80GB, 81920 MiB, 550.54.15"};
  machine_.torch_gpus = {"NVIDIA A100-SXM4-80GB"};
  EXPECT_EQ(Run(Cuda()), 1);
  EXPECT_NE(Line("gpu").find("problem"), std::string::npos) << out_.str();
  EXPECT_NE(Line("gpu").find("none is a h100"), std::string::npos);
}

TEST_F(DoctorCommandTest, GpuThatACpuOnlyTorchCannotSeeIsAProblemWithAReinstallFix) {
  machine_.smi = {"NVIDIA H100 80GB HBM3, 81559 MiB, 570.86.15"};
  machine_.torch_cuda = std::nullopt;
  EXPECT_EQ(Run(Cuda()), 1);
  EXPECT_NE(Line("gpu").find("torch is a CPU-only build"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("fix: /venv/bin/python -m pip install --force-reinstall torch"),
            std::string::npos);
}

TEST_F(DoctorCommandTest, PythonWithoutTorchExitsOneWithAPipFixIntoThatInterpreter) {
  env_.vars["AKG_PYTHON"] = "/usr/bin/python3";
  machine_.installed = {};
  EXPECT_EQ(Run({}), 1);
  EXPECT_EQ(Line("torch").rfind("  missing", 0), 0u) << out_.str();
  EXPECT_NE(out_.str().find("fix: /usr/bin/python3 -m pip install torch"), std::string::npos);
  EXPECT_NE(out_.str().find("fix: /usr/bin/python3 -m pip install 'numpy"), std::string::npos);
  // triton is for triton_cuda: missing, but it does not stop the CPU path.
  EXPECT_NE(Line("triton").find("(optional for cpu/x86_64/cpp)"), std::string::npos);
  EXPECT_NE(out_.str().find("until these are fixed: torch, numpy\n"), std::string::npos);
}

TEST_F(DoctorCommandTest, NoHarnessPythonAtAllPointsAtTheSetupScript) {
  env_.vars.erase("AKG_PYTHON");
  machine_.python = false;
  EXPECT_EQ(Run({}), 1);
  EXPECT_EQ(Line("python").rfind("  missing", 0), 0u) << out_.str();
  EXPECT_NE(Line("python").find("python3 (chosen by the default"), std::string::npos);
  EXPECT_NE(out_.str().find("scripts/setup.sh\n"), std::string::npos);
  EXPECT_NE(Line("torch").find("skipped"), std::string::npos);
}

TEST_F(DoctorCommandTest, TilelangIsCheckedOnlyForTheTilelangDsl) {
  EXPECT_EQ(Run({}), 0);
  EXPECT_EQ(Line("tilelang"), "");
  machine_.nvcc = "13.0";
  machine_.smi = {"NVIDIA H100 80GB HBM3, 81559 MiB, 570.86.15"};
  machine_.torch_gpus = {"NVIDIA H100 80GB HBM3"};
  EXPECT_EQ(Run(Cuda("tilelang_cuda")), 1);
  EXPECT_NE(Line("tilelang").find("missing"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("fix: /venv/bin/python -m pip install tilelang"), std::string::npos);
}

TEST_F(DoctorCommandTest, NvccOfAnotherMajorThanTorchStopsTheCudaDsl) {
  machine_.nvcc = "12.4";
  machine_.smi = {"NVIDIA H100 80GB HBM3, 81559 MiB, 570.86.15"};
  machine_.torch_gpus = {"NVIDIA H100 80GB HBM3"};
  EXPECT_EQ(Run(Cuda("cuda")), 1);
  EXPECT_NE(Line("nvcc vs torch").find("problem"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("fix: sudo apt-get install -y cuda-toolkit-13-0"), std::string::npos);
  // For triton_cuda the mismatch is reported but does not stop the run.
  EXPECT_EQ(Run(Cuda("triton_cuda")), 0) << out_.str();
}

TEST_F(DoctorCommandTest, NvccOffThePathIsFoundAndTheFixIsAnExport) {
  machine_.nvcc_off_path = "13.0";
  Run({});
  EXPECT_NE(Line("nvcc").find("not on PATH; /usr/local/cuda/bin/nvcc is release 13.0"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("fix: export PATH=/usr/local/cuda/bin:$PATH"), std::string::npos);
}

TEST_F(DoctorCommandTest, NoCompilerIsMissingWithTheAptLine) {
  machine_.gxx = false;
  EXPECT_EQ(Run({}), 1);
  EXPECT_EQ(Line("c++ compiler").rfind("  missing", 0), 0u) << out_.str();
  EXPECT_NE(out_.str().find("fix: sudo apt-get install -y g++"), std::string::npos);
}

TEST_F(DoctorCommandTest, ModelsAreListedAndTheirApiKeyIsNeverPrinted) {
  WriteSettings(
      "models:\n  ds:\n    provider: openai\n    base_url: https://api.deepseek.com/v1\n"
      "    api_key: sk-secret-doctor-0123456789\n    model: deepseek-chat\n"
      "levels: {complex: ds, standard: ds}\n");
  EXPECT_EQ(Run({}), 0) << out_.str();
  EXPECT_EQ(out_.str().find("sk-secret"), std::string::npos) << out_.str();
  EXPECT_NE(Line("model complex").find("deepseek-chat at https://api.deepseek.com/v1"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(Line("model complex").find("API key set"), std::string::npos);
  EXPECT_NE(Line("model fast").find("by fallback"), std::string::npos);
  DoctorOptions json;
  json.json = true;
  Run(json);
  EXPECT_EQ(out_.str().find("sk-secret"), std::string::npos);
}

TEST_F(DoctorCommandTest, AHostedModelWithoutAKeyIsAProblemWithTheExportLine) {
  WriteSettings(
      "models:\n  claude:\n    provider: anthropic\n    model: claude-x\n"
      "levels: {standard: claude}\n");
  EXPECT_EQ(Run({}), 1);
  EXPECT_NE(Line("model standard").find("no API key"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("fix: export ANTHROPIC_API_KEY=<your key>"), std::string::npos);
}

TEST_F(DoctorCommandTest, OnlineCallsEachModelOnceThroughTheProcessRunner) {
  WriteSettings(
      "models:\n  local:\n    provider: command\n    command: [my-model]\n"
      "    model: m1\nlevels: {standard: local}\n");
  DoctorOptions o;
  o.online = true;
  EXPECT_EQ(Run(o), 0) << out_.str();
  int calls = 0;
  for (const auto& spec : env_.fake_runner().specs()) {
    if (spec.argv[0] != "my-model") continue;
    ++calls;
    auto request = ParseJson(spec.stdin_data, "request");
    ASSERT_TRUE(request.ok());
    EXPECT_LE((*request)["max_tokens"].get<int>(), 8);
  }
  EXPECT_EQ(calls, 1);  // three levels, one model
  EXPECT_NE(Line("model standard").find("online: answered"), std::string::npos) << out_.str();
  EXPECT_NE(Line("model fast").find("online: answered"), std::string::npos);
}

TEST_F(DoctorCommandTest, OnlineFailureIsAProblemWithTheProvidersOneLine) {
  WriteSettings(
      "models:\n  local:\n    provider: command\n    command: [my-model]\n"
      "    model: m1\nlevels: {standard: local}\n");
  machine_.model_exit = 1;
  machine_.model_stderr = "401: invalid key\n";
  DoctorOptions o;
  o.online = true;
  EXPECT_EQ(Run(o), 1);
  EXPECT_NE(Line("model standard").find("online: failed: "), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("fix: fix model 'local' in"), std::string::npos);
}

TEST_F(DoctorCommandTest, ARunFolderThatCannotBeMadeIsAProblem) {
  std::ofstream(root_ / "a-file") << "not a folder";
  env_.working_dir = root_ / "a-file";
  env_.vars["XDG_STATE_HOME"] = (root_ / "a-file" / "state").string();
  EXPECT_EQ(Run({}), 1);
  EXPECT_NE(Line("run folder").find("a-file is not a folder"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("until these are fixed: run folder\n"), std::string::npos);
  // The session history is a convenience: reported, but it stops nothing.
  EXPECT_NE(Line("session history").find("(optional for"), std::string::npos);
  EXPECT_NE(Line("cache").find(" ok"), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ / "runs"));  // nothing was made
}

TEST_F(DoctorCommandTest, BadFlagsExitTwoWithOneErrorLine) {
  DoctorOptions o;
  o.backend = "cpu";
  o.arch = "x86_64";
  o.dsl = "fortran";
  EXPECT_EQ(Run(o), 2);
  EXPECT_EQ(err_.str().rfind("akg_cli: error: unknown DSL 'fortran'", 0), 0u) << err_.str();
  EXPECT_EQ(out_.str(), "");
  DoctorOptions partial;
  partial.dsl = "cpp";
  EXPECT_EQ(Run(partial), 2);
  EXPECT_NE(err_.str().find("missing: --backend, --arch"), std::string::npos) << err_.str();
}

TEST_F(DoctorCommandTest, JsonIsTheOnlyOutputAndSaysOkAndEachCheck) {
  DoctorOptions o;
  o.json = true;
  EXPECT_EQ(Run(o), 0);
  auto doc = ParseJson(out_.str(), "doctor --json");
  ASSERT_TRUE(doc.ok()) << out_.str();
  EXPECT_EQ((*doc)["ok"], true);
  EXPECT_EQ((*doc)["target"], "cpu/x86_64/cpp");
  std::map<std::string, std::string> status;
  for (const auto& c : (*doc)["checks"]) {
    ASSERT_TRUE(c.contains("detail") && c.contains("fix") && c.contains("needed"));
    status[c["name"]] = c["status"];
  }
  EXPECT_EQ(status["torch"], "ok");
  EXPECT_EQ(status["gpu"], "missing");
  EXPECT_EQ(status["nvcc vs torch"], "skipped");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(DoctorCommandTest, ProbesGetAnAllowListedEnvironmentAndATimeout) {
  env_.vars["OPENAI_API_KEY"] = "sk-from-env-0123456789";
  env_.vars["CUDA_HOME"] = "/opt/cuda";
  Run({});
  auto specs = env_.fake_runner().specs();
  ASSERT_FALSE(specs.empty());
  for (const auto& spec : specs) {
    EXPECT_EQ(spec.env.count("OPENAI_API_KEY"), 0u) << spec.argv[0];
    EXPECT_EQ(spec.env.at("PATH"), "/usr/local/bin:/usr/bin:/bin");
    EXPECT_GT(spec.timeout_s, 0) << spec.argv[0];
  }
  // nvcc is looked for in $CUDA_HOME/bin when it is not on PATH.
  bool looked = false;
  for (const auto& spec : specs) looked = looked || spec.argv[0] == "/opt/cuda/bin/nvcc";
  EXPECT_TRUE(looked);
  EXPECT_EQ(out_.str().find("sk-from-env"), std::string::npos);
}

}  // namespace
}  // namespace akg
