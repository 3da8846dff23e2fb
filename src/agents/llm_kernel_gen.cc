#include "agents/llm_kernel_gen.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "agents/code_extract.h"
#include "agents/exploration.h"
#include "prompt/template.h"

namespace akg {
namespace {

// Older failures matter less than the latest one: they keep a short log.
constexpr size_t kOlderLogChars = 800;

Json HistoryContext(const std::vector<Feedback>& history, size_t log_chars) {
  Json out = Json::array();
  for (size_t i = 0; i < history.size(); ++i) {
    const Feedback& f = history[i];
    bool last = i + 1 == history.size();
    out.push_back({{"attempt", i + 1},
                   {"verdict", f.verdict},
                   {"reason", f.reason},
                   {"message", f.message},
                   {"advice", FailureAdvice(f.reason)},
                   {"log", LogExcerpt(f.log, last ? log_chars : kOlderLogChars)},
                   {"latest", last}});
  }
  return out;
}

Json KernelContext(const ScoredKernel& k, bool with_code) {
  Json j = {{"id", k.id},
            {"description", k.description.empty() ? "(no description)" : k.description},
            {"verdict", k.verdict},
            {"feedback", k.feedback},
            {"speedup", FormatSpeedup(k.speedup_vs_eager) + (k.noisy ? " (noisy)" : "")},
            {"time", k.median_ms > 0 ? fmt::format("{:.4f} ms", k.median_ms) : "not timed"},
            {"code", with_code ? k.code : ""}};
  return j;
}

Json DesignContext(const Design* design) {
  if (design == nullptr) return nullptr;
  return {{"sketch", design->sketch},
          {"hints", design->hints.is_null() ? "" : design->hints.dump(2)}};
}

std::string AttemptKey(const GenRequest& r, int attempt) {
  return fmt::format("{}|{}|{}", r.task->task_path.string(), r.seed, attempt);
}

}  // namespace

std::string GenStage(const GenRequest& request) {
  if (!request.history.empty()) return "debug";
  if (request.parent != nullptr) return "optimise";
  return "generate";
}

LlmKernelGen::LlmKernelGen(LlmClient* llm, LlmAgentOptions options)
    : llm_(llm), options_(std::move(options)) {}

std::string LlmKernelGen::PreviousCode(const GenRequest& request) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = code_by_attempt_.find(AttemptKey(request, request.attempt - 1));
  return it == code_by_attempt_.end() ? "" : it->second;
}

void LlmKernelGen::RememberCode(const GenRequest& request, const std::string& code) {
  std::lock_guard<std::mutex> lock(mutex_);
  code_by_attempt_[AttemptKey(request, request.attempt)] = code;
}

