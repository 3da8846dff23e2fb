// LowerToDag: the task's OpGraph as one expression DAG (plan_dag.h). Pointwise calls go through
// aten_lowering's table; this file lowers what kernel plans add: reductions (sum, mean, amax,
// amin, max/min over a dim, prod, argmax, argmin, var, std, vector norms), softmax and
// log_softmax, layer_norm, rms_norm and instance_norm, the losses that are reductions (mse,
// l1, smooth_l1, huber, cosine similarity), matrix products (mm, bmm, matmul, linear, addmm)
// and the views plans read through (unsqueeze, transposes of the last two dims).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "builtin/aten_lowering.h"
#include "builtin/plan_dag.h"

namespace akg {
// The lowering toolkit (plan_dag.h's plan_lower) and this file's handlers.
namespace plan_lower {

using Handler = PlanHandler;

int Rank(Lowering& l, int id) { return l.rank_of(id); }

int NormDim(int64_t d, int rank) { return static_cast<int>(d < 0 ? d + rank : d); }

// The reduced dims of an operand of rank `rank`: an int, a list (empty = all), or absent/None
// (all). Sorted, unique, checked.
Result<std::vector<int>> Axes(const AtenCall& c, const Json* dims, int rank) {
  std::vector<int> axes;
  if (dims == nullptr || (dims->is_array() && dims->empty())) {
    for (int d = 0; d < rank; ++d) axes.push_back(d);
    return axes;
  }
  std::vector<int64_t> raw;
  if (dims->is_number_integer()) raw.push_back(dims->get<int64_t>());
  else if (dims->is_array()) {
    for (const Json& d : *dims) {
      if (!d.is_number_integer()) return UnsupportedError(c.target + ": dims " + dims->dump());
      raw.push_back(d.get<int64_t>());
    }
  } else {
    return UnsupportedError("the builtin model cannot read the dims " + dims->dump() + " of " +
                            c.target);
  }
  std::set<int> unique;
  for (int64_t d : raw) {
    int n = rank == 0 ? 0 : NormDim(d, rank);
    if (rank > 0 && (n < 0 || n >= rank)) return InputError(c.target + ": dim out of range");
    if (rank > 0) unique.insert(n);
  }
  return std::vector<int>(unique.begin(), unique.end());
}

bool Flag(Lowering& l, const AtenCall& c, size_t pos, const char* kw) {
  const Json* v = l.Arg(c, pos, kw);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

int Reduce(Lowering& l, ReduceCombiner comb, int x, const std::vector<int>& axes, bool keepdim) {
  return l.b.Add(ExprOp::kReduce, {x}, ReduceParams(comb, keepdim, Rank(l, x), axes));
}

int RowSize(Lowering& l, int x, const std::vector<int>& axes) {
  std::vector<double> params = {static_cast<double>(Rank(l, x))};
  for (int a : axes) params.push_back(a);
  return l.b.Add(ExprOp::kRowSize, {}, params);
}

int Mean(Lowering& l, int x, const std::vector<int>& axes, bool keepdim) {
  return Reduce(l, ReduceCombiner::kMean, x, axes, keepdim);
}

// Biased (correction 0) or corrected variance, two passes: mean first, then the squares.
int Variance(Lowering& l, int x, const std::vector<int>& axes, bool keepdim, double correction) {
  int d = l.b.Add(ExprOp::kSub, {x, Mean(l, x, axes, true)});
  int sq = l.b.Add(ExprOp::kMul, {d, d});
  if (correction == 0) return Mean(l, sq, axes, keepdim);
  int n = l.b.Add(ExprOp::kSub, {RowSize(l, x, axes), l.b.Const(correction)});
  return l.b.Add(ExprOp::kDiv, {Reduce(l, ReduceCombiner::kSum, sq, axes, keepdim), n});
}

Result<double> Correction(Lowering& l, const AtenCall& c, size_t pos) {
  const Json* v = l.Arg(c, pos, "correction");
  if (v == nullptr) return 1.0;
  if (!v->is_number()) return UnsupportedError(c.target + ": correction " + v->dump());
  return v->get<double>();
}

// ---- reductions ---------------------------------------------------------------------------

Handler SimpleReduce(ReduceCombiner comb, bool mean) {
  return [comb, mean](const AtenCall& c, Lowering& l) -> Result<int> {
    AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
    if (l.Arg(c, 3, "dtype") != nullptr) {
      return UnsupportedError("the builtin model cannot write " + c.target + " with a dtype");
    }
    AKG_ASSIGN_OR_RETURN(std::vector<int> axes, Axes(c, l.Arg(c, 1, "dim"), Rank(l, x)));
    bool keepdim = Flag(l, c, 2, "keepdim");
    return mean ? Mean(l, x, axes, keepdim) : Reduce(l, comb, x, axes, keepdim);
  };
}

// amax/amin: the same, but NaN-propagating max/min (what kMax/kMin are).
Handler MaxMin(ReduceCombiner value, ReduceCombiner index, ExprOp binary) {
  return [=](const AtenCall& c, Lowering& l) -> Result<int> {
    const Json* second = l.Arg(c, 1, "other");
    if (second != nullptr && second->is_object() && second->contains("node")) {
      AKG_ASSIGN_OR_RETURN(int a, l.Operand(c, 0, "self"));
      AKG_ASSIGN_OR_RETURN(int b, l.Operand(c, 1, "other"));
      return l.b.Add(binary, {a, b});  // max.other: elementwise
    }
    AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
    if (second == nullptr) {  // max.default: the whole tensor
      AKG_ASSIGN_OR_RETURN(std::vector<int> axes, Axes(c, nullptr, Rank(l, x)));
      return Reduce(l, value, x, axes, false);
    }
    AKG_ASSIGN_OR_RETURN(std::vector<int> axes, Axes(c, second, Rank(l, x)));
    bool keepdim = Flag(l, c, 2, "keepdim");
    int v = Reduce(l, value, x, axes, keepdim);
    int i = Reduce(l, index, x, axes, keepdim);
    l.tuples[c.target + "#last"] = {v, i};
    return v;
  };
}

Handler ArgReduce(ReduceCombiner comb) {
  return [comb](const AtenCall& c, Lowering& l) -> Result<int> {
    AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
    const Json* dim = l.Arg(c, 1, "dim");
    if (dim == nullptr) {
      return UnsupportedError("the builtin model cannot write " + c.target +
                              " over the flattened tensor (give a dim)");
    }
    AKG_ASSIGN_OR_RETURN(std::vector<int> axes, Axes(c, dim, Rank(l, x)));
    return Reduce(l, comb, x, axes, Flag(l, c, 2, "keepdim"));
  };
}

Result<int> VarStd(const AtenCall& c, Lowering& l, bool root) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(std::vector<int> axes, Axes(c, l.Arg(c, 1, "dim"), Rank(l, x)));
  const Json* unbiased = c.args->size() > 2 && (*c.args)[2].is_boolean() ? &(*c.args)[2] : nullptr;
  double correction = 1.0;
  bool keepdim = false;
  if (unbiased != nullptr) {  // var.dim(self, dim, unbiased, keepdim)
    correction = unbiased->get<bool>() ? 1.0 : 0.0;
    keepdim = Flag(l, c, 3, "keepdim");
  } else {  // var.correction(self, dim, *, correction, keepdim)
    AKG_ASSIGN_OR_RETURN(correction, Correction(l, c, 99));
    keepdim = Flag(l, c, 99, "keepdim");
  }
  int v = Variance(l, x, axes, keepdim, correction);
  return root ? l.b.Add(ExprOp::kSqrt, {v}) : v;
}

// linalg_vector_norm(self, ord=2, dim=None, keepdim=False) and norm.ScalarOpt_dim(self, p,
// dim, keepdim): ord 1 (sum of |x|), 2 (root of the sum of squares), inf (max |x|).
Result<int> VectorNorm(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  const Json* ord_arg = l.Arg(c, 1, c.name == "norm" ? "p" : "ord");
  double ord = 2;
  if (ord_arg != nullptr) {
    if (ord_arg->is_number()) ord = ord_arg->get<double>();
    else if (ord_arg->is_object() && StringOr(*ord_arg, "repr", "") == "inf") ord = INFINITY;
    else return UnsupportedError(c.target + ": ord " + ord_arg->dump());
  }
  AKG_ASSIGN_OR_RETURN(std::vector<int> axes, Axes(c, l.Arg(c, 2, "dim"), Rank(l, x)));
  bool keepdim = Flag(l, c, 3, "keepdim");
  int a = l.b.Add(ExprOp::kAbs, {x});
  if (ord == 1) return Reduce(l, ReduceCombiner::kSum, a, axes, keepdim);
  if (std::isinf(ord) && ord > 0) return Reduce(l, ReduceCombiner::kMax, a, axes, keepdim);
  if (ord == 2) {
    return l.b.Add(ExprOp::kSqrt,
                   {Reduce(l, ReduceCombiner::kSum, l.b.Add(ExprOp::kMul, {x, x}), axes, keepdim)});
  }
  return UnsupportedError("the builtin model writes vector norms of order 1, 2 and inf, not " +
                          fmt::format("{}", ord));
}

Result<int> FrobeniusNorm(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(std::vector<int> axes, Axes(c, l.Arg(c, 1, "dim"), Rank(l, x)));
  int sq = Reduce(l, ReduceCombiner::kSum, l.b.Add(ExprOp::kMul, {x, x}), axes,
                  Flag(l, c, 2, "keepdim"));
  return l.b.Add(ExprOp::kSqrt, {sq});
}

// ---- normalisations -------------------------------------------------------------------------

Result<int> Softmax(const AtenCall& c, Lowering& l, bool log) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  const Json* dim = l.Arg(c, 1, "dim");
  if (dim == nullptr || !dim->is_number_integer()) {
    return UnsupportedError(c.target + " needs an integer dim");
  }
  const Json* dtype = c.name == "softmax" || c.name == "log_softmax" ? l.Arg(c, 2, "dtype") : nullptr;
  if (dtype != nullptr) return UnsupportedError("the builtin model cannot write " + c.target + " with a dtype");
  AKG_ASSIGN_OR_RETURN(std::vector<int> axes, Axes(c, dim, Rank(l, x)));
  int m = Reduce(l, ReduceCombiner::kMax, x, axes, true);
  int shifted = l.b.Add(ExprOp::kSub, {x, m});
  int e = l.b.Add(ExprOp::kExp, {shifted});
  int s = Reduce(l, ReduceCombiner::kSum, e, axes, true);
  // x - logsumexp(x): one per-row value, so a launch that reads log_softmax under another
  // reduction (kl_div, a loss's mean) reads one row statistic, computed in one pass.
  if (log) {
    return l.b.Add(ExprOp::kSub, {x, l.b.Add(ExprOp::kAdd, {m, l.b.Add(ExprOp::kLog, {s})})});
  }
  return l.b.Add(ExprOp::kDiv, {e, s});
}

// logsumexp(self, dim, keepdim): max + log(sum(exp(x - max))), the max kept per row.
Result<int> LogSumExp(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(std::vector<int> axes, Axes(c, l.Arg(c, 1, "dim"), Rank(l, x)));
  bool keepdim = Flag(l, c, 2, "keepdim");
  // torch shifts by the max where it is finite, by 0 where it is +-inf (a row of -inf gives
  // -inf, not NaN)
  auto finite = [&](int m) {
    int inf = l.b.Add(ExprOp::kEq, {l.b.Add(ExprOp::kAbs, {m}), l.b.Const(INFINITY)});
    return l.b.Add(ExprOp::kWhere, {inf, l.b.Const(0.0), m});
  };
  int m = finite(Reduce(l, ReduceCombiner::kMax, x, axes, true));
  int s = Reduce(l, ReduceCombiner::kSum, l.b.Add(ExprOp::kExp, {l.b.Add(ExprOp::kSub, {x, m})}),
                 axes, keepdim);
  int mk = keepdim ? m : finite(Reduce(l, ReduceCombiner::kMax, x, axes, false));
  return l.b.Add(ExprOp::kAdd, {l.b.Add(ExprOp::kLog, {s}), mk});
}

// Optional tensor operand: -1 when absent or None.
Result<int> OptionalOperand(Lowering& l, const AtenCall& c, size_t pos, const char* kw) {
  if (l.Arg(c, pos, kw) == nullptr) return -1;
  return l.Operand(c, pos, kw);
}

Result<std::vector<int>> TrailingAxes(const AtenCall& c, Lowering& l, int x, size_t pos) {
  const Json* shape = l.Arg(c, pos, "normalized_shape");
  if (shape == nullptr || !shape->is_array()) return UnsupportedError(c.target + ": normalized_shape");
  int rank = Rank(l, x);
  int k = static_cast<int>(shape->size());
  if (k > rank) return InputError(c.target + ": normalized_shape longer than the input");
  std::vector<int> axes;
  for (int d = rank - k; d < rank; ++d) axes.push_back(d);
  return axes;
}

int Affine(Lowering& l, int y, int w, int b) {
  if (w >= 0) y = l.b.Add(ExprOp::kMul, {y, w});
  if (b >= 0) y = l.b.Add(ExprOp::kAdd, {y, b});
  return y;
}

// layer_norm(input, normalized_shape, weight, bias, eps): (x - mean) * rsqrt(var + eps), the
// biased variance of the centred values (two passes, as accurate as torch's Welford).
Result<int> LayerNorm(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "input"));
  AKG_ASSIGN_OR_RETURN(std::vector<int> axes, TrailingAxes(c, l, x, 1));
  AKG_ASSIGN_OR_RETURN(int w, OptionalOperand(l, c, 2, "weight"));
  AKG_ASSIGN_OR_RETURN(int b, OptionalOperand(l, c, 3, "bias"));
  AKG_ASSIGN_OR_RETURN(double eps, l.NumberOr(c, 4, "eps", 1e-5));
  int d = l.b.Add(ExprOp::kSub, {x, Mean(l, x, axes, true)});
  int var = Mean(l, l.b.Add(ExprOp::kMul, {d, d}), axes, true);
  int rstd = l.b.Add(ExprOp::kRsqrt, {l.b.Add(ExprOp::kAdd, {var, l.b.Const(eps)})});
  return Affine(l, l.b.Add(ExprOp::kMul, {d, rstd}), w, b);
}

