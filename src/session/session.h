// The Session: what stays for as long as akg_cli runs, shared by the runs it starts (one for
// `op`, many for the interactive session and `bench`).
//
//   Session::Open(SessionOptions, Env)
//     target (validated) + DslConfig (configs/<dsl>.yaml + --config)
//     LLM settings (settings files, environment, --replay) and skills
//     a temporary work root, slot 0's HarnessClient and the device pool with its warm servers
//     the target's peak rates (resolved on first use)
//     a cancel token under the process's root: every run's token hangs under it
//   Session::NewRun(RunRequest) -> Run (run.h)
//
// A run's model registry, ledger and transcript are the run's own (its report and its folder's
// llm/ hold that run's calls only, and its budget is its own).
// The harness servers outlive runs: cancelling a run stops only that run's children.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/dsl_config.h"
#include "config/target.h"
#include "core/json.h"
#include "core/status.h"
#include "env/cancel.h"
#include "env/env.h"
#include "llm/settings.h"
#include "skills/skills.h"
#include "verify/harness_client.h"
#include "verify/peaks.h"
#include "workflow/device_pool.h"

namespace akg {

struct SessionOptions {
  Target target;                // framework, backend, arch, dsl
  std::string devices = "0";    // comma list of device ids
  std::string config_file;      // overrides configs/<dsl>.yaml key by key ("" = none)
  std::string replay;           // a run folder whose llm/transcript.jsonl answers every call
};

// One-line notices for the user ("no CUDA device: ... interpreter"); thread-safe callers.
using NoteSink = std::function<void(const std::string&)>;

class Session {
 public:
  // Validates everything about the target, devices, config, settings and skills; starts the
  // device pool's servers (importing torch in the background). An error names the problem and
  // the fix; nothing is left behind.
  static Result<std::unique_ptr<Session>> Open(const SessionOptions& options, Env* env,
                                               NoteSink notes);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const SessionOptions& options() const { return options_; }
  const Target& target() const { return options_.target; }
  const TargetRow& row() const { return row_; }
  const DslConfig& config() const { return config_; }
  const std::vector<int>& devices() const { return devices_; }
  const LlmSettings& llm_settings() const { return llm_settings_; }
  const std::vector<Skill>& skills() const { return skills_; }
  std::filesystem::path home() const { return home_; }
  Env& env() { return *env_; }
  const NoteSink& notes() const { return notes_; }
  // Triton kernels run under Triton's interpreter (triton_cuda on a machine with no GPU).
  bool interpreter() const { return interpreter_; }
  // Non-empty when this machine cannot run the target's kernels: the one line runs stop with
  // ("not verified: no CUDA device"); candidates are built on the CPU and never verified.
  const std::string& unverifiable() const { return unverifiable_; }

  // Slot 0's client: inspects tasks, checks static rules; verifies when the pool is one slot.
  HarnessClient* harness() { return harness_.get(); }
  DevicePool* pool() { return pool_.pool.get(); }
  // A fresh folder under the session's temporary work root, for one run's staging.
  // Thread-safe (bench stages tasks on several threads), as is Peaks.
  Result<std::filesystem::path> RunWorkDir();

  // The target's peak rates (configs/arch_peaks.yaml, or measured once and cached); the note,
  // if any, goes to notes() the first time.
  Json Peaks(const CancelToken* cancel);

  // The parent of every run's token; cancelled only when the whole session ends.
  CancelToken* token() { return &token_; }

 private:
  Session(const SessionOptions& options, Env* env, NoteSink notes);
  Status Init();
  HarnessOptions MakeHarnessOptions() const;

  SessionOptions options_;
  Env* env_;
  NoteSink notes_;
  std::filesystem::path home_;
  TargetRow row_;
  DslConfig config_;
  std::vector<int> devices_;
  LlmSettings llm_settings_;
  std::vector<Skill> skills_;
  bool interpreter_ = false;
  std::string unverifiable_;
  CancelToken token_{&ProcessCancelToken()};
  std::filesystem::path work_root_;  // removed with the session
  std::atomic<int> runs_staged_{0};
  std::unique_ptr<HarnessClient> harness_;
  OwnedDevicePool pool_;
  std::mutex peaks_mu_;  // concurrent runs wait for the one lookup
  std::optional<Json> peaks_;
};

// Parses "0,1,3"; the error names the bad element.
Result<std::vector<int>> ParseDevices(const std::string& text);

}  // namespace akg
