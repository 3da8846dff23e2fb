// PlanProgram: node types over the DAG, then the partitioner (plan.h has the picture).
#include "builtin/plan.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include "builtin/plan_dag.h"

namespace akg {
namespace {

Result<std::vector<int64_t>> Broadcast(const std::vector<int64_t>& a,
                                       const std::vector<int64_t>& b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x != y && x != 1 && y != 1) {
      return UnsupportedError("shapes " + ShapeText(a) + " and " + ShapeText(b) +
                              " do not broadcast");
    }
    out[i] = x == 1 ? y : x;
  }
  return out;
}

std::string Promote(const std::string& a, const std::string& b) {
  if (a == b) return a;
  if (a == "bool") return b;
  if (b == "bool") return a;
  if (a == "int64") return b;
  if (b == "int64") return a;
  return "float32";
}

bool IsView(ExprOp op) {
  return op == ExprOp::kUnsqueeze || op == ExprOp::kTranspose || op == ExprOp::kUnflatten ||
         op == ExprOp::kFlatten;
}

PlanView ViewOf(const ExprNode& n) {
  PlanView v;
  switch (n.op) {
    case ExprOp::kTranspose: v.kind = PlanView::Kind::kTranspose; break;
    case ExprOp::kUnflatten:
      v.kind = PlanView::Kind::kUnflatten;
      v.size = static_cast<int64_t>(n.params[1]);
      break;
    case ExprOp::kFlatten:
      v.kind = PlanView::Kind::kFlatten;
      v.end = static_cast<int>(n.params[1]);
      break;
    default: break;
  }
  if (n.op != ExprOp::kTranspose) v.dim = static_cast<int>(n.params[0]);
  return v;
}

// A node that starts a launch of its own kind, reading its operands from memory: a matmul or
// a pool. A pointwise chain over its result alone is its epilogue.
bool IsAnchor(ExprOp op) {
  return op == ExprOp::kMatmul || op == ExprOp::kPool || op == ExprOp::kConv;
}

struct Domain {
  std::vector<int64_t> shape;  // S at inspect time
  std::vector<int> axes;       // a contiguous run
  bool operator==(const Domain& o) const { return shape == o.shape && axes == o.axes; }
};

bool Contiguous(const std::vector<int>& axes) {
  for (size_t i = 1; i < axes.size(); ++i) {
    if (axes[i] != axes[i - 1] + 1) return false;
  }
  return !axes.empty();
}

class Partitioner {
 public:
  explicit Partitioner(const PlanDag& dag) : dag_(dag), uses_(dag.g.nodes.size(), 0) {
    for (int id : dag.g.LiveNodes()) {
      for (int a : dag.g.nodes[static_cast<size_t>(id)].args) ++uses_[static_cast<size_t>(a)];
    }
  }

  // The launches, and the views forward's result is read through (a view of a computed
  // value is free on the last launch's contiguous result).
  Result<std::vector<Launch>> Run(std::vector<PlanView>* result_views) {
    int out = dag_.g.output;
    std::vector<PlanView> views;
    while (IsView(Node(out).op) && Node(out).op != ExprOp::kTranspose &&
           !LeafBased(Node(out).args[0])) {
      views.insert(views.begin(), ViewOf(Node(out)));
      out = Node(out).args[0];
    }
    AKG_RETURN_IF_ERROR(Materialize(out).status());
    *result_views = std::move(views);
    return std::move(launches_);
  }

  bool LeafBased(int id) const {
    while (IsView(Node(id).op)) id = Node(id).args[0];
    return Node(id).op == ExprOp::kInput;
  }

 private:
  const ExprNode& Node(int id) const { return dag_.g.nodes[static_cast<size_t>(id)]; }
  const TensorType& Type(int id) const { return dag_.types[static_cast<size_t>(id)]; }