// rms_norm(input, normalized_shape, weight, eps): eps None is the dtype's epsilon.
Result<int> RmsNorm(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "input"));
  AKG_ASSIGN_OR_RETURN(std::vector<int> axes, TrailingAxes(c, l, x, 1));
  AKG_ASSIGN_OR_RETURN(int w, OptionalOperand(l, c, 2, "weight"));
  AKG_ASSIGN_OR_RETURN(double eps, l.NumberOr(c, 3, "eps", 1.1920928955078125e-07));
  int ms = Mean(l, l.b.Add(ExprOp::kMul, {x, x}), axes, true);
  int r = l.b.Add(ExprOp::kRsqrt, {l.b.Add(ExprOp::kAdd, {ms, l.b.Const(eps)})});
  return Affine(l, l.b.Add(ExprOp::kMul, {x, r}), w, -1);
}

// A per-channel [C] operand as [C, 1, ...] against an input of rank `rank` (dim 1 = C).
int PerChannel(Lowering& l, int v, int rank) {
  for (int d = 2; d < rank; ++d) v = l.b.Add(ExprOp::kUnsqueeze, {v}, {-1.0});
  return v;
}

// instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
// eps, cudnn_enabled) with the input's statistics (InstanceNorm's default).
Result<int> InstanceNorm(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "input"));
  const Json* stats = l.Arg(c, 5, "use_input_stats");
  if (stats == nullptr || !stats->is_boolean() || !stats->get<bool>()) {
    return UnsupportedError("the builtin model writes instance_norm with the input's "
                            "statistics only (use_input_stats=True)");
  }
  int rank = Rank(l, x);
  if (rank < 3) return UnsupportedError(c.target + " needs an input of rank 3 or more");
  AKG_ASSIGN_OR_RETURN(int w, OptionalOperand(l, c, 1, "weight"));
  AKG_ASSIGN_OR_RETURN(int b, OptionalOperand(l, c, 2, "bias"));
  AKG_ASSIGN_OR_RETURN(double eps, l.NumberOr(c, 7, "eps", 1e-5));
  std::vector<int> axes;
  for (int d = 2; d < rank; ++d) axes.push_back(d);
  int d = l.b.Add(ExprOp::kSub, {x, Mean(l, x, axes, true)});
  int var = Mean(l, l.b.Add(ExprOp::kMul, {d, d}), axes, true);
  int rstd = l.b.Add(ExprOp::kRsqrt, {l.b.Add(ExprOp::kAdd, {var, l.b.Const(eps)})});
  return Affine(l, l.b.Add(ExprOp::kMul, {d, rstd}), w >= 0 ? PerChannel(l, w, rank) : -1,
                b >= 0 ? PerChannel(l, b, rank) : -1);
}

