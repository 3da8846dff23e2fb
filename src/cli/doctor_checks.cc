#include "cli/doctor_checks.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "core/files.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

// Reports every package in one line of JSON after a marker, so that whatever a package prints
// on import cannot be mistaken for the report. torch.cuda is asked only once torch imported.
constexpr const char* kPythonScript = R"(import importlib, json, sys
def why(e):
    return (type(e).__name__ + ": " + str(e)).splitlines()[0][:300]
r = {"python": sys.version.split()[0], "executable": sys.executable, "packages": {}}
for n in sys.argv[1:]:
    try:
        m = importlib.import_module(n)
        r["packages"][n] = {"version": str(getattr(m, "__version__", "unknown"))}
    except BaseException as e:
        r["packages"][n] = {"error": why(e)}
t = sys.modules.get("torch")
if t is not None and "version" in r["packages"].get("torch", {}):
    c = {"version": t.version.cuda, "available": False, "devices": []}
    try:
        c["available"] = bool(t.cuda.is_available())
        for i in range(t.cuda.device_count() if c["available"] else 0):
            p = t.cuda.get_device_properties(i)
            c["devices"].append({"name": p.name, "memory_mib": p.total_memory // 1048576})
    except BaseException as e:
        c["error"] = why(e)
    r["torch_cuda"] = c
print("AKG_DOCTOR " + json.dumps(r))
)";
constexpr const char* kMarker = "AKG_DOCTOR ";

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string FirstLine(const std::string& text) {
  std::string t = Trim(text);
  return Trim(t.substr(0, t.find('\n')));
}

std::string LastLine(const std::string& text) {
  std::string t = Trim(text);
  size_t nl = t.rfind('\n');
  return Trim(nl == std::string::npos ? t : t.substr(nl + 1));
}

ProcessResult RunProbe(Env* env, std::vector<std::string> argv, double timeout_s) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.env = ProbeEnvironment(*env);
  spec.timeout_s = timeout_s;
  spec.kill_grace_s = 0.5;
  spec.max_output_bytes = size_t{1} << 16;
  return env->runner()->Run(spec);
}

// "exited 1: <its last stderr line>" or the start error.
std::string Failure(const ProcessResult& r) {
  // The runner's "not found" names the whole PATH: too long for one line, and PATH is the
  // user's own.
  if (!r.started && r.start_error.find("not found") != std::string::npos) {
    return "not found on PATH";
  }
  if (!r.started) return r.start_error.empty() ? "did not start" : r.start_error;
  std::string said = LastLine(r.stderr_text.empty() ? r.stdout_text : r.stderr_text);
  return r.Describe() + (said.empty() ? "" : ": " + said);
}

// "13.0" from `nvcc --version` ("Cuda compilation tools, release 13.0, V13.0.88"); "" if absent.
std::string NvccRelease(const std::string& text) {
  static const std::regex kRelease(R"(release (\d+\.\d+))");
  std::smatch m;
  return std::regex_search(text, m, kRelease) ? m[1].str() : "";
}

std::string Major(const std::string& version) { return version.substr(0, version.find('.')); }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Whether an nvidia-smi or torch device name is the target's arch ("NVIDIA H100 80GB HBM3" is
// h100, "NVIDIA GeForce RTX 4090" is rtx4090).
bool NameIsArch(const std::string& name, const std::string& arch) {
  std::string squeezed;
  for (char c : Lower(name)) {
    if (c != ' ' && c != '-') squeezed += c;
  }
  return squeezed.find(arch) != std::string::npos;
}

std::string CudaToolkitFix(const std::string& cuda) {
  if (cuda.empty()) {
    return "sudo apt-get install -y cuda-toolkit && export PATH=/usr/local/cuda/bin:$PATH";
  }
  std::string dashed = cuda;
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  return fmt::format(
      "sudo apt-get install -y cuda-toolkit-{} && export PATH=/usr/local/cuda-{}/bin:$PATH", dashed,
      cuda);
}

bool IsDefaultRule(const std::string& rule) { return rule.rfind("the default", 0) == 0; }

std::string InterpreterFix(const PythonProbe& p, const fs::path& home) {
  std::string setup = (home / "scripts" / "setup.sh").string();
  if (p.rule == "AKG_PYTHON") return "unset AKG_PYTHON && " + setup;
  if (p.rule.rfind("the DSL config", 0) == 0) {
    return "fix 'python' in the DSL config, or remove it and run " + setup;
  }
  return setup;
}

