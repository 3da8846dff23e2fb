// Lowerings of the normalisations and losses that need more than one row of statistics
// (plan_dag.h's NnHandlers): batch_norm (the batch's statistics in training mode, the running
// ones in evaluation), group_norm, kl_div, triplet_margin_loss and cross_entropy_loss.
//
// Statistics over several dims that are not one run (batch_norm's N and spatial dims) are
// taken in two levels: a mean over the spatial run per (n, c), then over n (equal counts, so
// the mean of means is the mean). Variances are of centred values (two passes), as accurate
// as torch's Welford.
#include <fmt/format.h>

#include "builtin/plan_dag.h"

namespace akg {
namespace {

using namespace plan_lower;

int Rsqrt(Lowering& l, int var, double eps) {
  return l.b.Add(ExprOp::kRsqrt, {l.b.Add(ExprOp::kAdd, {var, l.b.Const(eps)})});
}

// The mean over dim 0 and dims [2, rank) of x (keepdim), in two levels.
int ChannelMean(Lowering& l, int x, int rank) {
  std::vector<int> spatial;
  for (int d = 2; d < rank; ++d) spatial.push_back(d);
  int per_sample = spatial.empty() ? x : Mean(l, x, spatial, true);
  return Mean(l, per_sample, {0}, true);
}

// batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
// cudnn_enabled). Training mode normalises by the batch's biased variance; the running
// buffers' update is a side effect the plan does not reproduce (the output does not read it).
Result<int> BatchNorm(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "input"));
  AKG_ASSIGN_OR_RETURN(int w, OptionalOperand(l, c, 1, "weight"));
  AKG_ASSIGN_OR_RETURN(int b, OptionalOperand(l, c, 2, "bias"));
  AKG_ASSIGN_OR_RETURN(int rm, OptionalOperand(l, c, 3, "running_mean"));
  AKG_ASSIGN_OR_RETURN(int rv, OptionalOperand(l, c, 4, "running_var"));
  const Json* training = l.Arg(c, 5, "training");
  if (training == nullptr || !training->is_boolean()) {
    return UnsupportedError(c.target + ": training is not a constant");
  }
  AKG_ASSIGN_OR_RETURN(double eps, l.NumberOr(c, 7, "eps", 1e-5));
  int rank = l.rank_of(x);
  if (rank < 2) return UnsupportedError(c.target + " of a rank-" + std::to_string(rank) + " input");
  int mean = -1, var = -1;
  int d = -1;
  if (training->get<bool>() || rm < 0 || rv < 0) {
    mean = ChannelMean(l, x, rank);
    d = l.b.Add(ExprOp::kSub, {x, mean});
    var = ChannelMean(l, l.b.Add(ExprOp::kMul, {d, d}), rank);
  } else {
    d = l.b.Add(ExprOp::kSub, {x, PerChannel(l, rm, rank)});
    var = PerChannel(l, rv, rank);
  }
  int y = l.b.Add(ExprOp::kMul, {d, Rsqrt(l, var, eps)});
  return Affine(l, y, w >= 0 ? PerChannel(l, w, rank) : -1, b >= 0 ? PerChannel(l, b, rank) : -1);
}

// group_norm(input, num_groups, weight, bias, eps, cudnn_enabled): x viewed as
// [N, G, C/G, ...], normalised over every dim after G; then the per-channel affine, as torch's
// own kernel writes it: y = x * a + s with a = rstd * w and s = b - mean * a per (n, c).
Result<int> GroupNorm(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "input"));
  const Json* groups = l.Arg(c, 1, "num_groups");
  if (groups == nullptr || !groups->is_number_integer() || groups->get<int64_t>() <= 0) {
    return UnsupportedError(c.target + ": num_groups");
  }
  int64_t g = groups->get<int64_t>();
  AKG_ASSIGN_OR_RETURN(int w, OptionalOperand(l, c, 2, "weight"));
  AKG_ASSIGN_OR_RETURN(int b, OptionalOperand(l, c, 3, "bias"));
  AKG_ASSIGN_OR_RETURN(double eps, l.NumberOr(c, 4, "eps", 1e-5));
  int rank = l.rank_of(x);
  if (rank < 2) return UnsupportedError(c.target + " of a rank-" + std::to_string(rank) + " input");
  const std::vector<int64_t>& shape = *l.input_shape_of(x);
  if (shape[1] % g != 0) return InputError(c.target + ": channels not divisible by num_groups");
  int xg = l.b.Add(ExprOp::kUnflatten, {x}, {1.0, static_cast<double>(g)});  // [N, G, C/G, ...]
  std::vector<int> axes;
  for (int d = 2; d <= rank; ++d) axes.push_back(d);
  int mean = Mean(l, xg, axes, true);  // [N, G, 1, ...]
  int dev = l.b.Add(ExprOp::kSub, {xg, mean});
  int rstd = Rsqrt(l, Mean(l, l.b.Add(ExprOp::kMul, {dev, dev}), axes, true), eps);
  // Per (n, g, c/g): the scale and shift, a tensor of N * C values viewed back as [N, C, 1..].
  auto grouped = [&](int v) {  // a [C] operand as [G, C/G, 1, ...]
    int t = l.b.Add(ExprOp::kUnflatten, {v}, {0.0, static_cast<double>(g)});
    for (int d = 2; d < rank; ++d) t = l.b.Add(ExprOp::kUnsqueeze, {t}, {-1.0});
    return t;
  };
  if (w < 0 && b < 0) {  // no per-channel values: normalise in the grouped view directly
    return l.b.Add(ExprOp::kFlatten, {l.b.Add(ExprOp::kMul, {dev, rstd})}, {1.0, 2.0});
  }
  if (w < 0 || b < 0) {
    return UnsupportedError("the builtin model writes group_norm with both weight and bias, or "
                            "neither");
  }
  // a and s are [N, G, C/G, 1, ...]: per channel once flattened.
  auto channels = [&](int v) { return l.b.Add(ExprOp::kFlatten, {v}, {1.0, 2.0}); };
  int a = l.b.Add(ExprOp::kMul, {rstd, grouped(w)});
  int s = l.b.Add(ExprOp::kSub, {grouped(b), l.b.Add(ExprOp::kMul, {mean, a})});
  // s first: the partitioner then computes the mean once and reads it for the variance.
  int shift = channels(s);
  return l.b.Add(ExprOp::kAdd, {shift, l.b.Add(ExprOp::kMul, {x, channels(a)})});
}

