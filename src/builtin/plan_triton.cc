// EmitTritonProgram: one @triton.jit kernel and one launcher per launch of a KernelProgram.
//
// Row kernels (Reduce, Normalize; a Pointwise launch is a row kernel without reductions
// whose row is the last dim) see their domain as [outer, R, inner]: a program takes
// BLOCK_ROWS rows (row = o * inner + i) as a [BLOCK_ROWS, BLOCK_R] tile. When a row fits in
// one tile (SINGLE) every value stays in registers: one read and one write of memory.
// Otherwise each reduction stage loops over the row, and a full output is written by one more
// loop. A one-stage reduction to few rows is split over the row (PHASE 1 partial results,
// PHASE 2 their reduction), so a whole-tensor sum or loss fills the GPU.
//
// Matmul kernels are tiled tl.dot kernels over [batch, M, N] (grouped program order for L2
// reuse), float32 accumulation (float32 operands at the launch's "dot" tunable: tf32x3 by
// default, three TF32 tensor-core passes that keep float32's accuracy, or ieee), the epilogue
// evaluated on the accumulator tile before the one store.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "builtin/expr_emit.h"
#include "builtin/plan_emit.h"
#include "builtin/plan_tunables.h"
#include "builtin/python_glue.h"
#include "builtin/triton_codegen.h"

namespace akg {
namespace {

constexpr const char* kJitHelpers = R"PY(
@triton.jit
def _akg_add(a, b):
    return a + b


@triton.jit
def _akg_mul(a, b):
    return a * b


@triton.jit
def _akg_max(a, b):
    # NaN wins, as in torch.amax.
    return tl.where((a > b) | (a != a), a, b)


@triton.jit
def _akg_min(a, b):
    return tl.where((a < b) | (a != a), a, b)


@triton.jit
def _akg_argmax(v1, i1, v2, i2):
    # The larger value (NaN counts as the largest), the first index on ties.
    nan1 = v1 != v1
    nan2 = v2 != v2
    same = (v1 == v2) | (nan1 & nan2)
    pick1 = (v1 > v2) | (nan1 & ~nan2) | (same & (i1 < i2))
    return tl.where(pick1, v1, v2), tl.where(pick1, i1, i2)


@triton.jit
def _akg_argmin(v1, i1, v2, i2):
    nan1 = v1 != v1
    nan2 = v2 != v2
    same = (v1 == v2) | (nan1 & nan2)
    pick1 = (v1 < v2) | (nan1 & ~nan2) | (same & (i1 < i2))
    return tl.where(pick1, v1, v2), tl.where(pick1, i1, i2)
)PY";

const char* Identity(ReduceCombiner c) {
  switch (c) {
    case ReduceCombiner::kProd: return "1.0";
    case ReduceCombiner::kMax:
    case ReduceCombiner::kArgMax: return "float(\"-inf\")";
    case ReduceCombiner::kMin:
    case ReduceCombiner::kArgMin: return "float(\"inf\")";
    default: return "0.0";
  }
}

const char* CombineFn(ReduceCombiner c) {
  switch (c) {
    case ReduceCombiner::kProd: return "_akg_mul";
    case ReduceCombiner::kMax: return "_akg_max";
    case ReduceCombiner::kMin: return "_akg_min";
    case ReduceCombiner::kArgMax: return "_akg_argmax";
    case ReduceCombiner::kArgMin: return "_akg_argmin";
    default: return "_akg_add";
  }
}

// Lines of Python at one indentation.
class RowKernel {
 public:
  RowKernel(const Launch& launch, size_t index, bool splittable)
      : l_(launch), k_(index), s_(ScheduleRow(launch)), splittable_(splittable) {
    for (int id : s_.live) {
      if (l_.expr.nodes[static_cast<size_t>(id)].op == ExprOp::kReduce) reduces_.push_back(id);
    }
  }