// ---- losses -----------------------------------------------------------------------------------

// reduction: 0 none, 1 mean, 2 sum (torch's Reduction enum).
Result<int> LossReduction(const AtenCall& c, Lowering& l, int per_element, size_t pos) {
  AKG_ASSIGN_OR_RETURN(double r, l.NumberOr(c, pos, "reduction", 1));
  if (r == 0) return per_element;
  AKG_ASSIGN_OR_RETURN(std::vector<int> axes, Axes(c, nullptr, Rank(l, per_element)));
  if (r == 2) return Reduce(l, ReduceCombiner::kSum, per_element, axes, false);
  return Mean(l, per_element, axes, false);
}

Result<int> Diff(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int a, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(int b, l.Operand(c, 1, "target"));
  return l.b.Add(ExprOp::kSub, {a, b});
}

Result<int> MseLoss(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int d, Diff(c, l));
  return LossReduction(c, l, l.b.Add(ExprOp::kMul, {d, d}), 2);
}

Result<int> L1Loss(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int d, Diff(c, l));
  return LossReduction(c, l, l.b.Add(ExprOp::kAbs, {d}), 2);
}

// smooth_l1 (beta) and huber (delta) written with min(|d|, t): 0.5 m^2 / beta + (|d| - m),
// and 0.5 m^2 + delta (|d| - m).
Result<int> SmoothL1(const AtenCall& c, Lowering& l, bool huber) {
  AKG_ASSIGN_OR_RETURN(int d, Diff(c, l));
  AKG_ASSIGN_OR_RETURN(double t, l.NumberOr(c, 3, huber ? "delta" : "beta", 1.0));
  if (t <= 0) return UnsupportedError(c.target + " with a threshold <= 0");
  int a = l.b.Add(ExprOp::kAbs, {d});
  int m = l.b.Add(ExprOp::kMinimum, {a, l.b.Const(t)});
  int sq = l.b.Add(ExprOp::kMul, {l.b.Add(ExprOp::kMul, {m, m}), l.b.Const(0.5)});
  int lin = l.b.Add(ExprOp::kSub, {a, m});
  int per = huber ? l.b.Add(ExprOp::kAdd, {sq, l.b.Add(ExprOp::kMul, {lin, l.b.Const(t)})})
                  : l.b.Add(ExprOp::kAdd, {l.b.Add(ExprOp::kDiv, {sq, l.b.Const(t)}), lin});
  return LossReduction(c, l, per, 2);
}

