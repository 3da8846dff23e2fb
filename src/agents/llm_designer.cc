#include "agents/llm_designer.h"

#include <cctype>

#include "prompt/template.h"

namespace akg {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

Json DesignHintsFromReply(const std::string& reply) {
  // Line by line rather than std::regex, whose recursion grows with the length of a match.
  size_t pos = 0;
  std::string fence;
  std::string body;
  bool inside = false;
  while (pos <= reply.size()) {
    size_t nl = reply.find('\n', pos);
    std::string line = reply.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    std::string t = Trim(line);
    if (!inside) {
      std::string lower;
      for (char c : t) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (const char* f : {"```", "~~~"}) {
        if (lower.rfind(f, 0) == 0 && Trim(lower.substr(3)) == "json") {
          inside = true;
          fence = f;
        }
      }
    } else if (t.rfind(fence, 0) == 0 && Trim(t.substr(3)).empty()) {
      auto parsed = ParseJson(body, "design hints");
      return parsed.ok() && parsed->is_object() ? *parsed : Json(nullptr);
    } else {
      body += line + "\n";
    }
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return nullptr;
}

LlmDesigner::LlmDesigner(LlmClient* llm, LlmAgentOptions options)
    : llm_(llm), options_(std::move(options)) {}

Result<Design> LlmDesigner::MakeDesign(const DesignRequest& request) {
  if (request.task == nullptr) return InternalError("KernelDesigner: the request has no task");
  const TaskInfo& task = *request.task;
  AKG_ASSIGN_OR_RETURN(Json ctx, AgentContext(task, request.target, options_));
  ctx["skills"] = ledger_.Select(options_, "design", *GraphOf(task));
  AKG_ASSIGN_OR_RETURN(LlmRequest req, RenderChatRequest("kernel_designer", options_,
                                                         "designer_system.md", "designer_user.md",
                                                         ctx));
  req.cancel = request.cancel;
  req.on_delta = request.on_text;
  auto reply = llm_->Complete(req);
  if (!reply.ok()) {
    return Status::Error(reply.status().kind(), "KernelDesigner: " + reply.status().message());
  }
  std::string sketch = Trim(reply->text);
  if (sketch.empty()) {
    return InternalError("KernelDesigner: the model " + llm_->Describe() +
                         " returned an empty design; rerun, or choose another model for "
                         "kernel_designer in .akg/settings.yaml");
  }
  return Design{sketch + "\n", DesignHintsFromReply(sketch)};
}

}  // namespace akg