  std::string Source() {
    EmitCode c;
    int ops = static_cast<int>(l_.operands.size());
    std::string params = "out_ptr";
    for (int k = 0; k < ops; ++k) params += fmt::format(", in{}_ptr", k);
    params += ", rows, R, inner, n_red";
    for (int k = 0; k < ops; ++k) params += fmt::format(", st{0}_o, st{0}_r, st{0}_i", k);
    params += ", part_ptr, splits, chunk, BLOCK_ROWS: tl.constexpr, BLOCK_R: tl.constexpr, "
              "SINGLE: tl.constexpr, PHASE: tl.constexpr, WIDE: tl.constexpr, INNER: tl.constexpr";
    c.Line(0, "@triton.jit");
    c.Line(0, fmt::format("def _akg{}_kernel({}):", k_, params));
    // With inner dims (a reduction over a middle dim) a program takes one o and a run of
    // consecutive i: its loads are contiguous along the rows, which the compiler can see.
    c.Line(1, "if INNER:");
    c.Line(2, "nib = tl.cdiv(inner, BLOCK_ROWS)");
    c.Line(2, "o = tl.program_id(0) // nib");
    c.Line(2, "i = (tl.program_id(0) % nib) * BLOCK_ROWS + tl.arange(0, BLOCK_ROWS)[:, None]");
    c.Line(2, "if WIDE:");
    c.Line(3, "o = o.to(tl.int64)");
    c.Line(3, "i = i.to(tl.int64)");
    c.Line(2, "rmask = i < inner");
    c.Line(2, "row = o * inner + i");
    c.Line(1, "else:");
    c.Line(2, "row = tl.program_id(0) * BLOCK_ROWS + tl.arange(0, BLOCK_ROWS)[:, None]");
    c.Line(2, "if WIDE:");
    c.Line(3, "row = row.to(tl.int64)");
    c.Line(2, "rmask = row < rows");
    c.Line(2, "o = row");
    c.Line(2, "i = 0");
    for (int k = 0; k < ops; ++k) c.Line(1, fmt::format("b{0} = o * st{0}_o + i * st{0}_i", k));
    if (splittable_) {
      c.Line(1, "if PHASE == 1:");
      Partial(c, 2);
      c.Line(1, "elif PHASE == 2:");
      Finish(c, 2);
      c.Line(1, "else:");
      Whole(c, 2);
    } else {
      Whole(c, 1);
    }
    return c.text;
  }

 private:
  const ExprNode& Node(int id) const { return l_.expr.nodes[static_cast<size_t>(id)]; }
  bool Row(int id) const { return s_.row_level[static_cast<size_t>(id)]; }

  std::string Name(int id) const {
    const ExprNode& n = Node(id);
    if (n.op == ExprOp::kConst) return PyFloatLiteral(n.params[0]);
    if (n.op == ExprOp::kRowSize) return "n_red";
    if (n.op == ExprOp::kInput) return fmt::format("v{}", n.input);
    return fmt::format("t{}", id);
  }

  // r and m for a tile of the row starting at `start`.
  void Tile(EmitCode& c, int in, const std::string& start, const std::string& limit) const {
    c.Line(in, "r = " + start + " + tl.arange(0, BLOCK_R)[None, :]");
    c.Line(in, "if WIDE:");
    c.Line(in + 1, "r = r.to(tl.int64)");
    c.Line(in, "m = rmask & (r < " + limit + ")");
  }