// cosine_similarity(x1, x2, dim=1, eps=1e-8): w12 / sqrt(clamp_min(w1 * w2, eps^2)).
Result<int> CosineSimilarity(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int a, l.Operand(c, 0, "x1"));
  AKG_ASSIGN_OR_RETURN(int b, l.Operand(c, 1, "x2"));
  AKG_ASSIGN_OR_RETURN(double dim, l.NumberOr(c, 2, "dim", 1));
  AKG_ASSIGN_OR_RETURN(double eps, l.NumberOr(c, 3, "eps", 1e-8));
  int rank = std::max(Rank(l, a), Rank(l, b));
  std::vector<int> axes = {NormDim(static_cast<int64_t>(dim), rank)};
  int prod = l.b.Add(ExprOp::kMul, {a, b});
  int w12 = Reduce(l, ReduceCombiner::kSum, prod, axes, false);
  int w1 = Reduce(l, ReduceCombiner::kSum, l.b.Add(ExprOp::kMul, {a, a}), axes, false);
  int w2 = Reduce(l, ReduceCombiner::kSum, l.b.Add(ExprOp::kMul, {b, b}), axes, false);
  int den = l.b.Add(ExprOp::kSqrt, {l.b.Add(ExprOp::kClampMin, {l.b.Add(ExprOp::kMul, {w1, w2})},
                                            {eps * eps})});
  return l.b.Add(ExprOp::kDiv, {w12, den});
}

// ---- matrix products and views ---------------------------------------------------------------

Result<int> Matmul(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int a, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(int b, l.Operand(c, 1, "mat2"));
  if (Rank(l, a) == 0 || Rank(l, b) == 0) return UnsupportedError(c.target + " of a scalar");
  if (Rank(l, a) == 1 && Rank(l, b) == 1) {
    return UnsupportedError("the builtin model cannot write " + c.target + " of two vectors");
  }
  // A matrix-vector product is bandwidth-bound: a row reduction of a * b, not a tiled dot.
  if (Rank(l, b) == 1) {
    return Reduce(l, ReduceCombiner::kSum, l.b.Add(ExprOp::kMul, {a, b}), {Rank(l, a) - 1}, false);
  }
  return l.b.Add(ExprOp::kMatmul, {a, b});
}

