#include "env/env.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <system_error>
#include <thread>

#include "core/files.h"

namespace akg {

namespace fs = std::filesystem;

SystemEnv::SystemEnv()
    : clock_(std::make_unique<SystemClock>()), runner_(std::make_unique<PosixProcessRunner>()) {}
SystemEnv::~SystemEnv() = default;

std::optional<std::string> SystemEnv::Var(const std::string& name) const {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

Result<std::string> SystemEnv::ReadStdin() {
  std::string text(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>{});
  if (std::cin.bad()) return InputError("reading stdin failed");
  return text;
}

bool SystemEnv::StdinIsTerminal() const { return isatty(STDIN_FILENO) != 0; }
bool SystemEnv::StdoutIsTerminal() const { return isatty(STDOUT_FILENO) != 0; }

fs::path SystemEnv::WorkingDir() const {
  std::error_code ec;
  fs::path p = fs::current_path(ec);
  return ec ? fs::path(".") : p;
}

fs::path SystemEnv::ExecutableDir() const {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

bool SystemEnv::HasCudaDevice() const { return fs::exists("/dev/nvidiactl"); }

unsigned SystemEnv::Cores() const {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

Clock* SystemEnv::clock() { return clock_.get(); }
ProcessRunner* SystemEnv::runner() { return runner_.get(); }

fs::path AkgHome(const Env& env) {
  auto home = env.Var("AKG_HOME");
  return home && !home->empty() ? fs::path(*home) : fs::path(AKG_SOURCE_DIR);
}

std::string FindHarnessPython(const Env& env, const std::string& configured, std::string* why) {
  auto said = [why](const std::string& rule) {
    if (why != nullptr) *why = rule;
  };
  if (!configured.empty()) {
    said("the DSL config's 'python'");
    return configured;
  }
  if (auto v = env.Var("AKG_PYTHON"); v && !v->empty()) {
    said("AKG_PYTHON");
    return *v;
  }
  fs::path dir = env.ExecutableDir();
  if (!dir.empty()) {
    auto text = ReadFile(dir / "akg_python");
    if (text.ok()) {
      std::string path = *text;
      while (!path.empty() && std::isspace(static_cast<unsigned char>(path.back()))) path.pop_back();
      std::error_code ec;
      if (!path.empty() && fs::exists(path, ec)) {
        said((dir / "akg_python").string() + " (written by scripts/setup.sh)");
        return path;
      }
    }
  }
  said("the default (no AKG_PYTHON, no akg_python beside the binary)");
  return "python3";
}

}  // namespace akg
