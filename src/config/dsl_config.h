// DSL configuration: one YAML file per DSL (configs/<dsl>.yaml), optionally overridden key by
// key by a user file (--config). Every field below is used by the agent; unknown keys and
// wrong types are errors that name the key and the file.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace akg {

struct ProfileSettings {
  int run_times = 50;     // timed forward calls per kernel (and per baseline)
  int warmup_times = 5;   // untimed calls before timing (JIT, caches)
  // Baselines timed in the same process on the same inputs: "eager", "torch_compile".
  std::vector<std::string> baselines = {"eager", "torch_compile"};
  double graph_below_us = 100;   // GPU: kernels faster than this are timed by CUDA-graph replay
  double suspect_speedup = 10;   // a speedup vs eager above this triggers re-verification
  // torch.compile's baseline measured in the run's first profile (per device model and timing
  // settings) and reused by the later ones; eager is timed beside every candidate.
  bool reuse_compile_baseline = true;
  // Speedups vs eager divide by one eager baseline per run and device model (the run's first
  // profile, twice run_times samples), so candidates rank by their own time; eager is still
  // timed beside each candidate, in turn with it, to detect drift. false: by each profile's eager.
  bool shared_eager_baseline = true;
  double noisy_spread = 1.5;  // a p90/p10 above this (or drift) reports "noisy", not a speedup
  // GPU: before an optimise step (optimise_settings), a few Nsight Compute counters of the kernel
  // (achieved bandwidth, occupancy, stall reasons), from a fresh harness child, go to the model;
  // without ncu, or where it cannot attach, the feedback says so in one line.
  bool counters = false;
};

// The default workflow's optimise steps: after a kernel passes, its profile goes back to
// KernelGen with the optimise skills while the kernel is clearly slow and its measurement is not
// noisy (workflow/optimise.h).
struct OptimiseSettings {
  // Optimise while the kernel's speedup over eager or over torch.compile is below this (0.95 =
  // clearly slower; a kernel at 0.997x is left alone).
  double below_baseline = 0.95;
  // ... or while it reaches less than this fraction of the speed of light (0 = off: a small,
  // launch-bound task sits far below it even in eager).
  double below_sol = 0;
};

struct VerifySettings {
  int trials = 5;                // independent seeded trials; each draws fresh inputs
  std::string policy = "strict";  // "strict": custom kernels do all the work; "partial": some
                                  // framework operators may remain (listed in the verdict)
  // "vary": once the task's own trials pass, the harness re-runs the candidate at smaller, odd
  // sizes (the task's size constants changed), so hard-coded sizes fail with shape_specific;
  // "task": the task's sizes only (docs/INTEGRITY.md, "Shape trials").
  std::string shapes = "vary";
  bool reference_cache = true;   // cache reference outputs per (task, seed, device, dtype)
  // GPU/NPU backends: a `build` child on the CPU (syntax, static rules, import with the native
  // compiles) before the candidate takes a device; compile errors never hold one.
  bool build_off_device = true;
  std::vector<std::string> extra_glue;  // framework calls allowed in forward besides the glue list
  int seed = 0;                  // base seed; trial t uses seed + t
  std::optional<double> atol;    // absent = the dtype's default tolerance
  std::optional<double> rtol;    // absent = the dtype's default tolerance
};

// The search workflows (evolve, adaptive_search) and the device pool. 0 means "no limit"
// where noted.
struct SearchSettings {
  int rounds = 4;              // evolve: rounds, the first (written from scratch) included
  int islands = 2;             // evolve: islands, each with its own population
  int population = 4;          // evolve: members kept per island = children per island per round
  int elite = 1;               // evolve: best members of an island that migrate
  int migration_interval = 2;  // evolve: migrate after every this many rounds (0 = never)
  int inspirations = 2;        // other kernels shown to KernelGen with each parent
  int max_candidates = 32;     // stop after this many candidates (0 = no limit)
  double max_wall_s = 0;       // stop proposing after this many seconds (0 = no limit)
  int patience = 8;            // adaptive_search: stop after this many candidates in a row
                               // without a new best (0 = never)
  int concurrency = 2;         // candidates in flight per device slot (generation and build overlap measurement)
  double ucb_c = 1.0;          // adaptive_search: exploration weight of the UCB bandit
  int seed = 0;                // seeds every random choice of a search
  int cpu_slots = 1;           // device pool slots on the CPU backend (verifications at once)
};

struct DslConfig {
  // agent name -> model level ("complex" | "standard" | "fast"). Agents: kernel_designer,
  // kernel_gen, task_constructor.
  std::map<std::string, std::string> agent_model_config = {
      {"kernel_designer", "complex"}, {"kernel_gen", "standard"}, {"task_constructor", "fast"}};
  std::string log_dir = "runs";          // run folders go here (relative to the working dir)
  std::string default_workflow = "default";
  int max_steps = 3;                     // KernelGen <-> Verifier attempts per kernel
  // default/coder_only: optimise steps after a kernel passes (0 = stop at the first pass); not
  // counted in max_steps.
  int optimise_steps = 2;
  OptimiseSettings optimise_settings;
  double verify_timeout = 300;           // seconds for one verify child (compile included)
  double profile_timeout = 600;          // seconds for one profile child
  double inspect_timeout = 120;          // seconds for inspecting the task
  ProfileSettings profile_settings;
  VerifySettings verify_settings;
  SearchSettings search;
  std::string python = "";               // harness interpreter; "" = AKG_PYTHON or python3
  // "warm": one pre-warmed harness server per device forks a child per call (torch imported
  // once); "cold": a fresh Python process per call. Warm falls back to cold when its server
  // cannot start (docs/HARNESS_PROTOCOL.md, "Warm server").
  std::string harness_mode = "warm";
  std::map<std::string, std::string> sources;  // key -> file that last set it (for messages)
};

// Parses YAML text into `config`, overriding only the keys present. `file` names the source
// in error messages.
Status ApplyConfigYaml(const std::string& yaml_text, const std::string& file, DslConfig* config);

// Loads <config_dir>/<dsl>.yaml, then the override file if given.
Result<DslConfig> LoadDslConfig(const std::filesystem::path& config_dir, const std::string& dsl,
                                const std::optional<std::filesystem::path>& override_file);

}  // namespace akg