Result<int> Linear(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "input"));
  AKG_ASSIGN_OR_RETURN(int w, l.Operand(c, 1, "weight"));
  AKG_ASSIGN_OR_RETURN(int bias, OptionalOperand(l, c, 2, "bias"));
  if (Rank(l, w) != 2) return UnsupportedError(c.target + " with a weight that is not 2-d");
  int y = l.b.Add(ExprOp::kMatmul, {x, l.b.Add(ExprOp::kTranspose, {w})});
  return bias >= 0 ? l.b.Add(ExprOp::kAdd, {y, bias}) : y;
}

// addmm(bias, a, b, beta=1, alpha=1) and baddbmm.
Result<int> AddMm(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int bias, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(int a, l.Operand(c, 1, "mat1"));
  AKG_ASSIGN_OR_RETURN(int b, l.Operand(c, 2, "mat2"));
  AKG_ASSIGN_OR_RETURN(double beta, l.NumberOr(c, 99, "beta", 1.0));
  AKG_ASSIGN_OR_RETURN(double alpha, l.NumberOr(c, 99, "alpha", 1.0));
  int y = l.b.Add(ExprOp::kMatmul, {a, b});
  if (alpha != 1.0) y = l.b.Add(ExprOp::kMul, {y, l.b.Const(alpha)});
  if (beta == 0.0) return y;
  if (beta != 1.0) bias = l.b.Add(ExprOp::kMul, {bias, l.b.Const(beta)});
  return l.b.Add(ExprOp::kAdd, {y, bias});
}

// t, transpose and permute: only a swap of the last two dims (what a matmul reads through).
Result<int> Transpose(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  int rank = Rank(l, x);
  bool swap_last = false;
  if (c.name == "t" || c.name == "numpy_T") {
    swap_last = rank == 2;
    if (rank < 2) return x;
  } else if (c.name == "transpose") {
    const Json* d0 = l.Arg(c, 1, "dim0");
    const Json* d1 = l.Arg(c, 2, "dim1");
    if (d0 && d1 && d0->is_number_integer() && d1->is_number_integer()) {
      std::set<int> dims = {NormDim(d0->get<int64_t>(), rank), NormDim(d1->get<int64_t>(), rank)};
      swap_last = dims == std::set<int>{rank - 2, rank - 1};
    }
  } else if (c.name == "permute") {
    const Json* dims = l.Arg(c, 1, "dims");
    if (dims && dims->is_array() && static_cast<int>(dims->size()) == rank && rank >= 2) {
      swap_last = true;
      for (int d = 0; d < rank; ++d) {
        int want = d < rank - 2 ? d : (d == rank - 2 ? rank - 1 : rank - 2);
        if (!(*dims)[d].is_number_integer() || NormDim((*dims)[d].get<int64_t>(), rank) != want) {
          swap_last = false;
        }
      }
    }
  }
  if (!swap_last) {
    return UnsupportedError("the builtin model cannot write " + c.target +
                            " (it reads only swaps of the last two dims, into a matmul)");
  }
  return l.b.Add(ExprOp::kTranspose, {x});
}

Result<int> Unsqueeze(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(double dim, l.NumberOr(c, 1, "dim", 0));
  return l.b.Add(ExprOp::kUnsqueeze, {x}, {dim});
}

// broadcast_tensors: broadcasting is implicit in every plan, so each result is its input.
Result<int> BroadcastTensors(const AtenCall& c, Lowering& l) {
  const Json* list = l.Arg(c, 0, "tensors");
  if (list == nullptr || !list->is_array() || list->empty()) return UnsupportedError(c.target);
  std::vector<int> ids;
  for (const Json& t : *list) {
    if (!t.is_object() || !t.contains("node")) return UnsupportedError(c.target + " of a non-tensor");
    auto it = l.ids.find(t["node"].get<std::string>());
    if (it == l.ids.end()) return InputError(c.target + " uses an unknown node");
    ids.push_back(it->second);
  }
  l.tuples[c.target + "#last"] = ids;
  return ids[0];
}

