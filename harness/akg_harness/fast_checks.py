"""One-pass native versions of the checks that walk whole outputs on the CPU.

On the CPU, torch evaluates the comparison of docs/INTEGRITY.md as some twenty passes over
float64 temporaries, and the near-zero check, the reference's own error and the outputs' mean
magnitude as several more: for a 1 GiB output that was most of a verify's time on a 2-core
machine (9 s per comparison). Here each is one OpenMP loop in C++ over the contiguous
float32/float64 data, with the same rules element by element (finite pairs against
`atol + rtol * |b|`, NaN matching NaN, an infinity matching the same infinity; float64
arithmetic). Other dtypes, complex outputs, non-contiguous tensors and GPU tensors keep the
torch code; so does a machine where the C++ cannot be compiled (a note says so once).

The library is built with the sanctioned loader's compiler and flags into the run's kernel
cache and loaded before the candidate is imported (verify calls `load()` first): a candidate
that replaced the file afterwards would change nothing, and candidates may not touch files
at all (the static rule `forbidden_io`). It is loaded with ctypes directly, not through
`native.load_cpp`, so its calls are never counted as the candidate's kernel launches and the
no-op run never skips them.
"""
from __future__ import annotations

import ctypes
import os
from typing import Any

import torch

from . import native, trace

SOURCE = r"""
#include <cmath>

template <class A, class B>
static void compare_impl(const A* a, const B* b, long n, double atol, double rtol, double* out) {
  long bad = 0, first = n, live = 0, small = 0;
  double max_abs = 0.0, max_rel = 0.0;
#pragma omp parallel for reduction(+ : bad, live, small) reduction(min : first) \
    reduction(max : max_abs, max_rel) schedule(static)
  for (long i = 0; i < n; ++i) {
    const double x = static_cast<double>(a[i]), y = static_cast<double>(b[i]);
    const bool fx = std::isfinite(x), fy = std::isfinite(y);
    bool is_bad;
    if (fx && fy) {
      const double d = std::fabs(x - y), m = std::fabs(y);
      is_bad = d > atol + rtol * m;
      if (d > max_abs) max_abs = d;
      if (y != 0.0 && d / m > max_rel) max_rel = d / m;
    } else {
      is_bad = !(std::isnan(x) && std::isnan(y)) && x != y;
    }
    if (is_bad) {
      ++bad;
      if (i < first) first = i;
    }
    if (fy && y != 0.0) {
      ++live;
      if (std::fabs(x) <= 0.01 * std::fabs(y)) ++small;
    }
  }
  out[0] = static_cast<double>(bad);
  out[1] = static_cast<double>(first);
  out[2] = max_abs;
  out[3] = max_rel;
  out[4] = static_cast<double>(live);
  out[5] = static_cast<double>(small);
}

// Only on a failed comparison: what kind of elements differ, the worst finite pair and the
// first few offending indices (a serial scan from `first` that stops after kFirst of them).
template <class A, class B>
static void detail_impl(const A* a, const B* b, long n, double atol, double rtol, long first,
                        double* out) {
  const int kFirst = 5;
  long got_nan = 0, got_inf = 0, lost = 0, worst = -1;
  double worst_abs = -1.0;
#pragma omp parallel
  {
    long my_worst = -1;
    double my_abs = -1.0;
#pragma omp for reduction(+ : got_nan, got_inf, lost) schedule(static)
    for (long i = 0; i < n; ++i) {
      const double x = static_cast<double>(a[i]), y = static_cast<double>(b[i]);
      const bool fx = std::isfinite(x), fy = std::isfinite(y);
      if (fx && fy) {
        const double d = std::fabs(x - y);
        if (d > my_abs) { my_abs = d; my_worst = i; }
      } else if (std::isnan(x) && !std::isnan(y)) {
        ++got_nan;
      } else if (std::isinf(x) && !std::isnan(y) && x != y) {
        ++got_inf;
      } else if (fx && !fy) {
        ++lost;
      }
    }
#pragma omp critical
    if (my_abs > worst_abs || (my_abs == worst_abs && my_worst >= 0 && my_worst < worst)) {
      worst_abs = my_abs;
      worst = my_worst;
    }
  }
  out[0] = static_cast<double>(got_nan);
  out[1] = static_cast<double>(got_inf);
  out[2] = static_cast<double>(lost);
  out[3] = static_cast<double>(worst);
  int found = 0;
  for (long i = first; i < n && found < kFirst; ++i) {
    const double x = static_cast<double>(a[i]), y = static_cast<double>(b[i]);
    bool is_bad;
    if (std::isfinite(x) && std::isfinite(y)) {
      is_bad = std::fabs(x - y) > atol + rtol * std::fabs(y);
    } else {
      is_bad = !(std::isnan(x) && std::isnan(y)) && x != y;
    }
    if (is_bad) out[4 + found++] = static_cast<double>(i);
  }
  for (int k = found; k < kFirst; ++k) out[4 + k] = -1.0;
}

template <class A>
static void mean_abs_impl(const A* a, long n, double* out) {
  double total = 0.0;
  long count = 0;
#pragma omp parallel for reduction(+ : total, count) schedule(static)
  for (long i = 0; i < n; ++i) {
    const double x = static_cast<double>(a[i]);
    if (std::isfinite(x)) {
      total += std::fabs(x);
      ++count;
    }
  }
  out[0] = total;
  out[1] = static_cast<double>(count);
}

extern "C" {
void akg_cmp_ff(const float* a, const float* b, long n, double t, double r, double* o) {
  compare_impl(a, b, n, t, r, o);
}
void akg_cmp_fd(const float* a, const double* b, long n, double t, double r, double* o) {
  compare_impl(a, b, n, t, r, o);
}
void akg_cmp_dd(const double* a, const double* b, long n, double t, double r, double* o) {
  compare_impl(a, b, n, t, r, o);
}
void akg_cmp_df(const double* a, const float* b, long n, double t, double r, double* o) {
  compare_impl(a, b, n, t, r, o);
}
void akg_det_ff(const float* a, const float* b, long n, double t, double r, long f,
                double* o) {
  detail_impl(a, b, n, t, r, f, o);
}
void akg_det_fd(const float* a, const double* b, long n, double t, double r, long f,
                double* o) {
  detail_impl(a, b, n, t, r, f, o);
}
void akg_det_dd(const double* a, const double* b, long n, double t, double r, long f,
                double* o) {
  detail_impl(a, b, n, t, r, f, o);
}
void akg_det_df(const double* a, const float* b, long n, double t, double r, long f,
                double* o) {
  detail_impl(a, b, n, t, r, f, o);
}
void akg_mean_abs_f(const float* a, long n, double* o) { mean_abs_impl(a, n, o); }
void akg_mean_abs_d(const double* a, long n, double* o) { mean_abs_impl(a, n, o); }
}
"""

