#include "llm/transcript.h"

#include <fstream>

#include <fmt/format.h>

#include "core/files.h"
#include "llm/settings.h"

namespace akg {
namespace fs = std::filesystem;

std::string RequestHash(const LlmRequest& request) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](const std::string& s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separator
    h *= 1099511628211ULL;
  };
  for (const auto& m : request.messages) {
    mix(m.role);
    mix(m.content);
  }
  return fmt::format("{:016x}", h);
}

TranscriptRecorder::TranscriptRecorder(std::vector<std::string> secrets)
    : secrets_(std::move(secrets)) {}

int TranscriptRecorder::calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seq_;
}

Status TranscriptRecorder::Attach(const fs::path& llm_folder) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::error_code ec;
  fs::create_directories(llm_folder, ec);
  if (ec) return InternalError("cannot create " + llm_folder.string() + ": " + ec.message());
  folder_ = llm_folder;
  for (const auto& e : pending_) AKG_RETURN_IF_ERROR(WriteEntry(e));
  pending_.clear();
  return Status::Ok();
}

Status TranscriptRecorder::WriteEntry(const Json& entry) {
  std::string stem = fmt::format("{:04d}-{}", entry["seq"].get<int>(), entry["agent"].get<std::string>());
  std::string prompt;
  for (const auto& m : entry["messages"]) {
    prompt += "## " + m["role"].get<std::string>() + "\n\n" + m["content"].get<std::string>() + "\n\n";
  }
  AKG_RETURN_IF_ERROR(WriteFileAtomic(folder_ / (stem + ".prompt.md"), prompt));
  std::string reply = entry.contains("error")
                          ? "(no reply: " + entry["error"].get<std::string>() + ")\n"
                          : entry["reply"]["text"].get<std::string>();
  AKG_RETURN_IF_ERROR(WriteFileAtomic(folder_ / (stem + ".reply.md"), reply));
  std::ofstream out(folder_ / "transcript.jsonl", std::ios::app);
  out << entry.dump() << "\n";
  if (!out) return InternalError("cannot append to " + (folder_ / "transcript.jsonl").string());
  return Status::Ok();
}

void TranscriptRecorder::Record(const std::string& model_name, const LlmRequest& request,
                                const Result<LlmReply>& reply, LlmErrorKind error_kind) {
  auto clean = [this](const std::string& s) { return RedactSecrets(s, secrets_); };
  Json messages = Json::array();
  for (const auto& m : request.messages) {
    messages.push_back({{"role", m.role}, {"content", clean(m.content)}});
  }
  Json entry = {{"agent", request.agent.empty() ? "agent" : request.agent},
                {"model", model_name},
                {"hash", RequestHash(request)},
                {"messages", messages}};
  if (reply.ok()) {
    entry["reply"] = {{"text", clean(reply->text)},
                      {"reasoning", clean(reply->reasoning)},
                      {"finish_reason", reply->finish_reason},
                      {"model", reply->model},
                      {"input_tokens", reply->usage.input_tokens},
                      {"output_tokens", reply->usage.output_tokens},
                      {"attempts", reply->attempts},
                      {"seconds", reply->seconds}};
  } else {
    entry["error"] = clean(reply.status().message());
    entry["error_kind"] = LlmErrorKindName(error_kind);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  entry["seq"] = ++seq_;
  if (folder_.empty()) {
    pending_.push_back(std::move(entry));
    return;
  }
  // A transcript that cannot be written must not stop the run; the report counts the calls.
  (void)WriteEntry(entry);
}

RecordingLlm::RecordingLlm(std::shared_ptr<LlmClient> inner, std::string model_name,
                           std::shared_ptr<TranscriptRecorder> recorder)
    : inner_(std::move(inner)), model_name_(std::move(model_name)), recorder_(std::move(recorder)) {}

Result<LlmReply> RecordingLlm::Complete(const LlmRequest& request, LlmErrorKind* error_kind) {
  LlmErrorKind kind = LlmErrorKind::kNone;
  auto reply = inner_->Complete(request, &kind);
  if (error_kind) *error_kind = kind;
  recorder_->Record(model_name_, request, reply, kind);
  return reply;
}

Result<std::unique_ptr<ReplayLlm>> ReplayLlm::Load(const fs::path& transcript) {
  std::ifstream in(transcript);
  if (!in) {
    return ConfigError("replay transcript '" + transcript.string() +
                       "' cannot be read; give the llm/transcript.jsonl of an earlier run");
  }
  auto replay = std::unique_ptr<ReplayLlm>(new ReplayLlm());
  replay->path_ = transcript;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    auto j = ParseJson(line, transcript.string() + " line " + std::to_string(n));
    if (!j.ok()) return ConfigError(j.status().message());
    Entry e;
    e.agent = StringOr(*j, "agent", "");
    e.hash = StringOr(*j, "hash", "");
    if (e.hash.empty()) {
      return ConfigError(transcript.string() + " line " + std::to_string(n) +
                         " has no request hash; it is not an akg transcript");
    }
    if (j->contains("reply") && (*j)["reply"].is_object()) {
      const Json& r = (*j)["reply"];
      e.reply.text = StringOr(r, "text", "");
      e.reply.reasoning = StringOr(r, "reasoning", "");
      e.reply.finish_reason = StringOr(r, "finish_reason", "stop");
      e.reply.model = StringOr(r, "model", "");
      e.reply.usage.input_tokens = static_cast<int64_t>(NumberOr(r, "input_tokens", 0));
      e.reply.usage.output_tokens = static_cast<int64_t>(NumberOr(r, "output_tokens", 0));
    } else {
      e.ok = false;
      e.error = StringOr(*j, "error", "recorded call failed");
    }
    replay->entries_.push_back(std::move(e));
  }
  if (replay->entries_.empty()) {
    return ConfigError("replay transcript '" + transcript.string() + "' holds no calls");
  }
  return replay;
}

Result<LlmReply> ReplayLlm::Complete(const LlmRequest& request, LlmErrorKind* error_kind) {
  std::string hash = RequestHash(request);
  std::lock_guard<std::mutex> lock(mutex_);
  // The same prompt first; else this agent's next unused reply in recorded order (a prompt may
  // differ in measured figures such as the task's eager time, which no replay can repeat).
  Entry* chosen = nullptr;
  for (auto& e : entries_) {
    if (!e.used && e.agent == request.agent && e.hash == hash) {
      chosen = &e;
      break;
    }
  }
  if (chosen == nullptr) {
    for (auto& e : entries_) {
      if (!e.used && e.agent == request.agent) {
        chosen = &e;
        ++prompts_differed_;
        break;
      }
    }
  }
  if (chosen == nullptr) {
    if (error_kind) *error_kind = LlmErrorKind::kConfig;
    return ConfigError("replay of " + path_.string() + " has no recorded reply left for this " +
                       request.agent + " request: the run diverged from the recorded one; replay "
                       "needs the same task, target, config and workflow");
  }
  chosen->used = true;
  if (!chosen->ok) {
    if (error_kind) *error_kind = LlmErrorKind::kServer;
    return InternalError("replayed failure: " + chosen->error);
  }
  if (error_kind) *error_kind = LlmErrorKind::kNone;
  return chosen->reply;
}

int ReplayLlm::prompts_differed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return prompts_differed_;
}

std::string ReplayLlm::Describe() const { return "replay of " + path_.string(); }

}  // namespace akg