// view / reshape that only inserts size-1 dims (bias.view(1, C, 1)): unsqueezes, which hold at
// any size. The result's shape comes from the graph node being lowered.
// view / reshape / flatten / squeeze / unsqueeze to the call's result shape: groups of input
// dims matched to groups of output dims of the same size, each group a flatten (several to
// one, shape-general), an unflatten (one to several; the sizes but the last are the
// inspect-time ones) or both; size-1 dims inserted or dropped.
Result<int> View(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  if (l.view_shape == nullptr) return UnsupportedError("the builtin model cannot write " + c.target);
  std::vector<int64_t> in = *l.input_shape_of(x);
  const std::vector<int64_t>& out = *l.view_shape;
  auto cannot = [&]() {
    return UnsupportedError("the builtin model cannot write " + c.target + " from " +
                            ShapeText(in) + " to " + ShapeText(out));
  };
  int64_t in_n = 1, out_n = 1;
  for (int64_t d : in) in_n *= d;
  for (int64_t d : out) out_n *= d;
  if (in_n != out_n || in_n == 0) return cannot();
  // Drop the input's size-1 dims (flatten each into a neighbour), then group.
  for (size_t d = 0; d < in.size() && in.size() > 1;) {
    if (in[d] != 1) {
      ++d;
      continue;
    }
    int at = static_cast<int>(d == 0 ? 0 : d - 1);
    x = l.b.Add(ExprOp::kFlatten, {x}, {static_cast<double>(at), static_cast<double>(at + 1)});
    in.erase(in.begin() + static_cast<long>(d));
  }
  if (in_n == 1) {  // a single element, now [1]: every output dim is 1
    if (out.empty() || in.size() != 1) return cannot();
    for (size_t d = 1; d < out.size(); ++d) x = l.b.Add(ExprOp::kUnsqueeze, {x}, {0.0});
    return x;
  }
  // Walk the output: each run of non-1 output dims is one group of input dims.
  size_t j = 0;   // next input dim
  int pos = 0;    // the current dim of x (as rebuilt so far)
  for (size_t d = 0; d < out.size();) {
    if (out[d] == 1) {
      x = l.b.Add(ExprOp::kUnsqueeze, {x}, {static_cast<double>(pos)});
      ++pos;
      ++d;
      continue;
    }
    if (j >= in.size()) return cannot();
    int64_t a = in[j], b = out[d];
    size_t j1 = j + 1, d1 = d + 1;
    while (a != b) {
      if (a < b) {
        if (j1 >= in.size()) return cannot();
        a *= in[j1++];
      } else {
        while (d1 < out.size() && out[d1] == 1) ++d1;  // 1s inside a split: not supported
        if (d1 >= out.size()) return cannot();
        b *= out[d1++];
      }
    }
    for (size_t e = d; e < d1; ++e) {
      if (out[e] == 1) return cannot();
    }
    if (j1 - j > 1) {
      x = l.b.Add(ExprOp::kFlatten, {x}, {static_cast<double>(pos),
                                          static_cast<double>(pos + static_cast<int>(j1 - j) - 1)});
    }
    for (size_t e = d; e + 1 < d1; ++e) {  // split off out[e], leaving the rest
      x = l.b.Add(ExprOp::kUnflatten, {x}, {static_cast<double>(pos), static_cast<double>(out[e])});
      ++pos;
    }
    ++pos;
    j = j1;
    d = d1;
  }
  if (j != in.size()) return cannot();
  return x;
}

// ---- scans ----------------------------------------------------------------------------------

// cumsum / cumprod(self, dim): a scan along dim. Over a flip along the same dim it is the
// flip of a reverse scan (cumsum(flip(x)) = flip(suffix sums of x)), so flip(cumsum(flip(x)))
// plans as one reverse scan.
Handler Scan(ReduceCombiner comb) {
  return [comb](const AtenCall& c, Lowering& l) -> Result<int> {
    AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
    if (l.Arg(c, 2, "dtype") != nullptr) return UnsupportedError(c.target + " with a dtype");
    AKG_ASSIGN_OR_RETURN(double dim, l.NumberOr(c, 1, "dim", 0));
    int rank = Rank(l, x);
    int axis = NormDim(static_cast<int64_t>(dim), std::max(rank, 1));
    const ExprNode& arg = l.b.graph().nodes[static_cast<size_t>(x)];
    if (arg.op == ExprOp::kFlip && static_cast<int>(arg.params[1]) == axis) {
      int scan = l.b.Add(ExprOp::kScan, {arg.args[0]},
                         {static_cast<double>(static_cast<int>(comb)), 1.0, static_cast<double>(rank),
                          static_cast<double>(axis)});
      return l.b.Add(ExprOp::kFlip, {scan}, {static_cast<double>(rank), static_cast<double>(axis)});
    }
    return l.b.Add(ExprOp::kScan, {x}, {static_cast<double>(static_cast<int>(comb)), 0.0,
                                        static_cast<double>(rank), static_cast<double>(axis)});
  };
}

Result<int> Flip(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  const Json* dims = l.Arg(c, 1, "dims");
  if (dims == nullptr || !dims->is_array() || dims->size() != 1 || !(*dims)[0].is_number_integer()) {
    return UnsupportedError("the builtin model follows flip over one dim only");
  }
  int rank = Rank(l, x);
  int axis = NormDim((*dims)[0].get<int64_t>(), rank);
  const ExprNode& arg = l.b.graph().nodes[static_cast<size_t>(x)];
  if (arg.op == ExprOp::kFlip && static_cast<int>(arg.params[1]) == axis) return arg.args[0];
  return l.b.Add(ExprOp::kFlip, {x}, {static_cast<double>(rank), static_cast<double>(axis)});
}