  // Loads and per-element nodes (in order) that `roots` need, then nothing else.
  void Elements(EmitCode& c, int in, const std::vector<int>& roots,
                std::set<int>* emitted = nullptr) const {
    std::vector<int> nodes;
    for (int id : ElementNodesFor(l_, s_, roots)) {
      if (emitted == nullptr || emitted->insert(id).second) nodes.push_back(id);
    }
    std::map<int, std::string> names;  // every name is fixed: t<id>, v<k> or a literal
    for (int id : s_.live) names[id] = Name(id);
    for (int id : nodes) {
      const ExprNode& n = Node(id);
      if (n.op == ExprOp::kInput) {
        c.Line(in, fmt::format("v{0} = tl.load(in{0}_ptr + b{0} + r * st{0}_r, mask=m, "
                               "other=0.0).to(tl.float32)", n.input));
      }
    }
    for (int id : nodes) {
      const ExprNode& n = Node(id);
      if (n.op == ExprOp::kInput || n.op == ExprOp::kConst || n.op == ExprOp::kRowSize) continue;
      if (n.op == ExprOp::kScan) {
        Scan(c, in, id);
        continue;
      }
      std::vector<std::string> lines;
      EmitNode(l_.expr, id, EmitDsl::kTriton, names, &lines);
      for (const std::string& line : lines) c.Line(in, line);
    }
  }

  // A scan over this tile; in a looped pass the earlier tiles' total is carried in.
  void Scan(EmitCode& c, int in, int id) const {
    const ExprNode& n = Node(id);
    bool prod = static_cast<int>(n.params[0]) == static_cast<int>(ReduceCombiner::kProd);
    std::string x = fmt::format("tl.where(m, {}, {})", Name(n.args[0]), prod ? "1.0" : "0.0");
    std::string rev = n.params[1] != 0 ? "True" : "False";
    std::string scan = fmt::format("tl.{}({}, axis=1, reverse={})", prod ? "cumprod" : "cumsum", x, rev);
    if (!looped_) {
      c.Line(in, Name(id) + " = " + scan);
      return;
    }
    c.Line(in, fmt::format("{} = {} {} carry{}", Name(id), scan, prod ? "*" : "+", id));
    c.Line(in, fmt::format("carry{0} = carry{0} {1} {2}", id, prod ? "*" : "+",
                           prod ? "tl.reduce(" + x + ", 1, _akg_mul, keep_dims=True)"
                                : "tl.sum(" + x + ", axis=1, keep_dims=True)"));
  }

  // Row-level nodes that are not reductions, with stage == `stage`.
  void RowNodes(EmitCode& c, int in, int stage) const {
    std::map<int, std::string> names;
    for (int id : s_.live) names[id] = Name(id);
    for (int id : s_.live) {
      const ExprNode& n = Node(id);
      if (!Row(id) || n.op == ExprOp::kReduce || n.op == ExprOp::kConst ||
          n.op == ExprOp::kRowSize || s_.stage[static_cast<size_t>(id)] != stage) {
        continue;
      }
      std::vector<std::string> lines;
      EmitNode(l_.expr, id, EmitDsl::kTriton, names, &lines);
      for (const std::string& line : lines) c.Line(in, line);
    }
  }

  std::vector<int> StageReduces(int stage) const {
    std::vector<int> out;
    for (int id : reduces_) {
      if (s_.stage[static_cast<size_t>(id)] == stage) out.push_back(id);
    }
    return out;
  }

  std::string Masked(int id, ReduceCombiner comb) const {
    return fmt::format("tl.where(m, {}, {})", Name(Node(id).args[0]), Identity(comb));
  }

  // The reduction of a whole [BLOCK_ROWS, BLOCK_R] tile `tile` (and index tile) to [.., 1].
  std::string Final(int id, const std::string& tile, const std::string& index) const {
    ReduceCombiner comb = CombinerOf(Node(id));
    if (IsArg(comb)) {
      return fmt::format("tl.reduce(({}, {}), 1, {}, keep_dims=True)[1]", tile, index,
                         CombineFn(comb));
    }
    std::string r = comb == ReduceCombiner::kSum || comb == ReduceCombiner::kMean
                        ? fmt::format("tl.sum({}, axis=1, keep_dims=True)", tile)
                        : fmt::format("tl.reduce({}, 1, {}, keep_dims=True)", tile, CombineFn(comb));
    return comb == ReduceCombiner::kMean ? r + " / n_red" : r;
  }

