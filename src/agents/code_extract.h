// Pulls the Python file out of a model's reply. Models wrap code in many ways: ```python,
// ```py, a bare ```, ~~~ fences, several blocks (a snippet, then the file), a forgotten closing
// fence, no fence at all, prose before and after. The LLM agents (llm_kernel_gen.h,
// task_constructor.h) accept any of these and feed the problem back to the model when no block
// holds the class they need.
//
//   reply text ──ExtractCode(reply, "ModelNew")──▶ code + the prose around it
#pragma once

#include <string>

#include "core/status.h"

namespace akg {

struct ExtractedCode {
  std::string code;    // the whole Python file, ending with a newline
  std::string prose;   // the reply's text outside the chosen block (trimmed), may be ""
  bool unclosed = false;  // the chosen block's closing fence is missing (maybe cut off)
};

// Chooses, among the reply's fenced blocks, the last one that defines `class <class_name>`;
// without fences, the whole reply when it starts like Python (import, from, class, def, #, a
// docstring). Fails with a kInput error whose message says what is wrong and what answer is
// expected; the agents send that message back to the model as is.
Result<ExtractedCode> ExtractCode(const std::string& reply, const std::string& class_name);

// True when `code` has a line `class <class_name>` followed by "(" or ":".
bool DefinesClass(const std::string& code, const std::string& class_name);

// A one-line summary from the prose of a reply: its first sentence without Markdown marks,
// at most `max_chars` characters, or "" when there is no prose.
std::string FirstSentence(const std::string& prose, size_t max_chars = 140);

}  // namespace akg