// kl_div(self, target, reduction, log_target): exp(t) * (t - x) for a log target, else
// xlogy(t, t) - t * x (0 where t is 0).
Result<int> KlDiv(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(int t, l.Operand(c, 1, "target"));
  int per = -1;
  if (Flag(l, c, 3, "log_target")) {
    per = l.b.Add(ExprOp::kMul, {l.b.Add(ExprOp::kExp, {t}), l.b.Add(ExprOp::kSub, {t, x})});
  } else {
    int tlogt = l.b.Add(ExprOp::kMul, {t, l.b.Add(ExprOp::kLog, {t})});
    int xlogy = l.b.Add(ExprOp::kWhere, {l.b.Add(ExprOp::kEq, {t, l.b.Const(0.0)}),
                                         l.b.Const(0.0), tlogt});
    per = l.b.Add(ExprOp::kSub, {xlogy, l.b.Add(ExprOp::kMul, {t, x})});
  }
  return LossReduction(c, l, per, 2);
}

// The p-norm distance torch's pairwise_distance takes: ||a - b + eps||_p over the last dim.
Result<int> Distance(Lowering& l, int a, int b, double p, double eps, int rank) {
  int d = l.b.Add(ExprOp::kAdd, {l.b.Add(ExprOp::kSub, {a, b}), l.b.Const(eps)});
  std::vector<int> last = {rank - 1};
  if (p == 1) return Reduce(l, ReduceCombiner::kSum, l.b.Add(ExprOp::kAbs, {d}), last, false);
  if (p == 2) {
    int s = Reduce(l, ReduceCombiner::kSum, l.b.Add(ExprOp::kMul, {d, d}), last, false);
    return l.b.Add(ExprOp::kSqrt, {s});
  }
  return UnsupportedError(fmt::format("the builtin model writes triplet_margin_loss with p 1 or "
                                      "2; this task uses p={}", p));
}

// triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction):
// max(d(a, p) - d(a, n) + margin, 0), with d(p, n) when swap is smaller than d(a, n).
Result<int> TripletMargin(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int a, l.Operand(c, 0, "anchor"));
  AKG_ASSIGN_OR_RETURN(int pos, l.Operand(c, 1, "positive"));
  AKG_ASSIGN_OR_RETURN(int neg, l.Operand(c, 2, "negative"));
  AKG_ASSIGN_OR_RETURN(double margin, l.NumberOr(c, 3, "margin", 1.0));
  AKG_ASSIGN_OR_RETURN(double p, l.NumberOr(c, 4, "p", 2.0));
  AKG_ASSIGN_OR_RETURN(double eps, l.NumberOr(c, 5, "eps", 1e-6));
  int rank = l.rank_of(a);
  if (rank != 2 || l.rank_of(pos) != 2 || l.rank_of(neg) != 2) {
    return UnsupportedError("the builtin model writes triplet_margin_loss of [N, D] inputs");
  }
  AKG_ASSIGN_OR_RETURN(int d_pos, Distance(l, a, pos, p, eps, rank));
  AKG_ASSIGN_OR_RETURN(int d_neg, Distance(l, a, neg, p, eps, rank));
  if (Flag(l, c, 6, "swap")) {
    AKG_ASSIGN_OR_RETURN(int d_swap, Distance(l, pos, neg, p, eps, rank));
    d_neg = l.b.Add(ExprOp::kMinimum, {d_neg, d_swap});
  }
  int diff = l.b.Add(ExprOp::kSub, {l.b.Add(ExprOp::kAdd, {d_pos, l.b.Const(margin)}), d_neg});
  int per = l.b.Add(ExprOp::kClampMin, {diff}, {0.0});
  return LossReduction(c, l, per, 7);
}

