// TaskConstructor: turns what the user gave into a validated KernelBench-style task file
// (class Model, get_inputs, get_init_inputs).
//
//   pasted PyTorch code ── complete? ──yes──▶ validate
//                           └─no──▶ LLM adds the missing pieces (prompts/task_from_code.md)
//   a sentence ──LLM writes the task (prompts/task_from_sentence.md)──▶ validate
//   validate: write <work_dir>/<stem>.py, HarnessClient::Inspect; a failure goes back to the
//             LLM with the error (prompts/task_fix.md), up to max_attempts model answers
//
// Offline (no LlmClient): a sentence goes through the builtin intent catalogue
// (builtin/intent.h); pasted code must be complete, except that a missing get_init_inputs()
// is added as `return []` (inspect then checks the constructor really takes no arguments).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "config/target.h"
#include "core/json.h"
#include "core/status.h"
#include "llm/llm.h"
#include "verify/harness_client.h"

namespace akg {

struct TaskConstructorOptions {
  std::filesystem::path prompts_dir;  // <AKG home>/prompts
  std::filesystem::path work_dir;     // the task file is written here
  std::string file_stem = "task";     // file name without ".py"
  Target target;                      // told to the model so sizes suit the device
  int max_attempts = 3;               // model answers at most (first answer + fixes)
  int inspect_seed = 0;
  double inspect_timeout_s = 120;
  std::optional<double> temperature;  // absent = the model's configured value
  const CancelToken* cancel = nullptr;  // the run's token, for the model and the inspection
};

struct ConstructedTask {
  std::string source;             // the task file's text
  std::filesystem::path path;     // <work_dir>/<file_stem>.py, already written
  Json inspection;                // the harness's inspect result for it
  int llm_calls = 0;              // model answers used (0 offline or when used as is)
};

// Which of the three pieces a task file needs are defined at the top level of `code`.
struct TaskPieces {
  bool model = false;
  bool get_inputs = false;
  bool get_init_inputs = false;
  bool complete() const { return model && get_inputs && get_init_inputs; }
  std::string Missing() const;  // "get_inputs() and get_init_inputs()", "" when complete
};
TaskPieces FindTaskPieces(const std::string& code);

class TaskConstructor {
 public:
  // `llm` may be null (offline); neither pointer is owned. One task at a time: not
  // thread-safe.
  TaskConstructor(LlmClient* llm, HarnessClient* harness, TaskConstructorOptions options);

  Result<ConstructedTask> FromCode(const std::string& code);
  Result<ConstructedTask> FromSentence(const std::string& sentence);

 private:
  // Asks the model (first prompt given), validates, and feeds failures back.
  Result<ConstructedTask> Converge(const std::string& first_prompt, const std::string& request,
                                   std::string source, std::string error);
  Result<ConstructedTask> Validate(const std::string& source);
  Result<std::string> Ask(const std::string& user_prompt);

  LlmClient* llm_;
  HarnessClient* harness_;
  TaskConstructorOptions options_;
  std::string system_prompt_;  // rendered on first use
};

}  // namespace akg