_CODE = {torch.float32: "f", torch.float64: "d"}
_state: dict[str, Any] = {"lib": None, "tried": False}
MIN_ELEMENTS = 1 << 16  # below this torch's own ops cost less than the call's set-up


def load() -> Any:
    """The compiled library (built once per kernel cache), or None where it cannot be."""
    if not _state["tried"]:
        _state["tried"] = True
        try:
            cxx = os.environ.get("CXX", "g++")
            path = native._build(cxx, SOURCE, ".cc", native.CXX_FLAGS,
                                 [[*native.CXX_FLAGS, "{src}", "-o", "{out}", "-lm"]])
            lib = ctypes.CDLL(path)
            for a in "fd":
                for b in "fd":
                    fn = getattr(lib, f"akg_cmp_{a}{b}")
                    fn.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long,
                                   ctypes.c_double, ctypes.c_double, ctypes.c_void_p)
                    fn.restype = None
                    fn = getattr(lib, f"akg_det_{a}{b}")
                    fn.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long,
                                   ctypes.c_double, ctypes.c_double, ctypes.c_long,
                                   ctypes.c_void_p)
                    fn.restype = None
                fn = getattr(lib, f"akg_mean_abs_{a}")
                fn.argtypes = (ctypes.c_void_p, ctypes.c_long, ctypes.c_void_p)
                fn.restype = None
            _state["lib"] = lib
        except (native.CompileError, OSError, AttributeError) as e:
            trace.note(f"native checks unavailable, torch's are used: {str(e)[:120]}")
    return _state["lib"]


def _usable(*tensors: torch.Tensor) -> bool:
    return all(t.device.type == "cpu" and t.dtype in _CODE and t.is_contiguous()
               for t in tensors) and tensors[0].numel() >= MIN_ELEMENTS


def compare(a: torch.Tensor, b: torch.Tensor, atol: float, rtol: float
            ) -> tuple[int, int, float, float, int, int] | None:
    """(mismatches, first mismatching flat index or numel, max_abs_err, max_rel_err,
    elements where b is finite and non-zero, of those where |a| <= 1% |b|) of two tensors of
    the same shape, or None where the native path does not apply."""
    if a.shape != b.shape or not _usable(a, b) or load() is None:
        return None
    out = (ctypes.c_double * 6)()
    fn = getattr(_state["lib"], f"akg_cmp_{_CODE[a.dtype]}{_CODE[b.dtype]}")
    fn(a.data_ptr(), b.data_ptr(), a.numel(), float(atol), float(rtol), out)
    return int(out[0]), int(out[1]), out[2], out[3], int(out[4]), int(out[5])


DETAIL_FIRST = 5  # offending indices a failed comparison lists


def details(a: torch.Tensor, b: torch.Tensor, atol: float, rtol: float, first: int
            ) -> tuple[int, int, int, int, list[int]] | None:
    """On a failed comparison: (elements where a is NaN and b is not, where a is an infinity
    b is not, where a is finite and b is not, the flat index of the largest finite |a - b|
    or -1, the first DETAIL_FIRST offending indices from `first` on), or None where the
    native path does not apply."""
    if a.shape != b.shape or not _usable(a, b) or load() is None:
        return None
    out = (ctypes.c_double * (4 + DETAIL_FIRST))()
    fn = getattr(_state["lib"], f"akg_det_{_CODE[a.dtype]}{_CODE[b.dtype]}")
    fn(a.data_ptr(), b.data_ptr(), a.numel(), float(atol), float(rtol), int(first), out)
    firsts = [int(v) for v in out[4:] if v >= 0]
    return int(out[0]), int(out[1]), int(out[2]), int(out[3]), firsts


def mean_abs(t: torch.Tensor) -> float | None:
    """Mean |t| over finite elements (0.0 when none), or None where not applicable."""
    if not _usable(t) or load() is None:
        return None
    out = (ctypes.c_double * 2)()
    getattr(_state["lib"], f"akg_mean_abs_{_CODE[t.dtype]}")(t.data_ptr(), t.numel(), out)
    return out[0] / out[1] if out[1] else 0.0
