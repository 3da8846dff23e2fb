// Lowerings around matrix products (plan_dag.h's MmHandlers): einsum equations that are one
// matmul, triu/tril of a matmul's result (an epilogue over the output's row and column), and
// scaled_dot_product_attention without a mask or dropout (two matmuls around a softmax).
#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "builtin/plan_dag.h"

namespace akg {
namespace {

using namespace plan_lower;

// "bijl,lk->bijk": operands whose letters are distinct, one contracted letter that is A's last
// and B's second-last (or B's only other one), and an output that torch.matmul's broadcast
// gives: A's other letters then B's last.
Result<int> Einsum(const AtenCall& c, Lowering& l) {
  const Json* eq = l.Arg(c, 0, "equation");
  const Json* ops = l.Arg(c, 1, "tensors");
  if (eq == nullptr || !eq->is_string() || ops == nullptr || !ops->is_array() || ops->size() != 2) {
    return UnsupportedError("the builtin model writes einsum of two operands only");
  }
  std::string s = eq->get<std::string>();
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  size_t comma = s.find(','), arrow = s.find("->");
  auto unsupported = [&]() {
    return UnsupportedError("the builtin model writes einsum equations that are one matmul "
                            "(\"bij,bjk->bik\", \"bijl,lk->bijk\"); this task's is \"" + s + "\"");
  };
  if (comma == std::string::npos || arrow == std::string::npos || arrow < comma) return unsupported();
  std::string a = s.substr(0, comma), b = s.substr(comma + 1, arrow - comma - 1);
  std::string out = s.substr(arrow + 2);
  auto distinct = [](const std::string& x) {
    return std::set<char>(x.begin(), x.end()).size() == x.size() && !x.empty() &&
           x.find('.') == std::string::npos;
  };
  if (!distinct(a) || !distinct(b) || !distinct(out) || b.size() < 2 || a.size() < 2) {
    return unsupported();
  }
  char k = a.back();
  // B is [..batch, k, n]: its batch letters are A's leading ones (right-aligned, broadcast).
  if (b[b.size() - 2] != k) return unsupported();
  std::string batch_b = b.substr(0, b.size() - 2);
  std::string lead_a = a.substr(0, a.size() - 1);  // A's batch letters and m
  if (batch_b.size() > lead_a.size() - 1 ||
      lead_a.compare(lead_a.size() - 1 - batch_b.size(), batch_b.size(), batch_b) != 0) {
    return unsupported();
  }
  if (out != lead_a + b.back() || out.find(k) != std::string::npos) return unsupported();
  std::vector<int> ids;
  for (const Json& ref : *ops) {
    if (!ref.is_object() || !ref.contains("node")) return unsupported();
    auto it = l.ids.find(ref["node"].get<std::string>());
    if (it == l.ids.end()) return UnsupportedError("einsum reads an unknown node");
    ids.push_back(it->second);
  }
  if (l.rank_of(ids[0]) != static_cast<int>(a.size()) || l.rank_of(ids[1]) != static_cast<int>(b.size())) {
    return InputError("einsum: the equation's ranks are not the operands'");
  }
  return l.b.Add(ExprOp::kMatmul, {ids[0], ids[1]});
}

// triu / tril(self, diagonal): keeps col - row >= diagonal (triu) or <= diagonal (tril) of the
// last two dims. The row and column exist in a matmul's epilogue, where this is planned.
PlanHandler Triangle(bool upper) {
  return [upper](const AtenCall& c, Lowering& l) -> Result<int> {
    AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
    AKG_ASSIGN_OR_RETURN(double diagonal, l.NumberOr(c, 1, "diagonal", 0));
    if (l.rank_of(x) < 2) return InputError(c.target + " of a tensor with fewer than 2 dims");
    int col = l.b.Add(ExprOp::kOutIndex, {}, {1.0});
    int row = l.b.Add(ExprOp::kOutIndex, {}, {2.0});
    int off = l.b.Add(ExprOp::kSub, {col, row});
    int keep = upper ? l.b.Add(ExprOp::kGe, {off, l.b.Const(diagonal)})
                     : l.b.Add(ExprOp::kGe, {l.b.Const(diagonal), off});
    return l.b.Add(ExprOp::kWhere, {keep, x, l.b.Const(0.0)});
  };
}

// scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale, enable_gqa):
// softmax(q @ k^T * scale) @ v, scale 1/sqrt(E) by default.
Result<int> Attention(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int q, l.Operand(c, 0, "query"));
  AKG_ASSIGN_OR_RETURN(int k, l.Operand(c, 1, "key"));
  AKG_ASSIGN_OR_RETURN(int v, l.Operand(c, 2, "value"));
  AKG_ASSIGN_OR_RETURN(double dropout, l.NumberOr(c, 4, "dropout_p", 0.0));
  if (l.Arg(c, 3, "attn_mask") != nullptr || dropout != 0 || Flag(l, c, 5, "is_causal") ||
      Flag(l, c, 7, "enable_gqa")) {
    return UnsupportedError("the builtin model writes scaled_dot_product_attention without a "
                            "mask, dropout, causality or grouped heads");
  }
  int rank = l.rank_of(q);
  if (rank < 2 || l.rank_of(k) != rank || l.rank_of(v) != rank) {
    return UnsupportedError(c.target + " of operands with different ranks");
  }
  AKG_ASSIGN_OR_RETURN(std::optional<double> given, l.Number(c, 6, "scale"));
  int s = l.b.Add(ExprOp::kMatmul, {q, l.b.Add(ExprOp::kTranspose, {k})});
  // 1/sqrt(E), E the contraction length of q @ k^T, read at run time (shape-general)
  int scale = given ? l.b.Const(*given) : l.b.Add(ExprOp::kRsqrt, {l.b.Add(ExprOp::kDotSize, {})});
  s = l.b.Add(ExprOp::kMul, {s, scale});
  std::vector<int> last = {rank - 1};
  int m = Reduce(l, ReduceCombiner::kMax, s, last, true);
  int e = l.b.Add(ExprOp::kExp, {l.b.Add(ExprOp::kSub, {s, m})});
  int p = l.b.Add(ExprOp::kDiv, {e, Reduce(l, ReduceCombiner::kSum, e, last, true)});
  return l.b.Add(ExprOp::kMatmul, {p, v});
}

}  // namespace

const std::map<std::string, PlanHandler>& MmHandlers() {
  static const auto* h = new std::map<std::string, PlanHandler>{
      {"einsum", Einsum},
      {"triu", Triangle(true)},
      {"tril", Triangle(false)},
      {"scaled_dot_product_attention", Attention},
  };
  return *h;
}

}  // namespace akg