  void Store(EmitCode& c, int in, bool full) const {
    std::string v = Name(l_.expr.output);
    if (full) {
      c.Line(in, "tl.store(out_ptr + (o * R + r) * inner + i, (" + v +
                     " + tl.zeros([BLOCK_ROWS, BLOCK_R], tl.float32)).to(out_ptr.dtype.element_ty), mask=m)");
    } else {
      c.Line(in, "tl.store(out_ptr + row, " + v + ".to(out_ptr.dtype.element_ty), mask=rmask)");
    }
  }

  // PHASE 0: the whole row in one program.
  void Whole(EmitCode& c, int in) const {
    RowNodes(c, in, 0);
    bool full = l_.row.full_output || l_.kind == PlanKind::kPointwise;
    c.Line(in, "if SINGLE:");
    Tile(c, in + 1, "0", "R");
    std::set<int> emitted;  // the row is loaded once and every value kept in registers
    for (int stage = 1; stage <= s_.stages; ++stage) {
      std::vector<int> reduces = StageReduces(stage);
      std::vector<int> args;
      for (int id : reduces) args.push_back(Node(id).args[0]);
      Elements(c, in + 1, args, &emitted);
      for (int id : reduces) {
        c.Line(in + 1, Name(id) + " = " + Final(id, Masked(id, CombinerOf(Node(id))),
                                               "tl.where(m, r.to(tl.int64) + tl.zeros([BLOCK_ROWS, "
                                               "BLOCK_R], tl.int64), 2**62)"));
      }
      RowNodes(c, in + 1, stage);
    }
    if (full) {
      Elements(c, in + 1, {l_.expr.output}, &emitted);
    }
    Store(c, in + 1, full);
    c.Line(in, "else:");
    for (int stage = 1; stage <= s_.stages; ++stage) Loop(c, in + 1, stage, "0", "R", "R");
    if (full) {
      looped_ = true;
      for (int id : s_.live) {
        const ExprNode& n = Node(id);
        if (n.op != ExprOp::kScan) continue;
        bool prod = static_cast<int>(n.params[0]) == static_cast<int>(ReduceCombiner::kProd);
        c.Line(in + 1, fmt::format("carry{} = tl.full([BLOCK_ROWS, 1], {}, tl.float32)", id,
                                   prod ? "1.0" : "0.0"));
      }
      if (s_.scan_reverse) {  // the carry runs from the row's end
        c.Line(in + 1, "for j in range(0, tl.cdiv(R, BLOCK_R)):");
        c.Line(in + 2, "r0 = (tl.cdiv(R, BLOCK_R) - 1 - j) * BLOCK_R");
      } else {
        c.Line(in + 1, "for r0 in range(0, R, BLOCK_R):");
      }
      Tile(c, in + 2, "r0", "R");
      Elements(c, in + 2, {l_.expr.output});
      Store(c, in + 2, true);
      looped_ = false;
    } else {
      Store(c, in + 1, false);
    }
  }

  // One reduction stage as a loop over [start, end) of the row; the stage's reductions end
  // as [BLOCK_ROWS, 1] values, then the row-level nodes of the stage.
  void Loop(EmitCode& c, int in, int stage, const std::string& start, const std::string& end,
            const std::string& limit, bool raw = false) const {
    std::vector<int> reduces = StageReduces(stage);
    std::vector<int> args;
    for (int id : reduces) {
      ReduceCombiner comb = CombinerOf(Node(id));
      c.Line(in, fmt::format("acc{} = tl.full([BLOCK_ROWS, BLOCK_R], {}, tl.float32)", id,
                             Identity(comb)));
      if (IsArg(comb)) {
        c.Line(in, fmt::format("idx{} = tl.full([BLOCK_ROWS, BLOCK_R], 2**62, tl.int64)", id));
      }
      args.push_back(Node(id).args[0]);
    }
    c.Line(in, "for r0 in range(" + start + ", " + end + ", BLOCK_R):");
    Tile(c, in + 1, "r0", limit);
    Elements(c, in + 1, args);
    for (int id : reduces) {
      ReduceCombiner comb = CombinerOf(Node(id));
      if (IsArg(comb)) {
        c.Line(in + 1, fmt::format("acc{0}, idx{0} = {1}(acc{0}, idx{0}, {2}, "
                                   "tl.where(m, r.to(tl.int64), 2**62))",
                                   id, CombineFn(comb), Masked(id, comb)));
      } else {
        c.Line(in + 1, fmt::format("acc{0} = {1}(acc{0}, {2})", id, CombineFn(comb), Masked(id, comb)));
      }
    }
    if (raw) return;
    for (int id : reduces) c.Line(in, Name(id) + " = " + Final(id, fmt::format("acc{}", id), fmt::format("idx{}", id)));
    RowNodes(c, in, stage);
  }

