// Target: what the user asked a kernel for (framework, backend, arch, DSL), and the one table
// of supported combinations that validates it.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace akg {

struct Target {
  std::string framework;  // "torch"
  std::string backend;    // "cuda" | "cpu" | "ascend"
  std::string arch;       // e.g. "x86_64", "h100", "a100", "ascend910b4"
  std::string dsl;        // "triton_cuda" | "cuda" | "tilelang_cuda" | "cpp" | "triton_ascend"
};

struct TargetRow {
  std::string framework;
  std::string backend;
  std::vector<std::string> archs;  // accepted values of --arch
  std::string dsl;
  std::string harness_device;      // "cpu" or "cuda": where the harness runs the kernel
};

// The supported combinations, one row per (framework, backend, dsl).
const std::vector<TargetRow>& SupportedTargets();

// Checks a target against the table; on failure the message names the bad value and lists
// what would be accepted. Returns the matching row.
Result<TargetRow> ValidateTarget(const Target& target);

// Known DSL names, for error messages and config lookup.
std::vector<std::string> KnownDsls();

// The nvcc target of a cuda-backend arch ("h100" -> "sm_90"); "" for others.
std::string CudaSmOf(const std::string& arch);

}  // namespace akg