std::string PackageFix(const PythonProbe& p, const std::string& package,
                       const std::map<std::string, std::string>& pins, const fs::path& home) {
  auto pin = pins.find(package);
  // The venv that setup.sh makes has every pinned package; a system python3 is not ours to
  // pip into.
  if (pin != pins.end() && IsDefaultRule(p.rule)) return (home / "scripts" / "setup.sh").string();
  std::string pip = ShellWord(p.python) + " -m pip install " +
                    ShellWord(pin != pins.end() ? pin->second : package);
  if (p.rule == "AKG_PYTHON" && pin != pins.end()) {
    pip += "  # or: unset AKG_PYTHON && " + (home / "scripts" / "setup.sh").string();
  }
  return pip;
}

bool PackageNeeded(const std::string& package, const DoctorTarget& t) {
  if (package == "torch" || package == "numpy") return true;
  if (package == "triton") return t.dsl == "triton_cuda" || t.dsl == "triton_ascend";
  if (package == "tilelang") return t.dsl == "tilelang_cuda";
  if (package == "torch_npu") return t.device == "npu";
  return false;
}

std::string TorchDetail(const PythonProbe& p, const std::string& version) {
  const Json& c = p.torch_cuda;
  if (!c.is_object()) return version;
  if (!c.contains("version") || c["version"].is_null()) return version + " (a CPU-only build)";
  return version + " (built for CUDA " + StringOr(c, "version", "?") + ")";
}

// "NVIDIA H200 (143771 MiB, driver 570.124.06)" per nvidia-smi line.
std::vector<std::string> SmiGpus(const std::string& csv) {
  std::vector<std::string> gpus;
  std::istringstream lines(csv);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, ',');) f.push_back(Trim(x));
    if (f.size() == 3) gpus.push_back(fmt::format("{} ({}, driver {})", f[0], f[1], f[2]));
  }
  return gpus;
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// nvcc on PATH (or $NVCC), as the harness runs it; when absent, the usual toolkit folders, so
// that the fix is one export. `release` gets "13.0", or "" when there is no usable nvcc.
DoctorCheck FindNvcc(Env* env, const std::string& torch_cuda, bool needed, std::string* release) {
  DoctorCheck nvcc("nvcc", needed);
  auto var = env->Var("NVCC");
  bool from_var = var && !var->empty();
  auto r = RunProbe(env, {from_var ? *var : "nvcc", "--version"}, kToolProbeTimeoutS);
  if (r.Succeeded()) {
    *release = NvccRelease(r.stdout_text);
    nvcc.detail = "release " + (release->empty() ? "unknown" : *release) +
                  (from_var ? " ($NVCC=" + *var + ")" : " (on PATH)");
    return nvcc;
  }
  nvcc.status = r.started ? CheckStatus::kProblem : CheckStatus::kMissing;
  nvcc.detail = (from_var ? "$NVCC=" + *var : "nvcc on PATH") + ": " + Failure(r);
  nvcc.fix = CudaToolkitFix(torch_cuda);
  if (r.started) return nvcc;
  std::vector<fs::path> dirs;
  for (const char* v : {"CUDA_HOME", "CUDA_PATH"}) {
    if (auto d = env->Var(v); d && !d->empty()) dirs.push_back(fs::path(*d) / "bin");
  }
  dirs.push_back("/usr/local/cuda/bin");
  for (const auto& dir : dirs) {
    auto found = RunProbe(env, {(dir / "nvcc").string(), "--version"}, kToolProbeTimeoutS);
    if (!found.Succeeded()) continue;
    nvcc.detail = "not on PATH; " + (dir / "nvcc").string() + " is release " +
                  NvccRelease(found.stdout_text);
    nvcc.fix = "export PATH=" + ShellWord(dir.string()) + ":$PATH";
    break;
  }
  return nvcc;
}

// torch.cuda's devices as "NAME (N MiB)".
std::vector<std::string> TorchGpus(const Json& torch_cuda) {
  std::vector<std::string> gpus;
  if (!torch_cuda.is_object() || !torch_cuda.contains("devices")) return gpus;
  for (const auto& d : torch_cuda["devices"]) {
    gpus.push_back(
        fmt::format("{} ({} MiB)", StringOr(d, "name", "?"), NumberOr(d, "memory_mib", 0)));
  }
  return gpus;
}

// One phrase on what torch.cuda sees beside the GPUs found; a GPU that torch cannot use
// makes `g` a problem with its fix.
std::string TorchSees(const PythonProbe& probe, size_t torch_devices, DoctorCheck* g) {
  const Json& tc = probe.torch_cuda;
  if (!tc.is_object()) return "torch.cuda not checked (torch did not import)";
  if (torch_devices > 0) return fmt::format("torch sees {}", torch_devices);
  g->status = CheckStatus::kProblem;
  if (!tc.contains("version") || tc["version"].is_null()) {
    g->fix = ShellWord(probe.python) +
             " -m pip install --force-reinstall torch  # PyPI's Linux wheels are CUDA builds";
    return "torch is a CPU-only build";
  }
  g->fix = "install an NVIDIA driver that supports CUDA " + StringOr(tc, "version", "?");
  std::string why = StringOr(tc, "error", "");
  return "torch.cuda.is_available() is False" + (why.empty() ? "" : ": " + why);
}

}  // namespace