// cross_entropy_loss(self [N, C], target [N] class indices, weight, reduction, ignore_index,
// label_smoothing): logsumexp(x) - x[target] per row; targets equal to ignore_index count
// for nothing, and a mean divides by the rows that count.
Result<int> CrossEntropy(const AtenCall& c, Lowering& l) {
  AKG_ASSIGN_OR_RETURN(int x, l.Operand(c, 0, "self"));
  AKG_ASSIGN_OR_RETURN(int t, l.Operand(c, 1, "target"));
  if (l.Arg(c, 2, "weight") != nullptr) {
    return UnsupportedError("the builtin model writes cross_entropy without class weights");
  }
  AKG_ASSIGN_OR_RETURN(double smoothing, l.NumberOr(c, 5, "label_smoothing", 0.0));
  if (smoothing != 0) {
    return UnsupportedError("the builtin model writes cross_entropy without label_smoothing");
  }
  AKG_ASSIGN_OR_RETURN(double reduction, l.NumberOr(c, 3, "reduction", 1));
  AKG_ASSIGN_OR_RETURN(double ignore, l.NumberOr(c, 4, "ignore_index", -100));
  if (l.rank_of(x) != 2 || l.rank_of(t) != 1) {
    return UnsupportedError("the builtin model writes cross_entropy of [N, C] logits and [N] "
                            "class indices");
  }
  int t1 = l.b.Add(ExprOp::kUnsqueeze, {t}, {1.0});  // [N, 1]
  std::vector<int> cls = {1};
  int mx = Reduce(l, ReduceCombiner::kMax, x, cls, true);
  int sum = Reduce(l, ReduceCombiner::kSum, l.b.Add(ExprOp::kExp, {l.b.Add(ExprOp::kSub, {x, mx})}),
                   cls, true);
  int lse = l.b.Add(ExprOp::kAdd, {l.b.Add(ExprOp::kLog, {sum}), mx});
  int index = l.b.Add(ExprOp::kRowIndex, {}, {2.0, 1.0});
  int hit = l.b.Add(ExprOp::kWhere, {l.b.Add(ExprOp::kEq, {index, t1}), x, l.b.Const(0.0)});
  int picked = Reduce(l, ReduceCombiner::kSum, hit, cls, true);
  int counts = l.b.Add(ExprOp::kNe, {t1, l.b.Const(ignore)});
  int per = l.b.Add(ExprOp::kWhere, {counts, l.b.Add(ExprOp::kSub, {lse, picked}), l.b.Const(0.0)});
  std::vector<int> all = {0, 1};
  if (reduction == 0) return Reduce(l, ReduceCombiner::kSum, per, cls, false);  // [N]
  int total = Reduce(l, ReduceCombiner::kSum, per, all, false);
  if (reduction == 2) return total;
  return l.b.Add(ExprOp::kDiv, {total, Reduce(l, ReduceCombiner::kSum, counts, all, false)});
}

}  // namespace

int BatchMean(const AtenCall& c, Lowering& l) {
  const Json* divisor = l.Arg(c, 1, "other");
  if (c.name != "div" || divisor == nullptr || !divisor->is_number_integer()) return -1;
  Result<int> num = l.Operand(c, 0, "self");
  if (!num.ok()) return -1;
  const ExprNode& n = l.b.graph().nodes[static_cast<size_t>(*num)];
  if (n.op != ExprOp::kReduce) return -1;
  ReduceInfo r = ReduceOf(n);
  int per = n.args[0];
  const std::vector<int64_t>& shape = *l.input_shape_of(per);
  if (r.combiner != ReduceCombiner::kSum || r.keepdim || r.rank < 2 ||
      static_cast<int>(r.axes.size()) != r.rank || shape.empty() ||
      shape[0] != divisor->get<int64_t>()) {
    return -1;
  }
  std::vector<int> rest;
  for (int d = 1; d < r.rank; ++d) rest.push_back(d);
  return Mean(l, Reduce(l, ReduceCombiner::kSum, per, rest, false), {0}, false);
}

const std::map<std::string, PlanHandler>& NnHandlers() {
  static const auto* h = new std::map<std::string, PlanHandler>{
      {"batch_norm", BatchNorm},
      {"group_norm", GroupNorm},
      {"kl_div", KlDiv},
      {"triplet_margin_loss", TripletMargin},
      {"cross_entropy_loss", CrossEntropy},
  };
  return *h;
}

}  // namespace akg
