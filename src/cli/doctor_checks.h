// The machine probes of `akg_cli doctor` (doctor_command.h; the agent's own config, models and
// folders are checked there): each looks at one thing the agent needs and returns a
// DoctorCheck, a value that says what was found and the command that fixes it.
//
//   Env::runner() ──g++ --version, nvcc --version, nvidia-smi──▶ CheckCompiler, CheckNvcc, CheckGpus
//   Env::runner() ──PYTHON -c <one script>──▶ PythonProbe ──▶ PythonChecks (interpreter, packages)
//
// Every child runs through the process runner with an allow-listed environment built from Env
// (never the agent's own) and a timeout, so a hung tool costs seconds, and tests answer each
// probe with a FakeProcessRunner. A probe never fails the command: what it could not learn is
// the check's detail.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "env/env.h"

namespace akg {

enum class CheckStatus {
  kOk,       // found and usable
  kMissing,  // not there
  kProblem,  // there, but broken or mismatched
  kSkipped,  // not probed (it depends on something missing, or means nothing here)
};

// "ok" | "missing" | "problem" | "skipped"
const char* CheckStatusName(CheckStatus status);

struct DoctorCheck {
  explicit DoctorCheck(std::string check_name, bool is_needed = false)
      : name(std::move(check_name)), needed(is_needed) {}

  std::string name;  // "c++ compiler", "torch", "gpu", "cache", ...
  CheckStatus status = CheckStatus::kOk;
  std::string detail;   // one line: what was found, or why not
  std::string fix;      // one command line that fixes it; "" = nothing to do
  bool needed = false;  // the target cannot run unless this is ok (or skipped)
};

// What the target asks of the machine, from its row of the target table.
struct DoctorTarget {
  std::string backend = "cpu", arch = "x86_64", dsl = "cpp";
  std::string device = "cpu";  // where the harness runs kernels: cpu | cuda | npu
  std::string Name() const { return backend + "/" + arch + "/" + dsl; }
};

// What the one Python call reported.
struct PythonProbe {
  std::string python;      // the interpreter, as FindHarnessPython chose it
  std::string rule;        // which rule chose it
  bool started = false;    // the interpreter ran at all
  bool answered = false;   // it ran and printed its report
  std::string error;       // why not (it did not start, timed out, crashed, printed no report)
  std::string version;     // "3.11.2"
  std::string executable;  // sys.executable: where `python` really is
  Json packages =
      Json::object();  // name -> {"version": ...} or {"error": "ModuleNotFoundError: ..."}
  // Only when torch imported: {"version": "13.0" or null, "available": bool,
  // "devices": [{"name", "memory_mib"}], "error": ...}
  Json torch_cuda;
};

// Timeouts, in seconds. Tools answer --version at once; the Python probe imports torch and
// triton, which takes a few seconds from a cold disk cache.
inline constexpr double kToolProbeTimeoutS = 10;
inline constexpr double kPythonProbeTimeoutS = 60;

// The children's environment: the variables a compiler, the driver tools and Python need, read
// through Env; never one that LooksSecret (process_runner.h).
std::map<std::string, std::string> ProbeEnvironment(const Env& env);

// $CXX, else g++: what the harness's native builds run (harness/akg_harness/native.py).
DoctorCheck CheckCompiler(Env* env);

// One call: imports each package and, when torch imports, reports its CUDA build and devices.
PythonProbe ProbePython(Env* env, const std::string& python, const std::string& rule,
                        const std::vector<std::string>& packages);

// The interpreter check, then one check per package of `packages`, in order. `pins` (package ->
// requirement, e.g. "torch==2.11.0", from harness/requirements.txt) go into the pip fix lines;
// `home` is AkgHome, for the path of scripts/setup.sh.
std::vector<DoctorCheck> PythonChecks(const PythonProbe& probe, const DoctorTarget& target,
                                      const std::vector<std::string>& packages,
                                      const std::map<std::string, std::string>& pins,
                                      const std::filesystem::path& home);

// "nvcc" (the version; where it is when not on PATH) and "nvcc vs torch" (its CUDA release
// against torch.version.cuda).
std::vector<DoctorCheck> CheckNvcc(Env* env, const PythonProbe& probe, const DoctorTarget& target);

// The GPUs from nvidia-smi (name, memory, driver) and what torch.cuda sees.
DoctorCheck CheckGpus(Env* env, const PythonProbe& probe, const DoctorTarget& target);

// The packages harness/requirements.txt names, with their requirement ("torch==2.11.0"); empty
// when the file cannot be read.
std::map<std::string, std::string> RequirementPins(const std::filesystem::path& requirements);

// `text` as one shell word: unchanged when it is safe, else in single quotes.
std::string ShellWord(const std::string& text);

}  // namespace akg