const char* CheckStatusName(CheckStatus status) {
  switch (status) {
    case CheckStatus::kOk: return "ok";
    case CheckStatus::kMissing: return "missing";
    case CheckStatus::kProblem: return "problem";
    case CheckStatus::kSkipped: return "skipped";
  }
  return "?";
}

std::map<std::string, std::string> ProbeEnvironment(const Env& env) {
  static const char* kNames[] = {"PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR",
                                 "LD_LIBRARY_PATH", "CXX", "NVCC", "CUDA_HOME", "CUDA_PATH",
                                 "CUDA_VISIBLE_DEVICES"};
  std::map<std::string, std::string> out;
  for (const char* name : kNames) {
    if (auto v = env.Var(name); v && !LooksSecret(name)) out[name] = *v;
  }
  if (!out.count("PATH")) out["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  out["PYTHONDONTWRITEBYTECODE"] = "1";  // a probe leaves no __pycache__ behind
  return out;
}

DoctorCheck CheckCompiler(Env* env) {
  // cpp kernels, CUDA host code and triton's launchers all build with it.
  DoctorCheck c("c++ compiler", true);
  auto cxx = env->Var("CXX");
  bool from_var = cxx && !cxx->empty();
  std::string program = from_var ? *cxx : "g++";
  std::string where = from_var ? "$CXX=" + program : "g++ on PATH";
  auto r = RunProbe(env, {program, "--version"}, kToolProbeTimeoutS);
  if (r.Succeeded()) {
    c.detail = FirstLine(r.stdout_text) + " (" + where + ")";
    return c;
  }
  c.status = r.started ? CheckStatus::kProblem : CheckStatus::kMissing;
  c.detail = where + ": " + Failure(r);
  c.fix = from_var ? "unset CXX  # or export CXX=<an installed C++ compiler>"
                   : "sudo apt-get install -y g++";
  return c;
}

PythonProbe ProbePython(Env* env, const std::string& python, const std::string& rule,
                        const std::vector<std::string>& packages) {
  PythonProbe p;
  p.python = python;
  p.rule = rule;
  std::vector<std::string> argv = {python, "-c", kPythonScript};
  argv.insert(argv.end(), packages.begin(), packages.end());
  auto r = RunProbe(env, argv, kPythonProbeTimeoutS);
  p.started = r.started;
  size_t at = r.stdout_text.rfind(kMarker);
  if (!r.Succeeded() || at == std::string::npos) {
    p.error = r.Succeeded() ? "printed no report" : Failure(r);
    return p;
  }
  std::string line = r.stdout_text.substr(at + std::strlen(kMarker));
  auto report = ParseJson(line.substr(0, line.find('\n')), "the Python probe's report");
  if (!report.ok() || !report->is_object()) {
    p.error = report.ok() ? "printed a report that is not an object" : report.status().message();
    return p;
  }
  p.answered = true;
  p.version = StringOr(*report, "python", "?");
  p.executable = StringOr(*report, "executable", "");
  if (report->contains("packages") && (*report)["packages"].is_object()) {
    p.packages = (*report)["packages"];
  }
  if (report->contains("torch_cuda")) p.torch_cuda = (*report)["torch_cuda"];
  return p;
}

std::vector<DoctorCheck> PythonChecks(const PythonProbe& p, const DoctorTarget& t,
                                      const std::vector<std::string>& packages,
                                      const std::map<std::string, std::string>& pins,
                                      const fs::path& home) {
  std::vector<DoctorCheck> checks;
  DoctorCheck py("python", true);
  if (p.answered) {
    std::string resolved =
        p.executable.empty() || p.executable == p.python ? "" : " -> " + p.executable;
    py.detail =
        fmt::format("{}{} (Python {}; chosen by {})", p.python, resolved, p.version, p.rule);
  } else {
    py.status = p.started ? CheckStatus::kProblem : CheckStatus::kMissing;
    py.detail = fmt::format("{} (chosen by {}): {}", p.python, p.rule, p.error);
    py.fix = InterpreterFix(p, home);
  }
  checks.push_back(py);
  for (const auto& name : packages) {
    DoctorCheck c(name, PackageNeeded(name, t));
    const Json& found =
        p.packages.is_object() && p.packages.contains(name) ? p.packages[name] : Json();
    if (!p.answered) {
      c.status = CheckStatus::kSkipped;
      c.detail = "not checked: the harness Python did not answer";
    } else if (found.is_object() && found.contains("version")) {
      std::string version = StringOr(found, "version", "?");
      c.detail = name == "torch" ? TorchDetail(p, version) : version;
    } else {
      std::string error = StringOr(found, "error", "not reported");
      bool absent = error.rfind("ModuleNotFoundError", 0) == 0;
      c.status = absent ? CheckStatus::kMissing : CheckStatus::kProblem;
      c.detail = (absent ? "not installed in " : "does not import in ") + p.python + ": " + error;
      c.fix = PackageFix(p, name, pins, home);
    }
    checks.push_back(c);
  }
  return checks;
}

std::vector<DoctorCheck> CheckNvcc(Env* env, const PythonProbe& probe, const DoctorTarget& t) {
  bool needed = t.dsl == "cuda" || t.dsl == "tilelang_cuda";  // both compile CUDA C with it
  std::string torch_cuda =
      probe.torch_cuda.is_object() ? StringOr(probe.torch_cuda, "version", "") : "";
  std::string release;
  DoctorCheck nvcc = FindNvcc(env, torch_cuda, needed, &release);
  DoctorCheck match("nvcc vs torch", needed);
  match.status = CheckStatus::kSkipped;
  if (release.empty()) {
    match.detail = "no nvcc to compare";
  } else if (!probe.torch_cuda.is_object()) {
    match.detail = "torch did not import";
  } else if (torch_cuda.empty()) {
    match.detail = "torch is a CPU-only build";
  } else if (Major(release) != Major(torch_cuda)) {
    match.status = CheckStatus::kProblem;
    match.detail = fmt::format("nvcc {} but torch is built for CUDA {}: kernels built with one "
                               "may not load beside the other", release, torch_cuda);
    match.fix = CudaToolkitFix(torch_cuda);
  } else {
    match.status = CheckStatus::kOk;
    match.detail = fmt::format("nvcc {}, torch built for CUDA {}{}", release, torch_cuda,
                               release == torch_cuda ? "" : " (same major version)");
  }
  return {nvcc, match};
}

DoctorCheck CheckGpus(Env* env, const PythonProbe& probe, const DoctorTarget& t) {
  DoctorCheck g("gpu", t.device == "cuda");
  auto smi = RunProbe(env, {"nvidia-smi", "--query-gpu=name,memory.total,driver_version",
                            "--format=csv,noheader"}, kToolProbeTimeoutS);
  std::vector<std::string> gpus;
  if (smi.Succeeded()) gpus = SmiGpus(smi.stdout_text);
  std::vector<std::string> torch_gpus = TorchGpus(probe.torch_cuda);
  if (gpus.empty() && torch_gpus.empty()) {
    g.status = CheckStatus::kMissing;
    g.detail = fmt::format(
        "no NVIDIA GPU (nvidia-smi: {}; {})", smi.Succeeded() ? "no GPUs listed" : Failure(smi),
        env->HasCudaDevice() ? "/dev/nvidiactl is present" : "no /dev/nvidiactl");
    if (g.needed) {
      g.fix = "run on a machine with an NVIDIA GPU, or target the CPU: "
              "--backend cpu --arch x86_64 --dsl cpp";
    }
    return g;
  }
  std::string sees = TorchSees(probe, torch_gpus.size(), &g);
  if (gpus.empty()) {
    gpus = torch_gpus;
    sees += "; nvidia-smi: " + Failure(smi);
  }
  g.detail = Join(gpus, ", ") + "; " + sees;
  bool is_arch = false;
  for (const auto& gpu : gpus) {
    is_arch = is_arch || NameIsArch(gpu.substr(0, gpu.find(" (")), t.arch);  // the name only
  }
  if (g.status == CheckStatus::kOk && t.device == "cuda" && !is_arch) {
    g.status = CheckStatus::kProblem;
    g.detail += "; none is a " + t.arch + " (kernels are built for " + t.arch + ")";
    g.fix = "pass the --arch of this GPU (one of h100, h200, a100, l40s, rtx4090)";
  }
  return g;
}

std::map<std::string, std::string> RequirementPins(const fs::path& requirements) {
  std::map<std::string, std::string> pins;
  auto text = ReadFile(requirements);
  if (!text.ok()) return pins;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    std::string spec;
    for (char ch : line.substr(0, line.find('#'))) {
      if (!std::isspace(static_cast<unsigned char>(ch))) spec += ch;
    }
    size_t end = spec.find_first_of("=<>!~;[");
    if (!spec.empty() && end != 0) pins[Lower(spec.substr(0, end))] = spec;
  }
  return pins;
}

std::string ShellWord(const std::string& text) {
  bool safe = !text.empty();
  for (char c : text) {
    safe = safe && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_./=:+-@%,", c));
  }
  if (safe) return text;
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace akg
