// akg_cli entry point: one table of subcommands {name, description, setup}; the process exits
// in one place with the subcommand's code (0 ok, 1 no kernel found, 2 bad input, 130 interrupted).
#include <unistd.h>

#include <csignal>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/bench_command.h"
#include "cli/doctor_command.h"
#include "cli/interactive.h"
#include "cli/line_reader.h"
#include "cli/op_command.h"
#include "cli/report_command.h"
#include "cli/runs_command.h"
#include "env/cancel.h"
#include "env/env.h"

namespace {

constexpr const char* kOpExamples = R"(
Examples:
  akg_cli op --framework torch --backend cpu --arch x86_64 --dsl cpp \
      --task examples/tasks/gelu_scale_add.py
  akg_cli op --backend cuda --arch h100 --dsl triton_cuda --devices 0 \
      --task examples/tasks/swish.py
  akg_cli op --backend cpu --arch x86_64 --dsl cpp --intent "Generate a relu kernel"
  akg_cli op --backend cpu --arch x86_64 --dsl cpp --task t.py --config my.yaml --out runs/t1
  akg_cli op --backend cuda --arch h100 --dsl triton_cuda --devices 0,1,2,3 \
      --task examples/tasks/swish.py --workflow evolve
  akg_cli op --resume runs/20261125-120000-swish-triton_cuda     # continue an interrupted search
  akg_cli op --backend cpu --arch x86_64 --dsl cpp --task t.py \
      --workflow verifier_only --kernel my_kernel.py
)";

void OnSigint(int) { akg::Interrupt(); }

struct Subcommand {
  const char* name;
  const char* description;
  std::function<std::function<int()>(CLI::App*)> setup;  // adds flags; returns the runner
};

std::string JoinArgs(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
  return s;
}

std::function<int()> SetupOp(CLI::App* cmd, akg::OpOptions* o) {
  cmd->add_option("--framework", o->framework, "framework of the reference")->default_val("torch");
  // --backend, --arch and --dsl are required unless --resume (checked by RunOpCommand).
  cmd->add_option("--backend", o->backend, "cuda | cpu | ascend (required)");
  cmd->add_option("--arch", o->arch, "e.g. x86_64, h100, a100, ascend910b4 (required)");
  cmd->add_option("--dsl", o->dsl,
                  "triton_cuda | cuda | tilelang_cuda | cpp | triton_ascend (required)");
  cmd->add_option("--devices", o->devices,
                  "comma list of device ids; verification and profiling keep each busy")
      ->default_val("0");
  cmd->add_option("--task", o->task_file, "KernelBench-style task file (class Model, get_inputs); '-' reads pasted code from stdin (an LLM completes missing get_inputs/get_init_inputs)");
  cmd->add_option("--intent", o->intent, "a sentence, e.g. \"Generate a relu kernel\"");
  cmd->add_option("--workflow", o->workflow,
                  "default | coder_only | kernelgen_only | verifier_only | evolve | "
                  "adaptive_search (default: the config's default_workflow)");
  cmd->add_option("--kernel", o->kernel_file, "verifier_only: the kernel file to verify and profile");
  cmd->add_option("--replay", o->replay,
                  "reproduce an earlier LLM run: its RUN_FOLDER/llm/transcript.jsonl answers every "
                  "model call (no network)");
  cmd->add_option("--resume", o->resume,
                  "continue an interrupted evolve or adaptive_search run from its folder");
  cmd->add_option("--config", o->config_file, "YAML overriding configs/<dsl>.yaml key by key");
  cmd->add_option("--out", o->out_dir, "run folder (default: <log_dir>/<time>-<task>-<dsl>)");
  cmd->add_flag("--yes,-y", o->yes, "interactive session: run each task without asking");
  cmd->add_flag("--json", o->json,
                "print the result (exit code, run folder, report.json) as JSON on stdout; "
                "progress goes to stderr");
  cmd->footer(kOpExamples);
  return [o] {
    akg::SystemEnv env;
    bool no_task = o->task_file.empty() && o->intent.empty() && o->resume.empty() && !o->json;
    if (no_task && env.StdinIsTerminal() && env.StdoutIsTerminal()) {
      auto reader = akg::MakeLibeditReader(akg::InteractiveHistoryPath(env));
      return akg::RunInteractiveSession(*o, &env, reader.get(), std::cout, std::cerr);
    }
    akg::OpDeps deps{&env, &std::cout, &std::cerr};
    return akg::RunOpCommand(*o, deps);
  };
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"AKG Kernel Agent: writes, verifies and profiles compute kernels"};
  app.require_subcommand(0, 1);
  akg::OpOptions op;
  op.command_line = JoinArgs(argc, argv);
  const std::vector<Subcommand> subcommands = {
      {"op", "write a verified, profiled kernel for one task",
       [&op](CLI::App* cmd) { return SetupOp(cmd, &op); }},
      {"bench", "run a suite of task files on one session; a table of outcomes and speedups",
       [&op](CLI::App* cmd) { return akg::SetupBenchCommand(cmd, op.command_line); }},
      {"runs", "list finished runs from the run history (runs show ID: one run)",
       akg::SetupRunsCommand},
      {"report", "write one self-contained HTML page for a run (its folder or run ID)",
       akg::SetupReportCommand},
      {"doctor", "check that this machine can run a target; print the fix for what is missing",
       akg::SetupDoctorCommand},
  };
  std::function<int()> run;
  for (const auto& sc : subcommands) {
    CLI::App* cmd = app.add_subcommand(sc.name, sc.description);
    auto runner = sc.setup(cmd);
    cmd->callback([&run, runner] { run = runner; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    auto given = app.get_subcommands();
    std::string help = given.empty() ? "akg_cli --help" : "akg_cli " + given.front()->get_name() + " --help";
    std::cerr << "akg_cli: error: " << e.what() << "; see " << help << "\n";
    return 2;
  }
  if (!run) {  // no subcommand: say what there is
    std::cout << "usage: akg_cli SUBCOMMAND [OPTIONS]   (akg_cli SUBCOMMAND --help for its options)\n\n";
    for (const auto& sc : subcommands) std::cout << fmt::format("  {:<8} {}\n", sc.name, sc.description);
    return 0;
  }
  std::signal(SIGINT, OnSigint);
  std::signal(SIGTERM, OnSigint);
  return run ? run() : 2;
}
