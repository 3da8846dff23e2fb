#include "task/op_category.h"

#include <algorithm>
#include <map>
#include <set>

namespace akg {
namespace {

// Views, metadata, shape arithmetic, tensor creation, copies and dropout: no category.
const std::set<std::string> kNoCategory = {
    "view", "reshape", "unsafe_view", "permute", "transpose", "t", "expand", "expand_as",
    "unsqueeze", "squeeze", "flatten", "unflatten", "contiguous", "alias", "detach", "slice",
    "select", "narrow", "split", "split_with_sizes", "chunk", "unbind", "as_strided", "view_as",
    "reshape_as", "movedim", "swapaxes", "sym_size", "sym_numel", "sym_stride", "size", "dim",
    "numel", "stride", "sym_storage_offset", "assert_scalar", "assert_tensor_metadata",
    "sym_constrain_range_for_size", "empty", "empty_like", "empty_strided", "zeros",
    "zeros_like", "ones", "ones_like", "full", "full_like", "new_empty", "new_zeros",
    "new_ones", "new_full", "arange", "linspace", "eye", "scalar_tensor", "tensor",
    "lift_fresh_copy", "getitem", "item", "to", "type_as", "clone", "copy", "set_grad_enabled",
    "dropout", "native_dropout", "feature_dropout", "alpha_dropout", "rand", "randn",
    "randint", "rand_like", "randn_like", "data_ptr", "element_size", "is_contiguous", "cuda",
    "cpu", "float", "half", "double", "bfloat16", "int", "long", "bool", "type", "getattr",
    "len"};

const std::map<std::string, std::vector<std::string>> kExact = {
    {"mm", {"matmul"}}, {"addmm", {"matmul"}}, {"bmm", {"matmul"}}, {"baddbmm", {"matmul"}},
    {"addbmm", {"matmul"}}, {"matmul", {"matmul"}}, {"linear", {"matmul"}},
    {"addmv", {"matmul"}}, {"mv", {"matmul"}}, {"dot", {"matmul"}}, {"vdot", {"matmul"}},
    {"einsum", {"matmul"}}, {"tensordot", {"matmul"}}, {"outer", {"matmul"}},
    {"addmm_activation", {"matmul", "elementwise"}}, {"bilinear", {"matmul"}},
    {"inner", {"matmul"}}, {"chain_matmul", {"matmul"}}, {"cdist", {"matmul"}},
    {"softmax", {"softmax"}}, {"log_softmax", {"softmax"}}, {"softmin", {"softmax"}},
    {"safe_softmax", {"softmax"}}, {"gumbel_softmax", {"softmax"}},
    {"cross_entropy", {"softmax", "reduction"}}, {"cross_entropy_loss", {"softmax", "reduction"}},
    {"logsumexp", {"reduction"}}, {"norm", {"reduction"}}, {"linalg_vector_norm", {"reduction"}},
    {"linalg_norm", {"reduction"}}, {"frobenius_norm", {"reduction"}},
    {"vector_norm", {"reduction"}}, {"normalize", {"normalization"}},
    {"sum", {"reduction"}}, {"mean", {"reduction"}}, {"amax", {"reduction"}},
    {"amin", {"reduction"}}, {"prod", {"reduction"}}, {"var", {"reduction"}},
    {"std", {"reduction"}}, {"var_mean", {"reduction"}}, {"std_mean", {"reduction"}},
    {"argmax", {"reduction"}}, {"argmin", {"reduction"}}, {"all", {"reduction"}},
    {"any", {"reduction"}}, {"count_nonzero", {"reduction"}}, {"nansum", {"reduction"}},
    {"nanmean", {"reduction"}}, {"median", {"reduction"}}, {"nanmedian", {"reduction"}},
    {"mode", {"reduction"}}, {"aminmax", {"reduction"}}, {"cosine_similarity", {"reduction"}},
    {"pairwise_distance", {"reduction"}}, {"kthvalue", {"reduction"}},
    {"gather", {"indexing"}}, {"take", {"indexing"}}, {"take_along_dim", {"indexing"}},
    {"masked_select", {"indexing"}}, {"masked_scatter", {"indexing"}}, {"nonzero", {"indexing"}},
    {"one_hot", {"indexing"}}, {"slice_scatter", {"indexing"}}, {"select_scatter", {"indexing"}},
    {"diagonal_scatter", {"indexing"}}, {"unique", {"indexing"}}, {"bincount", {"indexing"}},
    {"histc", {"indexing"}}, {"logcumsumexp", {"scan"}}, {"im2col", {"convolution"}},
    {"col2im", {"convolution"}}, {"unfold", {"convolution"}}, {"fold", {"convolution"}}};

const std::set<std::string> kElementwise = {
    "add", "sub", "rsub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod",
    "neg", "abs", "relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "exp", "exp2", "expm1",
    "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "pow", "float_power", "square", "clamp",
    "clamp_min", "clamp_max", "clip", "hardtanh", "hardswish", "hardsigmoid", "elu", "selu",
    "celu", "leaky_relu", "mish", "softplus", "softsign", "logsigmoid", "log_sigmoid",
    "log_sigmoid_forward", "threshold", "where", "maximum", "minimum", "fmax", "fmin", "sign",
    "sgn", "signbit", "floor", "ceil", "round", "trunc", "frac", "reciprocal", "sin", "cos",
    "tan", "asin", "acos", "atan", "atan2", "arctan2", "sinh", "cosh", "asinh", "acosh", "atanh",
    "erf", "erfc", "erfinv", "lerp", "addcmul", "addcdiv", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_and", "logical_or", "logical_not", "logical_xor", "bitwise_and", "bitwise_or",
    "bitwise_not", "bitwise_xor", "masked_fill", "isnan", "isinf", "isfinite", "nan_to_num",
    "prelu", "rrelu", "glu", "tanhshrink", "softshrink", "hardshrink", "logit", "xlogy",
    "hypot", "heaviside", "lgamma", "digamma", "i0", "sinc", "deg2rad", "rad2deg", "copysign",
    "to_copy", "fill", "tril", "triu", "and", "or", "xor", "invert", "truediv", "floordiv",
    "mod", "positive"};

// "aten.add.Tensor" -> ("add", "Tensor"); "torch.nn.functional.relu" -> ("relu", "");
// leading and trailing underscores go ("_softmax" -> "softmax", "add_" -> "add").
}  // namespace

std::pair<std::string, std::string> OpName(const std::string& target) {
  std::string name = target, overload;
  if (target.rfind("aten.", 0) == 0) {
    name = target.substr(5);
    size_t dot = name.find('.');
    if (dot != std::string::npos) {
      overload = name.substr(dot + 1);
      name = name.substr(0, dot);
    }
  } else if (size_t dot = target.rfind('.'); dot != std::string::npos) {
    name = target.substr(dot + 1);
  }
  size_t b = name.find_first_not_of('_'), e = name.find_last_not_of('_');
  name = b == std::string::npos ? "" : name.substr(b, e - b + 1);
  return {name, overload};
}

namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }
bool Has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