  // The node as a tensor a launch can read: a leaf, a view of one, or an earlier launch.
  Result<PlanOperand> OperandOf(int id) {
    const ExprNode& n = Node(id);
    if (n.op == ExprOp::kInput) return dag_.leaves[static_cast<size_t>(n.input)];
    if (IsView(n.op)) {
      AKG_ASSIGN_OR_RETURN(PlanOperand base, OperandOf(n.args[0]));
      base.views.push_back(ViewOf(n));
      base.type = Type(id);
      return base;
    }
    AKG_ASSIGN_OR_RETURN(int launch, Materialize(id));
    PlanOperand op;
    op.kind = PlanOperand::Kind::kIntermediate;
    op.index = launch;
    op.type = Type(id);
    return op;
  }

  Result<int> Materialize(int id) {
    if (auto it = done_.find(id); it != done_.end()) return it->second;
    const ExprNode& n = Node(id);
    if (n.op == ExprOp::kInput || IsView(n.op)) {
      // forward returns an argument or a view of one: a copy through a pointwise launch.
      return BuildRegion(id);
    }
    Result<int> launch = IsAnchor(n.op) ? BuildAnchor(id, -1, {}) : BuildRegion(id);
    if (launch.ok()) done_[id] = *launch;
    return launch;
  }

  // The region of `root`: every pointwise node and every reduction over `domain` reachable
  // without crossing a leaf, view, matmul or a reduction over another domain.
  void Collect(int id, const std::optional<Domain>& domain, std::set<int>* region,
               std::set<int>* boundary) {
    if (region->contains(id) || boundary->contains(id)) return;
    const ExprNode& n = Node(id);
    if (n.op == ExprOp::kConst || n.op == ExprOp::kRowSize || n.op == ExprOp::kRowIndex ||
        n.op == ExprOp::kOutIndex || n.op == ExprOp::kDotSize) {
      region->insert(id);
      return;
    }
    bool inside = false;
    if (done_.contains(id)) {
      inside = false;  // computed by an earlier launch: read, not recomputed
    } else if (n.op == ExprOp::kReduce || n.op == ExprOp::kScan) {
      inside = domain && DomainOf(id) == *domain;
    } else {
      inside = n.op != ExprOp::kInput && !IsView(n.op) && !IsAnchor(n.op);
      // A value computed from another domain's reductions alone (a softmax's log-sum-exp
      // under a mean over rows) is that domain's row launch: one pass, not one per reduction.
      if (inside) {
        std::optional<Domain> other = RowDomainOf(id);
        if (other && (!domain || !(*other == *domain))) inside = false;
      }
      // A value that reads a matmul's row, column or K is that matmul's epilogue launch.
      if (inside && domain && ReadsMatmulIndex(id)) inside = false;
    }
    if (!inside) {
      boundary->insert(id);
      return;
    }
    region->insert(id);
    for (int a : n.args) Collect(a, domain, region, boundary);
  }

  // The domain a pointwise node is row-level in: computed from reductions over one domain and
  // constants only; nullopt when it reads elements (or reductions of several domains).
  std::optional<Domain> RowDomainOf(int id) {
    if (auto it = row_domain_.find(id); it != row_domain_.end()) return it->second;
    const ExprNode& n = Node(id);
    std::optional<Domain> out;
    bool valid = n.op != ExprOp::kInput && !IsView(n.op) && !IsAnchor(n.op) &&
                 n.op != ExprOp::kScan && n.op != ExprOp::kRowIndex &&
                 n.op != ExprOp::kOutIndex && n.op != ExprOp::kDotSize && !done_.contains(id);
    if (valid && n.op == ExprOp::kReduce) {
      out = DomainOf(id);
    } else if (valid) {
      for (int a : n.args) {
        const ExprNode& arg = Node(a);
        if (arg.op == ExprOp::kConst || arg.op == ExprOp::kRowSize) continue;
        std::optional<Domain> d = RowDomainOf(a);
        if (!d || (out && !(*out == *d))) {
          valid = false;
          break;
        }
        out = d;
      }
    }
    if (!valid) out.reset();
    row_domain_[id] = out;
    return out;
  }

