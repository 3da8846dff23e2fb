// Prompt templates: Markdown files under <AKG home>/prompts rendered with a JSON context by a
// small Mustache-like engine. The LLM agents (src/agents/llm_*.h) build the context; the words
// the model reads live in the files, so they can be improved without recompiling.
//
//   prompts/<file>.md + Json context ──RenderTemplateFile──▶ prompt text
//
// Syntax:
//   {{name}}, {{a.b}}     the value (strings as is, numbers in shortest form, true/false,
//                         null as nothing, objects and arrays as indented JSON)
//   {{.}}                 the current element inside a section
//   {{#name}}..{{/name}}  rendered when the value is truthy; once per element for an array
//                         (the element becomes the context), with the object as context for
//                         an object
//   {{^name}}..{{/name}}  rendered when the value is falsy (false, null, 0, "", [], {})
//   {{! comment }}        dropped
// A section, inverted-section or comment tag alone on its line removes that whole line, so
// sections do not leave blank lines behind. Names are looked up from the innermost context
// outwards. Nothing is HTML-escaped and values are never re-parsed, so code with "{{" in it is
// safe to substitute.
//
// Errors are values: a name found in no context (a typo in a template or a key the agent
// forgot), an unclosed or mismatched section, or an unterminated tag fails with a message
// naming the template file, the line and the name.
#pragma once

#include <filesystem>
#include <string>

#include "core/json.h"
#include "core/status.h"

namespace akg {

// Renders `text`; `template_name` (usually the file name) appears in error messages.
Result<std::string> RenderTemplate(const std::string& text, const Json& context,
                                   const std::string& template_name);

// Reads <dir>/<file> and renders it. A missing file is a kConfig error naming the path and
// the prompts folder it was looked for in.
Result<std::string> RenderTemplateFile(const std::filesystem::path& dir, const std::string& file,
                                       const Json& context);

}  // namespace akg
