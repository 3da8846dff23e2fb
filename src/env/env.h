// The Env seam: everything a front end and a Session read from outside the program, so that
// they are tested with a FakeEnv (fake_env.h) instead of the real machine.
//
//   environment variables (Var, Lookup)   AKG_HOME, AKG_PYTHON, model keys, XDG_* ...
//   stdin (ReadStdin, StdinIsTerminal)    pasted code, the interactive session
//   the machine (HasCudaDevice, Cores, ExecutableDir, WorkingDir)
//   side effects with seams of their own: the clock and the process runner
//
// SystemEnv is the real one. Nothing else in src/session or src/cli calls getenv, std::cin,
// std::thread::hardware_concurrency or looks at /dev directly.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "env/clock.h"
#include "env/process_runner.h"

namespace akg {

class Env {
 public:
  virtual ~Env() = default;
  virtual std::optional<std::string> Var(const std::string& name) const = 0;
  // All of stdin, to its end.
  virtual Result<std::string> ReadStdin() = 0;
  virtual bool StdinIsTerminal() const = 0;
  virtual bool StdoutIsTerminal() const = 0;
  virtual std::filesystem::path WorkingDir() const = 0;
  // The folder of the running akg_cli binary ("" when unknown), where setup leaves akg_python.
  virtual std::filesystem::path ExecutableDir() const = 0;
  virtual bool HasCudaDevice() const = 0;  // an NVIDIA driver node is present
  virtual unsigned Cores() const = 0;
  virtual Clock* clock() = 0;
  virtual ProcessRunner* runner() = 0;

  // Var as the lookup function the settings loader takes.
  std::function<std::optional<std::string>(const std::string&)> Lookup() const {
    return [this](const std::string& name) { return Var(name); };
  }
};

// The real process environment, stdin and machine; a PosixProcessRunner and the system clock.
class SystemEnv final : public Env {
 public:
  SystemEnv();
  ~SystemEnv() override;
  std::optional<std::string> Var(const std::string& name) const override;
  Result<std::string> ReadStdin() override;
  bool StdinIsTerminal() const override;
  bool StdoutIsTerminal() const override;
  std::filesystem::path WorkingDir() const override;
  std::filesystem::path ExecutableDir() const override;
  bool HasCudaDevice() const override;
  unsigned Cores() const override;
  Clock* clock() override;
  ProcessRunner* runner() override;

 private:
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<ProcessRunner> runner_;
};

// Where configs/, prompts/, skills/, harness/ live: AKG_HOME, else the source tree the binary
// was built from.
std::filesystem::path AkgHome(const Env& env);

// The harness interpreter: `configured` (the DSL config's `python`) if set, else AKG_PYTHON,
// else the interpreter named in the `akg_python` file setup wrote beside the binary (when it
// exists), else "python3". `why` (optional) says which rule chose it.
std::string FindHarnessPython(const Env& env, const std::string& configured,
                              std::string* why = nullptr);

}  // namespace akg