  // Whether a pointwise node reads kOutIndex or kDotSize and no reduction (through pointwise
  // nodes): a matmul's epilogue value (attention's scaled scores under its softmax).
  bool ReadsMatmulIndex(int id) const {
    bool index = false, reduce = false;
    std::set<int> seen;
    std::function<void(int)> visit = [&](int v) {
      if (!seen.insert(v).second) return;
      const ExprNode& n = Node(v);
      if (n.op == ExprOp::kOutIndex || n.op == ExprOp::kDotSize) index = true;
      if (n.op == ExprOp::kReduce || n.op == ExprOp::kScan) reduce = true;
      if (n.op == ExprOp::kInput || IsView(n.op) || IsAnchor(n.op) || n.op == ExprOp::kReduce ||
          n.op == ExprOp::kScan) {
        return;
      }
      for (int a : n.args) visit(a);
    };
    visit(id);
    return index && !reduce;
  }

  // A reduction's (or a scan's) domain: its operand's shape and the dims it runs along.
  Domain DomainOf(int reduce) const {
    const ExprNode& n = Node(reduce);
    if (n.op == ExprOp::kScan) return {Type(n.args[0]).shape, {static_cast<int>(n.params[3])}};
    return {Type(n.args[0]).shape, ReduceOf(n).axes};
  }

  // The first reduction found from the root (depth first through pointwise nodes).
  std::optional<int> FirstReduce(int id, std::set<int>* seen) const {
    if (!seen->insert(id).second || done_.contains(id)) return std::nullopt;
    const ExprNode& n = Node(id);
    if (n.op == ExprOp::kReduce || n.op == ExprOp::kScan) return id;
    if (n.op == ExprOp::kInput || IsView(n.op) || IsAnchor(n.op)) return std::nullopt;
    for (int a : n.args) {
      if (auto r = FirstReduce(a, seen)) return r;
    }
    return std::nullopt;
  }

  // Row-level: a reduction, or computed from reductions and constants only.
  bool RowLevel(int id, const std::set<int>& region, std::map<int, bool>* memo) const {
    if (auto it = memo->find(id); it != memo->end()) return it->second;
    const ExprNode& n = Node(id);
    bool row = false;
    if (!region.contains(id)) row = false;
    else if (n.op == ExprOp::kRowIndex || n.op == ExprOp::kOutIndex || n.op == ExprOp::kDotSize) {
      row = false;
    }
    else if (n.op == ExprOp::kReduce || n.op == ExprOp::kConst || n.op == ExprOp::kRowSize) row = true;
    else {
      row = true;
      for (int a : n.args) row = row && RowLevel(a, region, memo);
    }
    (*memo)[id] = row;
    return row;
  }