const std::map<std::string, Handler>& PlanHandlers() {
  static const auto* h = new std::map<std::string, Handler>{
      {"sum", SimpleReduce(ReduceCombiner::kSum, false)},
      {"mean", SimpleReduce(ReduceCombiner::kSum, true)},
      {"prod", SimpleReduce(ReduceCombiner::kProd, false)},
      {"amax", SimpleReduce(ReduceCombiner::kMax, false)},
      {"amin", SimpleReduce(ReduceCombiner::kMin, false)},
      {"max", MaxMin(ReduceCombiner::kMax, ReduceCombiner::kArgMax, ExprOp::kMaximum)},
      {"min", MaxMin(ReduceCombiner::kMin, ReduceCombiner::kArgMin, ExprOp::kMinimum)},
      {"argmax", ArgReduce(ReduceCombiner::kArgMax)},
      {"argmin", ArgReduce(ReduceCombiner::kArgMin)},
      {"var", [](const AtenCall& c, Lowering& l) { return VarStd(c, l, false); }},
      {"std", [](const AtenCall& c, Lowering& l) { return VarStd(c, l, true); }},
      {"linalg_vector_norm", VectorNorm},
      {"norm", VectorNorm},
      {"frobenius_norm", FrobeniusNorm},
      {"softmax", [](const AtenCall& c, Lowering& l) { return Softmax(c, l, false); }},
      {"logsumexp", LogSumExp},
      {"_softmax", [](const AtenCall& c, Lowering& l) { return Softmax(c, l, false); }},
      {"log_softmax", [](const AtenCall& c, Lowering& l) { return Softmax(c, l, true); }},
      {"_log_softmax", [](const AtenCall& c, Lowering& l) { return Softmax(c, l, true); }},
      {"layer_norm", LayerNorm},
      {"rms_norm", RmsNorm},
      {"instance_norm", InstanceNorm},
      {"mse_loss", MseLoss},
      {"l1_loss", L1Loss},
      {"smooth_l1_loss", [](const AtenCall& c, Lowering& l) { return SmoothL1(c, l, false); }},
      {"huber_loss", [](const AtenCall& c, Lowering& l) { return SmoothL1(c, l, true); }},
      {"cosine_similarity", CosineSimilarity},
      {"mm", Matmul},
      {"bmm", Matmul},
      {"matmul", Matmul},
      {"linear", Linear},
      {"addmm", AddMm},
      {"baddbmm", AddMm},
      {"t", Transpose},
      {"numpy_T", Transpose},
      {"transpose", Transpose},
      {"permute", Transpose},
      {"unsqueeze", Unsqueeze},
      {"broadcast_tensors", BroadcastTensors},
      {"cumsum", Scan(ReduceCombiner::kSum)},
      {"cumprod", Scan(ReduceCombiner::kProd)},
      {"flip", Flip},
      {"view", View},
      {"reshape", View},
      {"_unsafe_view", View},
      {"flatten", View},
      {"squeeze", View},
      {"unflatten", View},
      {"expand_dims", View},
  };
  return *h;
}

// ---- the walk -------------------------------------------------------------------------------

const std::vector<int64_t> kEmptyShape;

struct Walk {
  PlanDag dag;
  Lowering l{&dag.g};

  Status type_error;  // a node whose type cannot be inferred, found while a handler ran

  Walk() {
    l.input_shape_of = [this](int id) -> const std::vector<int64_t>* {
      Status s = Fill();
      size_t k = static_cast<size_t>(id);
      return s.ok() && k < dag.types.size() ? &dag.types[k].shape : &kEmptyShape;
    };
    l.rank_of = [this](int id) {
      Status s = Fill();
      if (!s.ok() && type_error.ok()) type_error = s;
      size_t k = static_cast<size_t>(id);
      return k < dag.types.size() ? static_cast<int>(dag.types[k].shape.size()) : 0;
    };
  }

  // Types for every node so far (nodes only ever append).
  Status Fill() {
    while (dag.types.size() < dag.g.nodes.size()) {
      AKG_ASSIGN_OR_RETURN(TensorType t, InferNodeType(dag.g, static_cast<int>(dag.types.size()),
                                                       dag.types, dag.leaves));
      dag.types.push_back(std::move(t));
    }
    return Status::Ok();
  }

  Status Placeholder(const OpNode& n) {
    if (n.role == NodeRole::kConstant) {
      return UnsupportedError("the task's forward reads a constant tensor (" + n.target +
                              "); the builtin model reads arguments, parameters and buffers");
    }
    if (!n.type) {
      return UnsupportedError("forward argument '" + n.name + "' is not a tensor; the builtin "
                              "model's plans take tensor arguments");
    }
    // Class indices, BatchNorm's step count, masks: read as floats.
    bool index = n.type->dtype == "int64" || n.type->dtype == "bool";
    if ((!IsFloatDtype(n.type->dtype) || n.type->dtype == "float64") && !index) {
      if (n.uses == 0) return Status::Ok();
      return UnsupportedError("the builtin model's plans read float32, float16, bfloat16 and "
                              "int64 tensors; '" + n.name + "' is " + n.type->dtype);
    }
    PlanOperand op;
    op.kind = n.role == NodeRole::kInput ? PlanOperand::Kind::kInput
              : n.role == NodeRole::kParameter ? PlanOperand::Kind::kParameter
                                               : PlanOperand::Kind::kBuffer;
    op.index = n.input_index;
    op.path = n.role == NodeRole::kInput ? "" : n.target;
    op.type = *n.type;
    dag.leaves.push_back(op);
    l.ids[n.name] = l.b.Add(ExprOp::kInput, {}, {}, static_cast<int>(dag.leaves.size()) - 1);
    return Fill();
  }