  // PHASE 1: this program's chunk of the row, each reduction's raw value to part_ptr.
  void Partial(EmitCode& c, int in) const {
    RowNodes(c, in, 0);
    c.Line(in, "lo = tl.program_id(1) * chunk");
    Loop(c, in, 1, "lo", "lo + chunk", "tl.minimum(R, lo + chunk)", true);
    int j = 0;
    for (int id : reduces_) {
      ReduceCombiner comb = CombinerOf(Node(id));
      std::string raw = comb == ReduceCombiner::kSum || comb == ReduceCombiner::kMean
                            ? fmt::format("tl.sum(acc{}, axis=1, keep_dims=True)", id)
                            : fmt::format("tl.reduce(acc{}, 1, {}, keep_dims=True)", id, CombineFn(comb));
      c.Line(in, fmt::format("tl.store(part_ptr + ({} * rows + row) * splits + tl.program_id(1), "
                             "{}, mask=rmask)", j++, raw));
    }
  }

  // PHASE 2: the partial values of each row (BLOCK_R >= splits), then the row's result.
  void Finish(EmitCode& c, int in) const {
    c.Line(in, "r = tl.arange(0, BLOCK_R)[None, :]");
    c.Line(in, "m = rmask & (r < splits)");
    RowNodes(c, in, 0);
    int j = 0;
    for (int id : reduces_) {
      ReduceCombiner comb = CombinerOf(Node(id));
      std::string tile = fmt::format("tl.load(part_ptr + ({} * rows + row) * splits + r, mask=m, "
                                     "other={})", j++, Identity(comb));
      c.Line(in, Name(id) + " = " + Final(id, tile, ""));
    }
    RowNodes(c, in, 1);
    Store(c, in, false);
  }