  Result<int> BuildRegion(int root) {
    std::set<int> seen;
    std::optional<int> reduce = FirstReduce(root, &seen);
    std::optional<Domain> domain;
    if (reduce) domain = DomainOf(*reduce);
    if (domain && !Contiguous(domain->axes)) {
      return UnsupportedError("the builtin model reduces over a run of adjacent dims; this task "
                              "reduces over dims " + AxesText(domain->axes) + " of " +
                              ShapeText(domain->shape));
    }
    std::set<int> region, boundary;
    Collect(root, domain, &region, &boundary);
    if (boundary.contains(root) && !IsView(Node(root).op) && Node(root).op != ExprOp::kInput) {
      return InternalError("the partitioner found no launch for a node it must compute");
    }
    std::map<int, bool> memo;
    if (domain && Type(root).shape != domain->shape && !RowLevel(root, region, &memo)) {
      // The result is neither the domain's nor its rows': the reductions are read as
      // intermediates by a pointwise launch (batch_norm's normalisation).
      domain.reset();
      region.clear();
      boundary.clear();
      memo.clear();
      Collect(root, domain, &region, &boundary);
    }
    for (int id : region) {
      if (Node(id).op == ExprOp::kFlip) {
        return UnsupportedError("the builtin model follows flip only around a cumsum or "
                                "cumprod along the same dim");
      }
      if (Node(id).op == ExprOp::kScan && Type(root).shape != domain->shape) {
        return UnsupportedError("a scan's result is reduced or broadcast further; the builtin "
                                "model plans scans whose launch writes the scanned shape");
      }
    }
    if (Node(root).op == ExprOp::kInput || IsView(Node(root).op)) boundary.insert(root);
    // A full-level node may read a reduction only in its keepdim form: without the kept
    // dims, broadcasting lines the reduced values up with other dims than the row's.
    for (int id : region) {
      if (RowLevel(id, region, &memo)) continue;
      for (int a : Node(id).args) {
        if (Node(a).op == ExprOp::kReduce && region.contains(a) && !ReduceOf(Node(a)).keepdim) {
          return UnsupportedError("a reduction without keepdim is broadcast back against its "
                                  "input; the builtin model cannot plan that");
        }
      }
    }
    // A pointwise chain over one matmul's or pool's result, read nowhere else, is its
    // epilogue.
    if (!domain) {
      std::vector<int> anchors;
      for (int b : boundary) {
        if (IsAnchor(Node(b).op)) anchors.push_back(b);
      }
      if (anchors.size() == 1 && Type(anchors[0]).shape == Type(root).shape &&
          UsesInside(anchors[0], region) && !done_.contains(anchors[0])) {
        return BuildAnchor(anchors[0], root, region);
      }
    }
    for (int id : region) {
      if (Node(id).op == ExprOp::kOutIndex || Node(id).op == ExprOp::kDotSize) {
        return UnsupportedError("the builtin model writes triu, tril and attention's scale of a "
                                "matmul's result only (its epilogue knows the row, column and K)");
      }
    }
    Launch launch;
    launch.kind = domain ? PlanKind::kRow : PlanKind::kPointwise;
    launch.out = Type(root);
    launch.output_dtype = Type(root).dtype;
    std::map<int, int> copied;
    AKG_ASSIGN_OR_RETURN(launch.expr.output, Copy(root, region, &launch, &copied));
    if (domain) {
      AKG_RETURN_IF_ERROR(FillRow(root, *domain, region, &launch, &memo));
    }
    if (!domain) {
      for (const ExprNode& n : launch.expr.nodes) {
        if (n.op == ExprOp::kRowSize || n.op == ExprOp::kRowIndex) {
          return UnsupportedError("a count of reduced elements is used away from its reduction");
        }
      }
    }
    launches_.push_back(std::move(launch));
    return static_cast<int>(launches_.size()) - 1;
  }

  Status FillRow(int root, const Domain& domain, const std::set<int>& region, Launch* launch,
                 std::map<int, bool>* memo) {
    RowPlan& row = launch->row;
    row.rank = static_cast<int>(domain.shape.size());
    row.axis_begin = domain.axes.front();
    row.axis_end = domain.axes.back() + 1;
    const std::vector<int64_t>& out = Type(root).shape;
    if (out == domain.shape && !RowLevel(root, region, memo)) {
      row.full_output = true;
    } else if (RowLevel(root, region, memo)) {
      std::vector<int64_t> kept, dropped;
      for (int d = 0; d < row.rank; ++d) {
        bool reduced = d >= row.axis_begin && d < row.axis_end;
        kept.push_back(reduced ? 1 : domain.shape[static_cast<size_t>(d)]);
        if (!reduced) dropped.push_back(domain.shape[static_cast<size_t>(d)]);
      }
      if (out == kept) row.keepdim = true;
      else if (out != dropped) {
        return UnsupportedError("the result " + ShapeText(out) + " of a reduction over " +
                                ShapeText(domain.shape) + " is neither its reduced nor its full "
                                "shape; the builtin model cannot plan that");
      }
    } else {
      return UnsupportedError("the result " + ShapeText(out) + " mixes a row reduction over " +
                              ShapeText(domain.shape) + " with values of another shape");
    }
    for (const PlanOperand& op : launch->operands) {
      auto b = Broadcast(op.type.shape, domain.shape);
      if (!b.ok() || *b != domain.shape) {
        return UnsupportedError("operand " + ShapeText(op.type.shape) + " is larger than the "
                                "reduction's domain " + ShapeText(domain.shape));
      }
    }
    row.stages = Stage(launch->expr, launch->expr.output);
    for (const ExprNode& n : launch->expr.nodes) {
      if (n.op != ExprOp::kRowSize && n.op != ExprOp::kRowIndex) continue;
      std::vector<int> axes;
      for (size_t i = 1; i < n.params.size(); ++i) axes.push_back(static_cast<int>(n.params[i]));
      if (static_cast<int>(n.params[0]) != row.rank || axes != domain.axes) {
        return UnsupportedError(n.op == ExprOp::kRowSize
                                    ? "a count of reduced elements is used away from its reduction"
                                    : "an index along a row is used away from its reduction");
      }
    }
    return Status::Ok();
  }

