// Operator categories of graph nodes, for skills and reports: "elementwise", "reduction",
// "matmul", "convolution", "normalization", "softmax", "pooling", "attention", "scan",
// "indexing", "other". See op_graph.h.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/json.h"

namespace akg {

// Every category in its fixed order (also the allowed values of a skill's `categories`).
const std::vector<std::string>& OperatorCategoryNames();

// "aten.add.Tensor" -> ("add", "Tensor"); "torch.nn.functional.relu" -> ("relu", "");
// leading and trailing underscores go ("_softmax" -> "softmax", "add_" -> "add").
std::pair<std::string, std::string> OpName(const std::string& target);

// The categories of one node of the inspect JSON (its fx opcode, target, args and shape):
// aten targets from torch.export, qualified names, method names and (guessed from the module
// path) module calls from the torch.fx fallback. Views, shape arithmetic and tensor creation
// give none; an unknown op or data movement (cat, pad, ...) gives "other".
std::vector<std::string> NodeCategories(const std::string& fx_op, const std::string& target,
                                        const Json& node);

}  // namespace akg