Result<Json> LlmKernelGen::BuildContext(const GenRequest& request, const std::string& stage) {
  const TaskInfo& task = *request.task;
  AKG_ASSIGN_OR_RETURN(Json ctx, AgentContext(task, request.target, options_));
  ctx["stage"] = stage;
  ctx["stage_is"] = {{"generate", stage == "generate"},
                     {"debug", stage == "debug"},
                     {"optimise", stage == "optimise"}};
  ctx["attempt"] = request.attempt;
  ctx["design"] = DesignContext(request.design);
  ctx["skills"] = ledger_.Select(options_, stage, *GraphOf(task));
  ctx["direction"] = "";
  if (stage == "generate" && request.explore >= 0 && options_.skills != nullptr) {
    SkillQuery query = options_.skill_query;
    query.stage = "optimise";
    query.categories = GraphOf(task)->Categories();
    ctx["direction"] = ExplorationDirection(
        OptimisationIdeas(SelectSkills(*options_.skills, query)), request.explore_seed,
        request.explore);
  }
  ctx["history"] = HistoryContext(request.history, options_.log_excerpt_chars);
  ctx["previous_code"] = request.history.empty() ? "" : PreviousCode(request);
  ctx["parent"] = request.parent ? KernelContext(*request.parent, true) : Json(nullptr);
  ctx["profile_report"] = request.parent ? request.profile_report : "";
  // Fastest first, as the ranking has them (speedups share the run's eager baseline).
  std::vector<const ScoredKernel*> ordered;
  for (const ScoredKernel& k : request.inspirations) ordered.push_back(&k);
  std::stable_sort(ordered.begin(), ordered.end(), [](const ScoredKernel* a, const ScoredKernel* b) {
    bool pa = a->verdict == "passed", pb = b->verdict == "passed";
    return pa != pb ? pa : a->speedup_vs_eager > b->speedup_vs_eager;
  });
  // Trimmed: a kernel whose code the prompt already shows (the parent, or an identical
  // one listed before) is not listed again; a passed kernel's line has its numbers once (its
  // measured summary repeats them), a failure keeps its one-line reason.
  Json inspirations = Json::array();
  const ScoredKernel* best = nullptr;
  std::set<std::string> shown;
  if (request.parent != nullptr) shown.insert(request.parent->code);
  for (const ScoredKernel* kp : ordered) {
    const ScoredKernel& k = *kp;
    if (!k.code.empty() && !shown.insert(k.code).second) continue;
    Json line = KernelContext(k, false);
    if (k.verdict == "passed") line["feedback"] = "";
    inspirations.push_back(line);
    if (k.verdict == "passed" && (best == nullptr || k.speedup_vs_eager > best->speedup_vs_eager)) {
      best = &k;
    }
  }
  // The fastest one's code only when it beats the kernel to improve (else that code is it).
  if (best != nullptr && request.parent != nullptr &&
      best->speedup_vs_eager <= request.parent->speedup_vs_eager) {
    best = nullptr;
  }
  ctx["has_inspirations"] = !inspirations.empty();
  ctx["inspirations"] = inspirations;
  ctx["best_inspiration"] = best ? KernelContext(*best, true) : Json(nullptr);
  return ctx;
}

Result<Candidate> LlmKernelGen::Generate(const GenRequest& request) {
  if (request.task == nullptr) return InternalError("KernelGen: the request has no task");
  std::string stage = GenStage(request);
  AKG_ASSIGN_OR_RETURN(Json ctx, BuildContext(request, stage));
  AKG_ASSIGN_OR_RETURN(LlmRequest req, RenderChatRequest("kernel_gen", options_,
                                                         "kernel_gen_system.md",
                                                         "kernel_gen_user.md", ctx));
  req.cancel = request.cancel;
  req.on_delta = request.on_text;
  if (request.seed != 0) req.seed = request.seed;
  std::string problem;
  for (int round = 1; round <= 2; ++round) {
    auto reply = llm_->Complete(req);
    if (!reply.ok()) {
      return Status::Error(reply.status().kind(), "KernelGen: " + reply.status().message());
    }
    auto code = ExtractCode(reply->text, "ModelNew");
    if (code.ok() && code->unclosed && reply->finish_reason == "length") {
      problem = "the reply was cut off by the output token limit before the code block was "
                "closed; answer with the complete file and keep the prose short";
    } else if (!code.ok()) {
      problem = code.status().message();
      if (reply->finish_reason == "length") problem += " (the reply was cut off by the token limit)";
    } else {
      RememberCode(request, code->code);
      std::string description = FirstSentence(code->prose);
      if (description.empty()) description = fmt::format("LLM kernel, attempt {}", request.attempt);
      return Candidate{code->code, description, nullptr};
    }
    if (round == 2) break;
    AKG_ASSIGN_OR_RETURN(std::string retry,
                         RenderTemplateFile(options_.prompts_dir, "kernel_gen_retry.md",
                                            Json{{"problem", problem}}));
    req.messages.push_back({"assistant", reply->text});
    req.messages.push_back({"user", retry});
  }
  return InternalError("KernelGen: the model " + llm_->Describe() +
                       " gave no usable code in two replies (" + problem +
                       "); rerun, or choose a stronger model for kernel_gen in "
                       ".akg/settings.yaml");
}

}  // namespace akg