  // The reduction depth of a node of a launch's expression.
  static int Stage(const ElementwiseGraph& g, int id) {
    const ExprNode& n = g.nodes[static_cast<size_t>(id)];
    int s = 0;
    for (int a : n.args) s = std::max(s, Stage(g, a));
    return n.op == ExprOp::kReduce ? s + 1 : s;
  }

  bool UsesInside(int id, const std::set<int>& region) const {
    int inside = 0;
    for (int r : region) {
      for (int a : Node(r).args) inside += a == id;
    }
    return inside == uses_[static_cast<size_t>(id)];
  }

  // Copies a region node into the launch's expression; boundary nodes become operands.
  Result<int> Copy(int id, const std::set<int>& region, Launch* launch, std::map<int, int>* copied,
                   int acc = -1) {
    if (auto it = copied->find(id); it != copied->end()) return it->second;
    auto add = [&](ExprNode node) {
      launch->expr.nodes.push_back(std::move(node));
      return static_cast<int>(launch->expr.nodes.size()) - 1;
    };
    int out = -1;
    if (id == acc) {
      out = add({ExprOp::kAcc, {}, {}, -1});
    } else if (!region.contains(id)) {
      AKG_ASSIGN_OR_RETURN(PlanOperand op, OperandOf(id));
      int k = static_cast<int>(launch->operands.size());
      launch->operands.push_back(std::move(op));
      out = add({ExprOp::kInput, {}, {}, k});
    } else {
      const ExprNode& n = Node(id);
      std::vector<int> args;
      for (int a : n.args) {
        AKG_ASSIGN_OR_RETURN(int c, Copy(a, region, launch, copied, acc));
        args.push_back(c);
      }
      // The DAG's nodes are hash-consed already: a copy keeps them unique.
      out = add({n.op, std::move(args), n.params, -1});
    }
    (*copied)[id] = out;
    return out;
  }