  const Launch& l_;
  size_t k_;
  RowSchedule s_;
  bool splittable_;
  mutable bool looped_ = false;  // emitting the looped output pass (scans carry across tiles)
  std::vector<int> reduces_;
};

bool Splittable(const Launch& l) {
  if (l.kind != PlanKind::kRow || l.row.full_output || l.row.stages != 1) return false;
  return !ScheduleRow(l).has_arg_reduce;
}

std::string RowLauncher(const Launch& l, size_t k, const Json& tunables) {
  int nred = 0;
  for (const ExprNode& n : l.expr.nodes) nred += n.op == ExprOp::kReduce;
  std::string be = RowSplitSource(l);
  std::string out_shape = RowOutShapeSource(l);
  std::string dtype = l.output_dtype == "int64" ? "torch.int64" : "_dtype_of(ops)";
  int single_max = LaunchTunable(tunables, k, "single_max", 32768);
  int block_r = LaunchTunable(tunables, k, "block_r", 2048);
  int tile = LaunchTunable(tunables, k, "tile", 4096);
  return fmt::format(R"PY(
def _launch{0}(ops):
    shape = tuple(torch.broadcast_shapes(*[t.shape for t in ops]))
    b, e = {1}
    red, inner = _prod(shape[b:e]), _prod(shape[e:])
    rows = _prod(shape[:b]) * inner
    out = torch.empty({2}, dtype={3}, device=ops[0].device)
    if rows == 0 or out.numel() == 0:
        return out
    views = [_rows(t, shape, b, e) for t in ops]
    reach = max([out.numel()] + [sum((n - 1) * s for n, s in zip(shape, v.stride())) for v, _ in views])
    wide = reach + {5} >= 2**31
    args = [out] + [v for v, _ in views] + [rows, red, inner, float(red)]
    args += [s for _, st in views for s in st]
    has_inner = inner > 1
    if has_inner:
        # Short rows take more inner indices per program, so each program has work.
        rb = min(triton.next_power_of_2(max(red, 1)), 64)
        block_rows = min(triton.next_power_of_2(inner), max(16, {6} // rb))
        block_r = min(triton.next_power_of_2(max(red, 1)), max(1, {6} // block_rows))
        single = red <= block_r
    else:
        single = red <= {4}
        block_r = triton.next_power_of_2(max(red, 1)) if single else {5}
        block_rows = max(1, min(triton.next_power_of_2(rows), {6} // block_r))
    programs = _prod(shape[:b]) * triton.cdiv(inner, block_rows) if has_inner else triton.cdiv(rows, block_rows)
    warps = 4 if block_rows * block_r <= 2048 else (8 if block_rows * block_r <= 8192 else 16)
    splits = 1
    if SPLIT{0} and not has_inner and rows < 256 and red >= 8 * {5}:
        splits = min(1024, triton.cdiv(red, 4 * {5}))
        chunk = triton.cdiv(triton.cdiv(red, splits), {5}) * {5}
        splits = triton.cdiv(red, chunk)
    if splits > 1:
        part = torch.empty(({7}, rows, splits), dtype=torch.float32, device=out.device)
        br = max(1, min(triton.next_power_of_2(rows), {6} // {5}))
        _akg{0}_kernel[(triton.cdiv(rows, br), splits)](
            *args, part, splits, chunk, BLOCK_ROWS=br, BLOCK_R={5}, SINGLE=False, PHASE=1,
            WIDE=wide, INNER=False, num_warps=8)
        bs = triton.next_power_of_2(splits)
        br = max(1, min(triton.next_power_of_2(rows), 4096 // bs))
        _akg{0}_kernel[(triton.cdiv(rows, br),)](
            *args, part, splits, chunk, BLOCK_ROWS=br, BLOCK_R=bs, SINGLE=False, PHASE=2,
            WIDE=wide, INNER=False, num_warps=4)
    else:
        _akg{0}_kernel[(programs,)](
            *args, out, 1, 0, BLOCK_ROWS=block_rows, BLOCK_R=block_r, SINGLE=single, PHASE=0,
            WIDE=wide, INNER=has_inner, num_warps=warps)
    return out
)PY", k, be, out_shape, dtype, single_max, block_r, tile, std::max(nred, 1));
}

std::string MatmulKernel(const Launch& l, size_t k, const Json& tunables) {
  int ops = static_cast<int>(l.operands.size());
  std::string params = "c_ptr, a_ptr, b_ptr";
  for (int e = 2; e < ops; ++e) params += fmt::format(", e{}_ptr", e);
  params += ", M, N, K, s_ab, s_am, s_ak, s_bb, s_bk, s_bn";
  for (int e = 2; e < ops; ++e) params += fmt::format(", e{0}_b, e{0}_m, e{0}_n", e);
  params += ", BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, GROUP_M: tl.constexpr, "
            "F32: tl.constexpr, WIDE: tl.constexpr";
  EmitCode c;
  c.Line(0, "@triton.jit");
  c.Line(0, fmt::format("def _akg{}_kernel({}):", k, params));
  c.Line(1, "pid = tl.program_id(0)");
  c.Line(1, "bat = tl.program_id(1)");
  c.Line(1, "if WIDE:");
  c.Line(2, "bat = bat.to(tl.int64)");
  c.Line(1, "num_m = tl.cdiv(M, BM)");
  c.Line(1, "num_n = tl.cdiv(N, BN)");
  c.Line(1, "group = GROUP_M * num_n");
  c.Line(1, "first_m = (pid // group) * GROUP_M");
  c.Line(1, "size_m = tl.minimum(num_m - first_m, GROUP_M)");
  c.Line(1, "pm = first_m + (pid % group) % size_m");
  c.Line(1, "pn = (pid % group) // size_m");
  c.Line(1, "rm = pm * BM + tl.arange(0, BM)");
  c.Line(1, "rn = pn * BN + tl.arange(0, BN)");
  c.Line(1, "rk = tl.arange(0, BK)");
  c.Line(1, "if WIDE:");
  c.Line(2, "rm = rm.to(tl.int64)");
  c.Line(2, "rn = rn.to(tl.int64)");
  c.Line(1, "a_ptrs = a_ptr + bat * s_ab + rm[:, None] * s_am + rk[None, :] * s_ak");
  c.Line(1, "b_ptrs = b_ptr + bat * s_bb + rk[:, None] * s_bk + rn[None, :] * s_bn");
  c.Line(1, "acc = tl.zeros((BM, BN), dtype=tl.float32)");
  c.Line(1, "for k0 in range(0, K, BK):");
  c.Line(2, "kmask = rk + k0 < K");
  c.Line(2, "a = tl.load(a_ptrs, mask=(rm[:, None] < M) & kmask[None, :], other=0.0)");
  c.Line(2, "b = tl.load(b_ptrs, mask=kmask[:, None] & (rn[None, :] < N), other=0.0)");
  EmitTileDot(c, 2, tunables, k, kDefaultMatmulDot);
  c.Line(2, "a_ptrs += BK * s_ak");
  c.Line(2, "b_ptrs += BK * s_bk");
  c.Line(1, "cm = rm[:, None]");
  c.Line(1, "cn = rn[None, :]");
  c.Line(1, "cmask = (cm < M) & (cn < N)");
  std::map<int, std::string> names;
  for (int id : l.expr.LiveNodes()) {
    const ExprNode& n = l.expr.nodes[static_cast<size_t>(id)];
    if (n.op == ExprOp::kAcc) {
      names[id] = "acc";
    } else if (n.op == ExprOp::kOutIndex) {
      names[id] = n.params[0] == 1 ? "cn.to(tl.float32)" : "cm.to(tl.float32)";
    } else if (n.op == ExprOp::kDotSize) {
      names[id] = "(tl.zeros((BM, BN), dtype=tl.float32) + K)";
    } else if (n.op == ExprOp::kConst) {
      names[id] = PyFloatLiteral(n.params[0]);
    } else if (n.op == ExprOp::kInput) {
      c.Line(1, fmt::format("v{0} = tl.load(e{0}_ptr + bat * e{0}_b + cm * e{0}_m + cn * e{0}_n, "
                            "mask=cmask, other=0.0).to(tl.float32)", n.input));
      names[id] = fmt::format("v{}", n.input);
    } else {
      std::vector<std::string> lines;
      names[id] = EmitNode(l.expr, id, EmitDsl::kTriton, names, &lines);
      for (const std::string& line : lines) c.Line(1, line);
    }
  }
  c.Line(1, "tl.store(c_ptr + (bat * M + cm) * N + cn, (" + names[l.expr.output] +
                ").to(c_ptr.dtype.element_ty), mask=cmask)");
  return c.text;
}

std::string MatmulLauncher(const Launch& l, size_t k, const Json& tunables, bool conservative) {
  int bm = LaunchTunable(tunables, k, "bm", 128);
  int bn = LaunchTunable(tunables, k, "bn", 128);
  int bk = LaunchTunable(tunables, k, "bk", 32);
  int warps = LaunchTunable(tunables, k, "num_warps", 8);
  int stages = LaunchTunable(tunables, k, "num_stages", 3);
  if (conservative) {
    bm = std::min(bm, 64);
    bn = std::min(bn, 64);
    stages = 2;
  }
  std::string dtype = "_dtype_of(ops[:2])";
  (void)l;
  return fmt::format(R"PY(
def _launch{0}(ops):
    a, b, epilogue, shape, m, n, k = _mm_views(ops)
    # Tiles read rows of A and B: a transposed operand (linear's weight) is copied once, a
    # pass over memory that is small beside the product's FLOPs.
    if a.stride(2) != 1:
        a = a.contiguous()
    if b.stride(2) != 1:
        b = b.contiguous()
    batch = a.shape[0]
    c = torch.empty((batch, m, n), dtype={1}, device=a.device)
    if c.numel() == 0:
        return c.view(shape)
    f32 = a.dtype == torch.float32 or b.dtype == torch.float32 or a.dtype != b.dtype
    # Small or skinny products need more, smaller tiles to fill the GPU.
    bm = {2} if m >= {2} else max(16, triton.next_power_of_2(m))
    bn = {3} if n >= {3} else max(16, triton.next_power_of_2(n))
    if triton.cdiv(m, bm) * triton.cdiv(n, bn) * batch < 132 and bm > 32:
        bm = max(16, bm // 2)
    reach = max(a.numel(), b.numel(), c.numel()) * 2
    strides = [s for t in epilogue for s in t.stride()]
    _akg{0}_kernel[(triton.cdiv(m, bm) * triton.cdiv(n, bn), batch)](
        c, a, b, *epilogue, m, n, k, *a.stride(), *b.stride(), *strides,
        BM=bm, BN=bn, BK={4}, GROUP_M=8, F32=f32, WIDE=reach >= 2**31,
        num_warps={5}, num_stages={6})
    return c.view(shape)
)PY", k, dtype, bm, bn, bk, warps, stages);
}

}  // namespace

Result<std::string> EmitTritonProgram(const KernelProgram& program, const PlanEmitOptions& o) {
  std::string kernels, launchers;
  int pools = 0, convs = 0;
  for (size_t k = 0; k < program.launches.size(); ++k) {
    const Launch& l = program.launches[k];
    if (l.kind == PlanKind::kMatmul) {
      kernels += "\n\n" + MatmulKernel(l, k, o.tunables);
      launchers += "\n" + MatmulLauncher(l, k, o.tunables, o.conservative);
    } else if (l.kind == PlanKind::kConv) {
      if (!convs++) launchers += ConvHelperSource();
      kernels += "\n\n" + ConvTritonKernel(l, k, o.tunables);
      launchers += "\n" + ConvTritonLauncher(l, k, o.tunables, o.conservative);
    } else if (l.kind == PlanKind::kPool) {
      if (!pools++) launchers += PoolHelperSource();
      kernels += "\n\n" + PoolTritonKernel(l, k);
      launchers += "\n" + PoolTritonLauncher(l, k, o.tunables);
    } else {
      RowSchedule schedule = ScheduleRow(l);
      if (!schedule.error.empty()) {
        return UnsupportedError("the builtin model cannot schedule " + schedule.error);
      }
      bool split = Splittable(l) && !o.conservative;
      kernels += "\n\n" + RowKernel(l, k, Splittable(l)).Source();
      launchers += fmt::format("\nSPLIT{} = {}\n", k, split ? "True" : "False") +
                   RowLauncher(l, k, o.tunables);
    }
  }
  AKG_ASSIGN_OR_RETURN(std::string model, ProgramModelSource(program, o.task_source));
  std::string doc = "\"\"\"Generated by the AKG builtin model (triton_cuda DSL: kernel plans).\n\n";
  for (size_t k = 0; k < program.launches.size(); ++k) {
    doc += fmt::format("    launch {}: {}\n", k, DescribeLaunch(program.launches[k]));
  }
  return doc + "\"\"\"\nimport functools\nimport math\n\nimport torch\nimport torch.nn as nn\n"
               "import torch.nn.functional as F\nimport triton\nimport triton.language as tl\n" +
         TritonMathHelpersSource() + kJitHelpers + kernels + "\n\n" + ProgramHelpersSource() +
         launchers + "\n\n" + model;
}

}  // namespace akg
