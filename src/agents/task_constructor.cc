#include "agents/task_constructor.h"

#include <fmt/format.h>

#include "agents/code_extract.h"
#include "builtin/intent.h"
#include "core/files.h"
#include "prompt/template.h"

namespace akg {
namespace {

constexpr const char* kConfigureLlm =
    "configure an LLM model in .akg/settings.yaml";

// A top-level `def <name>(` line.
bool DefinesFunction(const std::string& code, const std::string& name) {
  size_t pos = 0;
  const std::string head = "def " + name;
  while ((pos = code.find(head, pos)) != std::string::npos) {
    bool line_start = pos == 0 || code[pos - 1] == '\n';
    size_t after = pos + head.size();
    while (after < code.size() && (code[after] == ' ' || code[after] == '\t')) ++after;
    if (line_start && after < code.size() && code[after] == '(') return true;
    pos += head.size();
  }
  return false;
}

Json TargetJson(const Target& t) {
  return {{"backend", t.backend.empty() ? "cpu" : t.backend},
          {"arch", t.arch},
          {"dsl", t.dsl},
          {"gpu", t.backend == "cuda" || t.backend == "ascend"}};
}

}  // namespace

std::string TaskPieces::Missing() const {
  std::vector<std::string> missing;
  if (!model) missing.push_back("class Model(nn.Module)");
  if (!get_inputs) missing.push_back("get_inputs()");
  if (!get_init_inputs) missing.push_back("get_init_inputs()");
  std::string s;
  for (size_t i = 0; i < missing.size(); ++i) {
    s += (i == 0 ? "" : (i + 1 == missing.size() ? " and " : ", ")) + missing[i];
  }
  return s;
}

TaskPieces FindTaskPieces(const std::string& code) {
  return {DefinesClass(code, "Model"), DefinesFunction(code, "get_inputs"),
          DefinesFunction(code, "get_init_inputs")};
}

TaskConstructor::TaskConstructor(LlmClient* llm, HarnessClient* harness,
                                 TaskConstructorOptions options)
    : llm_(llm), harness_(harness), options_(std::move(options)) {}

Result<ConstructedTask> TaskConstructor::Validate(const std::string& source) {
  std::filesystem::path path = options_.work_dir / (options_.file_stem + ".py");
  AKG_RETURN_IF_ERROR(WriteFileAtomic(path, source));
  AKG_ASSIGN_OR_RETURN(Json inspection,
                       harness_->Inspect(path, options_.inspect_seed, options_.inspect_timeout_s,
                                         options_.cancel));
  return ConstructedTask{source, path, std::move(inspection), 0};
}

Result<std::string> TaskConstructor::Ask(const std::string& user_prompt) {
  if (system_prompt_.empty()) {
    AKG_ASSIGN_OR_RETURN(system_prompt_,
                         RenderTemplateFile(options_.prompts_dir, "task_constructor_system.md",
                                            Json{{"target", TargetJson(options_.target)}}));
  }
  LlmRequest req;
  req.agent = "task_constructor";
  req.messages = {{"system", system_prompt_}, {"user", user_prompt}};
  req.temperature = options_.temperature;
  req.cancel = options_.cancel;
  auto reply = llm_->Complete(req);
  if (!reply.ok()) {
    return Status::Error(reply.status().kind(), "TaskConstructor: " + reply.status().message());
  }
  return reply->text;
}

Result<ConstructedTask> TaskConstructor::Converge(const std::string& first_prompt,
                                                  const std::string& request, std::string source,
                                                  std::string error) {
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    std::string prompt = first_prompt;
    if (attempt > 1 || prompt.empty()) {
      AKG_ASSIGN_OR_RETURN(prompt, RenderTemplateFile(options_.prompts_dir, "task_fix.md",
                                                      Json{{"request", request},
                                                           {"source", source},
                                                           {"error", error},
                                                           {"target", TargetJson(options_.target)}}));
    }
    AKG_ASSIGN_OR_RETURN(std::string reply, Ask(prompt));
    auto code = ExtractCode(reply, "Model");
    if (!code.ok()) {
      error = code.status().message();
      continue;
    }
    source = code->code;
    TaskPieces pieces = FindTaskPieces(source);
    if (!pieces.complete()) {
      error = "the task file lacks " + pieces.Missing() +
              "; a task defines class Model(nn.Module), get_inputs() and get_init_inputs()";
      continue;
    }
    auto task = Validate(source);
    if (task.ok()) {
      task->llm_calls = attempt;
      return task;
    }
    if (task.status().kind() != ErrorKind::kInput) return task.status();  // not the task's fault
    error = task.status().message();
  }
  return InputError(fmt::format(
      "TaskConstructor: the task the model wrote still fails after {} attempts ({}); write the "
      "task file yourself (see examples/tasks) and pass it with --task",
      options_.max_attempts, error));
}

Result<ConstructedTask> TaskConstructor::FromCode(const std::string& code) {
  TaskPieces pieces = FindTaskPieces(code);
  if (pieces.complete()) {
    auto task = Validate(code);
    if (task.ok() || llm_ == nullptr || task.status().kind() != ErrorKind::kInput) return task;
    return Converge("", code, code, task.status().message());
  }
  if (llm_ == nullptr) {
    if (pieces.model && pieces.get_inputs) {
      // The one piece that has an obvious default; inspect proves it right or wrong.
      auto task = Validate(code + "\n\ndef get_init_inputs():\n    return []\n");
      if (task.ok() || task.status().kind() != ErrorKind::kInput) return task;
      return InputError(task.status().message() +
                        " (the pasted code has no get_init_inputs(), so `return []` was assumed: "
                        "add it yourself, or " + kConfigureLlm + ")");
    }
    return InputError("the pasted code lacks " + pieces.Missing() +
                      "; completing a task needs a language model: " + kConfigureLlm +
                      ", or add the missing pieces yourself (see examples/tasks)");
  }
  AKG_ASSIGN_OR_RETURN(std::string prompt,
                       RenderTemplateFile(options_.prompts_dir, "task_from_code.md",
                                          Json{{"code", code},
                                               {"missing", pieces.Missing()},
                                               {"target", TargetJson(options_.target)}}));
  return Converge(prompt, code, code, "");
}

Result<ConstructedTask> TaskConstructor::FromSentence(const std::string& sentence) {
  if (llm_ == nullptr) {
    auto source = TaskSourceFromIntent(sentence);
    if (!source.ok()) {
      return Status::Error(source.status().kind(),
                           source.status().message() + "; to describe any other operator, " +
                               kConfigureLlm);
    }
    return Validate(*source);
  }
  AKG_ASSIGN_OR_RETURN(std::string prompt,
                       RenderTemplateFile(options_.prompts_dir, "task_from_sentence.md",
                                          Json{{"sentence", sentence},
                                               {"target", TargetJson(options_.target)}}));
  return Converge(prompt, sentence, "", "");
}

}  // namespace akg