  // A matmul or pool launch (an anchor), with `root` its epilogue's result (-1: none).
  Result<int> BuildAnchor(int mm, int root, const std::set<int>& epilogue) {
    const ExprNode& n = Node(mm);
    Launch launch;
    if (n.op == ExprOp::kPool) {
      launch.kind = PlanKind::kPool;
      launch.pool = PoolOf(n);
      AKG_ASSIGN_OR_RETURN(PlanOperand x, OperandOf(n.args[0]));
      launch.operands = {x};
    } else if (n.op == ExprOp::kConv) {
      launch.kind = PlanKind::kConv;
      launch.conv = ConvOf(n);
      AKG_ASSIGN_OR_RETURN(PlanOperand x, OperandOf(n.args[0]));
      AKG_ASSIGN_OR_RETURN(PlanOperand w, OperandOf(n.args[1]));
      const std::vector<int64_t>& ws = w.type.shape;
      launch.conv.kernel.assign(ws.end() - launch.conv.dims, ws.end());
      launch.operands = {x, w};
    } else {
      launch.kind = PlanKind::kMatmul;
      AKG_ASSIGN_OR_RETURN(PlanOperand a, OperandOf(n.args[0]));
      AKG_ASSIGN_OR_RETURN(PlanOperand b, OperandOf(n.args[1]));
      const std::vector<int64_t>& as = a.type.shape;
      const std::vector<int64_t>& bs = b.type.shape;
      MatmulPlan& p = launch.mm;
      p.a_vector = as.size() == 1;
      p.b_vector = bs.size() == 1;
      p.m = p.a_vector ? 1 : as[as.size() - 2];
      p.k = as.back();
      p.n = p.b_vector ? 1 : bs.back();
      for (int64_t d : Type(mm).shape) p.batch *= d;
      p.batch /= std::max<int64_t>(1, (p.a_vector ? 1 : p.m) * (p.b_vector ? 1 : p.n));
      launch.operands = {a, b};
    }
    size_t anchor_operands = launch.operands.size();
    for (int id : epilogue) {
      bool matmul_only = Node(id).op == ExprOp::kOutIndex || Node(id).op == ExprOp::kDotSize;
      if (matmul_only && launch.kind != PlanKind::kMatmul) {
        return UnsupportedError("the builtin model writes triu, tril and attention's scale of a "
                                "matmul's result only (its epilogue knows the row, column and K)");
      }
    }
    int out_id = root < 0 ? mm : root;
    launch.out = Type(out_id);
    launch.output_dtype = Type(out_id).dtype;
    std::map<int, int> copied;
    if (root < 0) {
      launch.expr.nodes.push_back({ExprOp::kAcc, {}, {}, -1});
      launch.expr.output = 0;
    } else {
      std::set<int> region = epilogue;
      region.insert(mm);
      AKG_ASSIGN_OR_RETURN(launch.expr.output, Copy(root, region, &launch, &copied, mm));
      for (size_t k = anchor_operands; k < launch.operands.size(); ++k) {
        auto bc = Broadcast(launch.operands[k].type.shape, launch.out.shape);
        if (!bc.ok() || *bc != launch.out.shape) {
          return UnsupportedError(std::string("the ") + PlanKindName(launch.kind) +
                                  "'s epilogue reads a tensor larger than its result");
        }
      }
      done_[root] = static_cast<int>(launches_.size());
    }
    done_[mm] = static_cast<int>(launches_.size());
    launches_.push_back(std::move(launch));
    return static_cast<int>(launches_.size()) - 1;
  }

  static std::string AxesText(const std::vector<int>& axes) {
    std::string s;
    for (int a : axes) s += (s.empty() ? "" : ", ") + std::to_string(a);
    return "[" + s + "]";
  }

  const PlanDag& dag_;
  std::vector<int> uses_;
  std::map<int, int> done_;  // DAG node -> the launch that computes it
  std::map<int, std::optional<Domain>> row_domain_;  // RowDomainOf's answers
  std::vector<Launch> launches_;
};

}  // namespace