  Status Call(const OpGraph& graph, const OpNode& n) {
    AtenCall call = MakeAtenCall(n);
    if (n.fx_op != "call_function") {
      return UnsupportedError("the builtin model cannot write " + n.fx_op + " '" + n.name + "'");
    }
    if (n.target == "_operator.getitem" || n.target == "operator.getitem") {
      return GetItem(graph, n);
    }
    if (n.in_place && !n.operands.empty() &&
        graph.nodes[static_cast<size_t>(n.operands[0])].uses > 1) {
      return UnsupportedError("the task changes '" + graph.nodes[static_cast<size_t>(n.operands[0])].name +
                              "' in place with " + n.target + " and reads it elsewhere");
    }
    if (n.type && !IsFloatDtype(n.type->dtype) && n.type->dtype != "int64") {
      return UnsupportedError("the builtin model's plans compute float tensors; " + n.target +
                              " gives " + n.type->dtype);
    }
    std::string name = call.name;
    l.view_shape = n.type ? &n.type->shape : nullptr;
    auto plan = PlanHandlers().find(name);
    const PlanHandler* more = nullptr;
    for (const auto* table : {&PoolHandlers(), &NnHandlers(), &MmHandlers(), &ConvHandlers()}) {
      if (auto it = table->find(name); it != table->end()) more = &it->second;
    }
    Result<int> id = InternalError("unset");
    if (int batch_mean = BatchMean(call, l); batch_mean >= 0) {
      id = batch_mean;
    } else if (plan != PlanHandlers().end()) {
      id = plan->second(call, l);
    } else if (more != nullptr) {
      id = (*more)(call, l);
    } else if (const AtenHandler* pointwise = FindAtenHandler(name)) {
      id = (*pointwise)(call, l);
    } else {
      return UnsupportedError("the builtin model cannot write " + n.target +
                              " (no kernel plan covers it yet)");
    }
    if (!id.ok()) return id.status();
    AKG_RETURN_IF_ERROR(type_error);
    auto tuple = l.tuples.find(call.target + "#last");
    if (tuple != l.tuples.end()) {
      l.tuples[n.name] = tuple->second;
      l.tuples.erase(tuple);
    }
    l.ids[n.name] = *id;
    return Fill();
  }

  Status GetItem(const OpGraph& graph, const OpNode& n) {
    if (n.operands.empty() || !n.args.is_array() || n.args.size() < 2 ||
        !n.args[1].is_number_integer()) {
      return UnsupportedError("the builtin model cannot follow getitem '" + n.name + "'");
    }
    const std::string& from = graph.nodes[static_cast<size_t>(n.operands[0])].name;
    auto it = l.tuples.find(from);
    size_t k = n.args[1].get<size_t>();
    if (it == l.tuples.end() || k >= it->second.size()) {
      return UnsupportedError("the builtin model cannot follow getitem of '" + from + "'");
    }
    l.ids[n.name] = it->second[k];
    return Status::Ok();
  }
};

}  // namespace plan_lower

using namespace plan_lower;

ReduceInfo ReduceOf(const ExprNode& n) {
  ReduceInfo r;
  r.combiner = static_cast<ReduceCombiner>(static_cast<int>(n.params[0]));
  r.keepdim = n.params[1] != 0;
  r.rank = static_cast<int>(n.params[2]);
  for (size_t i = 3; i < n.params.size(); ++i) r.axes.push_back(static_cast<int>(n.params[i]));
  return r;
}

std::vector<double> ReduceParams(ReduceCombiner c, bool keepdim, int rank,
                                 const std::vector<int>& axes) {
  std::vector<double> p = {static_cast<double>(static_cast<int>(c)), keepdim ? 1.0 : 0.0,
                           static_cast<double>(rank)};
  for (int a : axes) p.push_back(a);
  return p;
}

Result<PlanDag> LowerToDag(const OpGraph& graph) {
  if (!graph.has_graph()) {
    return UnsupportedError("the harness could not capture the task's graph (" + graph.error +
                            "); the builtin model needs one");
  }
  if (graph.source != "torch.export") {
    return UnsupportedError("the builtin model needs a torch.export graph; the task was only "
                            "traced by " + graph.source);
  }
  for (const ForwardArg& a : graph.forward_args) {
    if (a.kind != "tensor") {
      return UnsupportedError("forward argument " + std::to_string(a.index) + " is a " + a.kind +
                              "; the builtin model's plans take tensor arguments only");
    }
  }
  if (graph.outputs.size() != 1 || graph.outputs[0] < 0) {
    return UnsupportedError("the task returns " + std::to_string(graph.outputs.size()) +
                            " values; the builtin model's plans return exactly one tensor");
  }
  Walk w;
  try {
    for (const OpNode& n : graph.nodes) {
      if (n.role == NodeRole::kOutput) continue;
      if (n.role == NodeRole::kCall) {
        AKG_RETURN_IF_ERROR(w.Call(graph, n));
      } else {
        AKG_RETURN_IF_ERROR(w.Placeholder(n));
      }
    }
  } catch (const Json::exception& e) {
    return InputError(std::string("malformed inspect result: ") + e.what());
  }
  const OpNode& out = graph.nodes[static_cast<size_t>(graph.outputs[0])];
  auto it = w.l.ids.find(out.name);
  if (it == w.l.ids.end()) return InputError("the graph's output names an unknown node");
  w.dag.g.output = it->second;
  AKG_RETURN_IF_ERROR(w.Fill());
  // Arithmetic on int64 operands gives float32 here; torch keeps integers integral.
  const std::string& got = w.dag.types[static_cast<size_t>(w.dag.g.output)].dtype;
  auto integral = [](const std::string& d) { return d == "int64" || d == "bool"; };
  if (out.type && out.type->dtype != got && (integral(out.type->dtype) || integral(got))) {
    return UnsupportedError("the task returns " + out.type->dtype + "; the builtin model's plan "
                            "would compute " + got);
  }
  return std::move(w.dag);
}

}  // namespace akg