std::vector<std::string> CategoriesOfOp(const std::string& name, const std::string& overload,
                                        const Json& node) {
  if (name.empty() || kNoCategory.count(name)) return {};
  if (auto it = kExact.find(name); it != kExact.end()) return it->second;
  if (name == "max" || name == "min") {
    // max.other / torch.max(a, b) compare elementwise; max.dim / max.default reduce.
    const Json& args = node.contains("args") ? node["args"] : Json::array();
    bool binary = overload == "other" || overload == "binary_out" ||
                  (overload.empty() && args.is_array() && args.size() > 1 && args[1].is_object() &&
                   args[1].contains("node"));
    return {binary ? "elementwise" : "reduction"};
  }
  if (StartsWith(name, "conv")) return {"convolution"};
  if (Has(name, "pool")) return {"pooling"};
  if (StartsWith(name, "scaled_dot_product") || Has(name, "attention")) return {"attention"};
  if (Has(name, "norm")) return {"normalization"};  // batch/layer/group/instance/rms norms
  if (StartsWith(name, "cum")) return {"scan"};
  if (StartsWith(name, "index") || StartsWith(name, "scatter") || StartsWith(name, "embedding")) {
    return {"indexing"};
  }
  if (Has(name, "loss") || Has(name, "kl_div")) return {"reduction"};
  if (StartsWith(name, "upsample") || Has(name, "_pad")) return {"other"};
  if (kElementwise.count(name)) return {"elementwise"};
  return {"other"};  // data movement (cat, pad, roll, sort, ...) and anything unknown
}

// torch.fx call_module nodes name a module path ("layers.0.conv1"); its type is not in the
// graph, so the last component is read as a hint.
std::vector<std::string> CategoriesOfModule(const std::string& path) {
  std::string last = path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
  std::transform(last.begin(), last.end(), last.begin(), ::tolower);
  const std::vector<std::pair<const char*, const char*>> hints = {
      {"conv", "convolution"}, {"attn", "attention"}, {"attention", "attention"},
      {"pool", "pooling"},     {"norm", "normalization"}, {"bn", "normalization"},
      {"ln", "normalization"}, {"softmax", "softmax"},   {"embed", "indexing"},
      {"linear", "matmul"},    {"fc", "matmul"},         {"proj", "matmul"},
      {"dense", "matmul"},     {"lstm", "matmul"},       {"gru", "matmul"},
      {"rnn", "matmul"},       {"relu", "elementwise"},  {"gelu", "elementwise"},
      {"act", "elementwise"},  {"sigmoid", "elementwise"}, {"tanh", "elementwise"},
      {"silu", "elementwise"}, {"dropout", ""}};
  for (const auto& [hint, category] : hints) {
    if (Has(last, hint)) return *category ? std::vector<std::string>{category}
                                          : std::vector<std::string>{};
  }
  return {"other"};
}

}  // namespace

const std::vector<std::string>& OperatorCategoryNames() {
  static const std::vector<std::string> kNames = {
      "elementwise", "reduction", "matmul",   "convolution", "normalization", "softmax",
      "pooling",     "attention", "scan",     "indexing",    "other"};
  return kNames;
}

std::vector<std::string> NodeCategories(const std::string& fx_op, const std::string& target,
                                        const Json& node) {
  if (fx_op == "call_module") return CategoriesOfModule(target);
  if (fx_op != "call_function" && fx_op != "call_method") return {};
  auto [name, overload] = OpName(target);
  if (StartsWith(target, "_operator.") || StartsWith(target, "operator.")) {
    // Shape arithmetic on SymInts has no tensor shape; on tensors it is computation.
    if (node.contains("shape") && name != "getitem") {
      return {name == "matmul" ? "matmul" : "elementwise"};
    }
    return {};
  }
  return CategoriesOfOp(name, overload, node);
}

}  // namespace akg