Result<TensorType> InferNodeType(const ElementwiseGraph& g, int id,
                                 const std::vector<TensorType>& types,
                                 const std::vector<PlanOperand>& leaves) {
  const ExprNode& n = g.nodes[static_cast<size_t>(id)];
  auto arg = [&](size_t k) -> const TensorType& { return types[static_cast<size_t>(n.args[k])]; };
  switch (n.op) {
    case ExprOp::kInput: return leaves[static_cast<size_t>(n.input)].type;
    case ExprOp::kConst:
    case ExprOp::kRowIndex:
    case ExprOp::kOutIndex:
    case ExprOp::kDotSize:
    case ExprOp::kRowSize:
    case ExprOp::kAcc: return TensorType{{}, "float32"};
    case ExprOp::kReduce: {
      ReduceInfo r = ReduceOf(n);
      TensorType t = arg(0);
      std::vector<int64_t> shape;
      for (int d = 0; d < static_cast<int>(t.shape.size()); ++d) {
        bool reduced = std::find(r.axes.begin(), r.axes.end(), d) != r.axes.end();
        if (!reduced) shape.push_back(t.shape[static_cast<size_t>(d)]);
        else if (r.keepdim) shape.push_back(1);
      }
      t.shape = shape;
      if (r.combiner == ReduceCombiner::kArgMax || r.combiner == ReduceCombiner::kArgMin) {
        t.dtype = "int64";
      }
      return t;
    }
    case ExprOp::kUnsqueeze: {
      TensorType t = arg(0);
      int rank = static_cast<int>(t.shape.size());
      int d = static_cast<int>(n.params[0]);
      if (d < 0) d += rank + 1;
      if (d < 0 || d > rank) return InputError("unsqueeze: dim out of range");
      t.shape.insert(t.shape.begin() + d, 1);
      return t;
    }
    case ExprOp::kScan:
    case ExprOp::kFlip: return arg(0);
    case ExprOp::kUnflatten: {
      TensorType t = arg(0);
      int d = static_cast<int>(n.params[0]);
      int64_t size = static_cast<int64_t>(n.params[1]);
      if (d < 0 || d >= static_cast<int>(t.shape.size()) || size <= 0 ||
          t.shape[static_cast<size_t>(d)] % size != 0) {
        return UnsupportedError("unflatten of " + ShapeText(t.shape));
      }
      int64_t rest = t.shape[static_cast<size_t>(d)] / size;
      t.shape[static_cast<size_t>(d)] = rest;
      t.shape.insert(t.shape.begin() + d, size);
      return t;
    }
    case ExprOp::kFlatten: {
      TensorType t = arg(0);
      int a = static_cast<int>(n.params[0]), e = static_cast<int>(n.params[1]);
      if (a < 0 || e < a || e >= static_cast<int>(t.shape.size())) {
        return UnsupportedError("flatten of " + ShapeText(t.shape));
      }
      int64_t merged = 1;
      for (int d = a; d <= e; ++d) merged *= t.shape[static_cast<size_t>(d)];
      t.shape.erase(t.shape.begin() + a, t.shape.begin() + e + 1);
      t.shape.insert(t.shape.begin() + a, merged);
      return t;
    }
    case ExprOp::kTranspose: {
      TensorType t = arg(0);
      if (t.shape.size() >= 2) std::swap(t.shape[t.shape.size() - 1], t.shape[t.shape.size() - 2]);
      return t;
    }
    case ExprOp::kConv: {
      TensorType t = arg(0);
      AKG_ASSIGN_OR_RETURN(t.shape, ConvShape(ConvOf(n), t.shape, arg(1).shape));
      t.dtype = Promote(t.dtype, arg(1).dtype);
      return t;
    }
    case ExprOp::kPool: {
      TensorType t = arg(0);
      AKG_ASSIGN_OR_RETURN(t.shape, PoolShape(PoolOf(n), t.shape));
      return t;
    }
    case ExprOp::kMatmul: {
      const TensorType& a = arg(0);
      const TensorType& b = arg(1);
      std::vector<int64_t> as = a.shape, bs = b.shape;
      bool av = as.size() == 1, bv = bs.size() == 1;
      if (av) as.insert(as.begin(), 1);
      if (bv) bs.push_back(1);
      if (as.back() != bs[bs.size() - 2]) {
        return UnsupportedError("matmul of " + ShapeText(a.shape) + " and " + ShapeText(b.shape));
      }
      AKG_ASSIGN_OR_RETURN(std::vector<int64_t> batch,
                           Broadcast(std::vector<int64_t>(as.begin(), as.end() - 2),
                                     std::vector<int64_t>(bs.begin(), bs.end() - 2)));
      if (!av) batch.push_back(as[as.size() - 2]);
      if (!bv) batch.push_back(bs.back());
      return TensorType{batch, Promote(a.dtype, b.dtype)};
    }
    default: break;
  }
  TensorType t = arg(0);
  for (size_t k = 1; k < n.args.size(); ++k) {
    AKG_ASSIGN_OR_RETURN(t.shape, Broadcast(t.shape, arg(k).shape));
    bool k_const = g.nodes[static_cast<size_t>(n.args[k])].op == ExprOp::kConst;
    if (!k_const) t.dtype = Promote(t.dtype, arg(k).dtype);
  }
  // Arithmetic on an index or a mask: a float result.
  if (t.dtype == "int64" || t.dtype == "bool") t.dtype = "float32";
  return t;
}

