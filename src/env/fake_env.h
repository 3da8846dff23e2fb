// A scripted Env for tests: variables from a map, stdin from a string, the machine as told, a
// FakeClock and a FakeProcessRunner (or any runner the test gives). Header-only, so it stays
// out of the library.
#pragma once

#include <map>

#include "env/env.h"
#include "env/fake_process_runner.h"

namespace akg {

class FakeEnv final : public Env {
 public:
  explicit FakeEnv(ProcessRunner* runner = nullptr, Clock* clock = nullptr)
      : runner_(runner != nullptr ? runner : &fake_runner_), clock_(clock != nullptr ? clock : &fake_clock_) {}

  std::map<std::string, std::string> vars;
  std::string stdin_text;
  bool stdin_terminal = false, stdout_terminal = false;
  std::filesystem::path working_dir = ".";
  std::filesystem::path executable_dir;
  bool cuda = false;
  unsigned cores = 2;

  std::optional<std::string> Var(const std::string& name) const override {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  }
  Result<std::string> ReadStdin() override { return std::exchange(stdin_text, std::string()); }
  bool StdinIsTerminal() const override { return stdin_terminal; }
  bool StdoutIsTerminal() const override { return stdout_terminal; }
  std::filesystem::path WorkingDir() const override { return working_dir; }
  std::filesystem::path ExecutableDir() const override { return executable_dir; }
  bool HasCudaDevice() const override { return cuda; }
  unsigned Cores() const override { return cores; }
  Clock* clock() override { return clock_; }
  ProcessRunner* runner() override { return runner_; }

  FakeProcessRunner& fake_runner() { return fake_runner_; }
  FakeClock& fake_clock() { return fake_clock_; }

 private:
  FakeProcessRunner fake_runner_;
  FakeClock fake_clock_;
  ProcessRunner* runner_;
  Clock* clock_;
};

}  // namespace akg
