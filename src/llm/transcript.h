// Every prompt and reply of a run, saved in its run folder, and replay of a saved run.
//
//   RecordingLlm (decorator) ──▶ <run>/llm/NNNN-<agent>.prompt.md, NNNN-<agent>.reply.md and
//                                one line per call in <run>/llm/transcript.jsonl
//   transcript.jsonl ──ReplayLlm──▶ the same replies again, matched by (agent, request hash),
//                                   so a run is reproduced exactly without a network.
//
// Calls made before the run folder exists (the TaskConstructor's) are kept in memory and
// written when the recorder is attached to the folder. Known API keys are redacted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/json.h"
#include "llm/llm.h"

namespace akg {

// Stable 64-bit FNV-1a over the roles and contents of the messages, as 16 hex digits.
std::string RequestHash(const LlmRequest& request);

class TranscriptRecorder {
 public:
  explicit TranscriptRecorder(std::vector<std::string> secrets);
  // Writes what was buffered, then writes every later call as it completes.
  Status Attach(const std::filesystem::path& llm_folder);
  void Record(const std::string& model_name, const LlmRequest& request,
              const Result<LlmReply>& reply, LlmErrorKind error_kind);
  int calls() const;

 private:
  Status WriteEntry(const Json& entry);
  mutable std::mutex mutex_;
  std::vector<std::string> secrets_;
  std::filesystem::path folder_;
  std::vector<Json> pending_;
  int seq_ = 0;
};

class RecordingLlm : public LlmClient {
 public:
  RecordingLlm(std::shared_ptr<LlmClient> inner, std::string model_name,
               std::shared_ptr<TranscriptRecorder> recorder);
  Result<LlmReply> Complete(const LlmRequest& request, LlmErrorKind* error_kind) override;
  std::string Describe() const override { return inner_->Describe(); }

 private:
  std::shared_ptr<LlmClient> inner_;
  std::string model_name_;
  std::shared_ptr<TranscriptRecorder> recorder_;
};

// Serves the replies of a recorded transcript. Each recorded reply is used once: by the first
// request of the same agent with the same prompt hash, else by the agent's next unused reply
// in recorded order (prompts may differ in measured figures). An agent with no reply left is an
// error that says the run diverged.
class ReplayLlm : public LlmClient {
 public:
  static Result<std::unique_ptr<ReplayLlm>> Load(const std::filesystem::path& transcript);
  Result<LlmReply> Complete(const LlmRequest& request, LlmErrorKind* error_kind) override;
  std::string Describe() const override;
  int prompts_differed() const;  // replies served to a prompt other than the recorded one

 private:
  struct Entry {
    std::string agent, hash;
    bool ok = true;
    std::string error;
    LlmReply reply;
    bool used = false;
  };
  std::filesystem::path path_;
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;
  int prompts_differed_ = 0;
};

}  // namespace akg