const char* PlanKindName(PlanKind kind) {
  switch (kind) {
    case PlanKind::kPointwise: return "pointwise";
    case PlanKind::kRow: return "row";
    case PlanKind::kMatmul: return "matmul";
    case PlanKind::kPool: return "pool";
    case PlanKind::kConv: return "conv";
  }
  return "?";
}

Result<KernelProgram> PlanProgram(const OpGraph& graph) {
  AKG_ASSIGN_OR_RETURN(PlanDag dag, LowerToDag(graph));
  KernelProgram p;
  AKG_ASSIGN_OR_RETURN(p.launches, Partitioner(dag).Run(&p.result_views));
  for (const OpNode* in : graph.Placeholders(NodeRole::kInput)) {
    p.forward_args.push_back({in->name, in->type ? in->type->shape : std::vector<int64_t>(),
                              in->type ? in->type->dtype : "float32"});
  }
  GraphTraffic t = graph.Traffic();
  p.flops = t.flops;
  p.min_bytes = t.min_bytes;
  p.eager_kernels = t.eager_kernels;
  return p;
}

std::string DescribeLaunch(const Launch& launch) {
  std::string what = FormatExpression(launch.expr);
  switch (launch.kind) {
    case PlanKind::kPointwise:
      return "pointwise: " + what + " over " + ShapeText(launch.out.shape);
    case PlanKind::kRow: {
      const RowPlan& r = launch.row;
      std::string dims;
      for (int d = r.axis_begin; d < r.axis_end; ++d) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
      bool scan = what.find("cumsum") != std::string::npos || what.find("cumprod") != std::string::npos;
      return fmt::format("row ({}): {} along dims [{}] of a rank-{} domain, {} stage{}, {} output {}",
                         scan ? "scan" : r.full_output ? "normalize" : "reduce", what, dims, r.rank, r.stages,
                         r.stages == 1 ? "" : "s", r.full_output ? "full" : "reduced",
                         ShapeText(launch.out.shape));
    }
    case PlanKind::kMatmul:
      return fmt::format("matmul: [{} x {}] @ [{} x {}] (batch {}), epilogue {}", launch.mm.m,
                         launch.mm.k, launch.mm.k, launch.mm.n, launch.mm.batch, what);
    case PlanKind::kConv: {
      const ConvPlan& p = launch.conv;
      return fmt::format("conv: {}{}-d, kernel {} stride {} padding {} dilation {} groups {}, "
                         "{} to {}, epilogue {}", p.transposed ? "transposed " : "", p.dims,
                         ShapeText(p.kernel), ShapeText(p.stride), ShapeText(p.padding),
                         ShapeText(p.dilation), p.groups, ShapeText(launch.operands[0].type.shape),
                         ShapeText(launch.out.shape), what);
    }
    case PlanKind::kPool: {
      const PoolPlan& p = launch.pool;
      auto list = [](const std::vector<int64_t>& v) { return ShapeText(v); };
      return fmt::format("pool: {} {}-d window {} stride {} padding {} dilation {}{}{} of {} "
                         "to {}, epilogue {}", p.max ? "max" : "average", p.dims, list(p.kernel),
                         list(p.stride), list(p.padding), list(p.dilation),
                         p.ceil_mode ? ", ceil_mode" : "",
                         !p.max && !p.count_include_pad ? ", padding not counted" : "",
                         ShapeText(launch.operands[0].type.shape), ShapeText(launch.out.shape), what);
    }
  }
  return what;
}

std::vector<std::string> ProgramStatePaths(const KernelProgram& program) {
  std::vector<std::string> paths;
  for (const Launch& l : program.launches) {
    for (const PlanOperand& op : l.operands) {
      if (!op.path.empty() && std::find(paths.begin(), paths.end(), op.path) == paths.end()) {
        paths.push_back(op.path);
      }
    }
  }
  return paths;
}

}  // namespace akg
