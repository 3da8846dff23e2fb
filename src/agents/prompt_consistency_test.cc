// Every prompt the LLM agents send, rendered for every supported DSL and target with the
// real prompts/, skills/ and configs/arch_peaks.yaml, checked against rules a contradiction
// breaks: one figure per peak (the target's own), no GPU vocabulary in CPU prompts, every
// skill a prompt refers to is one that prompt carries, and no include rule contradicted by a
// code example in the same prompt.
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "agents/llm_designer.h"
#include "agents/llm_kernel_gen.h"
#include "config/arch_peaks.h"
#include "config/target.h"
#include "llm/scripted_llm.h"
#include "skills/skills.h"
#include "verify/profile_report.h"

namespace akg {
namespace {

const char* kSource =
    "import torch\nimport torch.nn as nn\n\n"
    "class Model(nn.Module):\n"
    "    def forward(self, a, b):\n"
    "        return torch.softmax(a @ b, dim=-1)\n\n"
    "def get_inputs():\n    return [torch.randn(64, 128), torch.randn(128, 256)]\n\n"
    "def get_init_inputs():\n    return []\n";

Json Node(const std::string& name, const std::string& target, Json args) {
  return {{"name", name}, {"op", "call_function"}, {"target", target}, {"args", args},
          {"kwargs", Json::object()}, {"shape", {64, 256}}, {"dtype", "float32"}};
}

// A matmul followed by a softmax: categories that pull in the matmul and reduction skills.
Json Inspection() {
  Json nodes = Json::array(
      {{{"name", "a"}, {"op", "placeholder"}, {"role", "user_input"}, {"index", 0},
        {"shape", {64, 128}}, {"dtype", "float32"}},
       {{"name", "b"}, {"op", "placeholder"}, {"role", "user_input"}, {"index", 1},
        {"shape", {128, 256}}, {"dtype", "float32"}},
       Node("mm", "aten.mm.default", Json::array({{{"node", "a"}}, {{"node", "b"}}})),
       Node("softmax", "aten._softmax.default", Json::array({{{"node", "mm"}}, -1, false})),
       {{"name", "output"}, {"op", "output"},
        {"args", Json::array({Json::array({{{"node", "softmax"}}})})}}});
  Json tensor = {{"kind", "tensor"}, {"dtype", "float32"}};
  return {{"ok", true}, {"device_used", "cpu"},
          {"inputs", Json::array({{{"index", 0}, {"kind", "tensor"}, {"shape", {64, 128}},
                                   {"dtype", "float32"}},
                                  {{"index", 1}, {"kind", "tensor"}, {"shape", {128, 256}},
                                   {"dtype", "float32"}}})},
          {"init_inputs", Json::array()},
          {"outputs", Json::array({{{"index", 0}, {"kind", "tensor"}, {"shape", {64, 256}},
                                    {"dtype", "float32"}}})},
          {"parameters", Json::array()}, {"reference_ms", 0.25},
          {"graph", {{"source", "torch.export"}, {"nodes", nodes}}}};
}

const char* kDesign = "## Computation\nOne pass.\n\n```json\n{\"BLOCK\": 64}\n```\n";
const char* kKernel =
    "Fused.\n\n```python\nimport torch\nimport torch.nn as nn\n\nclass ModelNew(nn.Module):\n"
    "    def forward(self, a, b):\n        return launch(a, b)\n```\n";

// What a CPU's measured peaks look like: torch's fp16 matmul on a CPU is far slower than
// fp32 (the figure that once reached the x86 prompt as "fp16 0.0024 TFLOP/s").
Json MeasuredCpuPeaks() {
  return {{"bandwidth_gbs", 38.5},
          {"tflops", {{"fp32", 1.1}, {"tf32", nullptr}, {"bf16", 0.02}, {"fp16", 0.0024}}}};
}

// A slow kernel's profile as the harness reports it, and counters as ncu gives them.
ProfileResult SampleProfile() {
  ProfileResult p;
  p.ok = true;
  p.performance_valid = true;
  p.candidate = {0.5, 0.49, 0.52, 0.5, 20};
  p.eager_baseline = TimingStats{0.25, 0.24, 0.26, 0.25, 40};
  p.speedup_vs_eager = 0.5;
  p.torch_compile = TimingStats{0.2, 0.19, 0.21, 0.2, 20};
  p.speedup_vs_torch_compile = 0.4;
  p.sol = {{"sol_ms", 0.01}, {"bound", "memory"}, {"bytes", 196608}, {"flops", 4194304},
           {"fraction_of_sol_candidate", 0.02}, {"fraction_of_sol_eager", 0.04},
           {"fraction_of_sol_torch_compile", 0.05}};
  return p;
}

CountersResult SampleCounters() {
  CountersResult c;
  c.ok = true;
  c.kernels = Json::array({{{"name", "mm_softmax_kernel"}, {"duration_us", 410.0},
                            {"dram_pct", 21.0}, {"sm_pct", 9.0}, {"occupancy_pct", 31.0},
                            {"stalls", {{"long_scoreboard", 7.5}, {"barrier", 1.2}}}}});
  return c;
}

struct Rendered {
  std::string where;  // "cpp x86_64 designer" ...
  std::string text;   // system + user
  Target target;
  ArchPeaks peaks;
};

double ToGbs(const std::string& number, const std::string& unit) {
  return std::stod(number) * (unit == "TB/s" ? 1000.0 : 1.0);
}

// Rule: every bandwidth figure in a prompt is the target's bandwidth.
void CheckBandwidth(const Rendered& r) {
  static const std::regex kRate(R"(([0-9]+(?:\.[0-9]+)?)\s*(TB/s|GB/s))");
  std::set<double> seen;
  for (std::sregex_iterator it(r.text.begin(), r.text.end(), kRate), end; it != end; ++it) {
    seen.insert(ToGbs((*it)[1], (*it)[2]));
  }
  if (seen.size() > 1) {
    ADD_FAILURE() << r.where << ": more than one bandwidth figure";
  } else if (seen.size() == 1 && *seen.begin() != r.peaks.bandwidth_gbs) {
    ADD_FAILURE() << r.where << ": bandwidth " << *seen.begin() << " GB/s is not the target's";
  }
}

// Rule: one ridge point (FLOP/byte figure), and per precision one FLOP rate: the target's, never a "peak" below
// what fp32 reaches.
void CheckRates(const Rendered& r) {
  static const std::regex kRidge(R"(([0-9]+(?:\.[0-9]+)?)\s*FLOP/byte)");
  std::set<std::string> ridges;
  for (std::sregex_iterator it(r.text.begin(), r.text.end(), kRidge), end; it != end; ++it) {
    ridges.insert((*it)[1]);
  }
  EXPECT_LE(ridges.size(), 1u) << r.where << ": more than one ridge point";
  static const std::regex kFlops(R"((fp32|tf32|bf16|fp16)?[ ~]*([0-9]+(?:\.[0-9]+)?)\s*TFLOP/s)");
  for (std::sregex_iterator it(r.text.begin(), r.text.end(), kFlops), end; it != end; ++it) {
    double rate = std::stod((*it)[2]);
    std::string dtype = (*it)[1];
    ASSERT_FALSE(dtype.empty()) << r.where << ": a TFLOP/s figure without its precision: "
                                << it->str();
    auto own = r.peaks.tflops.find(dtype);
    ASSERT_NE(own, r.peaks.tflops.end()) << r.where << ": " << dtype << " is no target rate";
    EXPECT_DOUBLE_EQ(rate, own->second) << r.where << ": " << it->str();
    auto fp32 = r.peaks.tflops.find("fp32");
    if (fp32 != r.peaks.tflops.end()) {
      EXPECT_GE(rate, fp32->second) << r.where << ": " << dtype << " below fp32";
    }
  }
}

// Rule: a CPU prompt speaks of cores, caches and SIMD, not of GPU pieces.
void CheckNoGpuWords(const Rendered& r) {
  if (r.target.backend != "cpu") return;
  for (const char* word : {"shared memory", "warp", "coalesc", "grid", "HBM", "tensor core",
                           "occupancy", "SMs", "GPU"}) {
    auto at = r.text.find(word);
    EXPECT_EQ(at, std::string::npos)
        << r.where << ": '" << word << "' in a CPU prompt: ..."
        << r.text.substr(at == std::string::npos ? 0 : (at < 80 ? 0 : at - 80), 160);
  }
}

// Rule: "the X skill" names a skill whose "## Knowledge: NAME" section is in the prompt.
void CheckSkillReferences(const Rendered& r) {
  static const std::regex kHeading(R"(## Knowledge: ([A-Za-z0-9_-]+))");
  std::vector<std::string> carried;
  for (std::sregex_iterator it(r.text.begin(), r.text.end(), kHeading), end; it != end; ++it) {
    carried.push_back((*it)[1]);
  }
  static const std::regex kReference(R"(the\s+([A-Za-z0-9_-]+)\s+skill)");
  for (std::sregex_iterator it(r.text.begin(), r.text.end(), kReference), end; it != end;
       ++it) {
    std::string named = (*it)[1];
    bool found = false;
    for (const std::string& c : carried) found = found || c.find(named) != std::string::npos;
    EXPECT_TRUE(found) << r.where << ": refers to '" << it->str()
                       << "', which this prompt does not carry";
  }
}

// Rule: a "do not include `<h>`" is not contradicted by an "#include <h>" in the same prompt.
void CheckIncludeRules(const Rendered& r) {
  static const std::regex kRule(R"(not include `<([a-z_./]+)>`)");
  for (std::sregex_iterator it(r.text.begin(), r.text.end(), kRule), end; it != end; ++it) {
    std::string header = "#include <" + std::string((*it)[1]) + ">";
    EXPECT_EQ(r.text.find(header), std::string::npos)
        << r.where << ": says '" << it->str() << "' and shows " << header;
  }
}

std::string Joined(const LlmRequest& req) {
  std::string text;
  for (const ChatMessage& m : req.messages) text += m.content + "\n";
  return text;
}

class PromptConsistencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto skills = LoadSkills({std::string(AKG_SOURCE_DIR) + "/skills"});
    ASSERT_TRUE(skills.ok()) << skills.status().message();
    skills_ = *skills;
    auto peaks = LoadArchPeaks(std::string(AKG_SOURCE_DIR) + "/configs/arch_peaks.yaml");
    ASSERT_TRUE(peaks.ok()) << peaks.status().message();
    peaks_ = *peaks;
    task_.name = "mm_softmax";
    task_.task_path = "/tmp/akg_prompt_consistency/mm_softmax.py";
    task_.source = kSource;
    task_.inspection = Inspection();
  }

  ArchPeaks PeaksOf(const std::string& arch) {
    auto it = peaks_.find(arch);
    if (it == peaks_.end() || it->second.measure) {
      auto measured = ArchPeaksFromMeasurement(MeasuredCpuPeaks());
      EXPECT_TRUE(measured.ok());
      return *measured;
    }
    return it->second;
  }

  // The designer's prompt and KernelGen's first, retry and optimise prompts for one target.
  std::vector<Rendered> Render(const Target& target) {
    ArchPeaks peaks = PeaksOf(target.arch);
    LlmAgentOptions options;
    options.prompts_dir = std::string(AKG_SOURCE_DIR) + "/prompts";
    options.skills = &skills_;
    options.skill_query.dsl = target.dsl;
    options.skill_query.backend = target.backend;
    options.skill_query.arch = target.arch;
    options.arch_peaks = peaks.ToJson();
    ScriptedLlm llm({kDesign, kKernel, kKernel, kKernel, kKernel});
    LlmDesigner designer(&llm, options);
    DesignRequest design_request;
    design_request.task = &task_;
    design_request.target = target;
    auto design = designer.MakeDesign(design_request);
    EXPECT_TRUE(design.ok()) << design.status().message();
    LlmKernelGen gen(&llm, options);
    GenRequest first;
    first.task = &task_;
    first.target = target;
    first.design = design.ok() ? &*design : nullptr;
    EXPECT_TRUE(gen.Generate(first).ok());
    GenRequest retry = first;
    retry.attempt = 2;
    retry.history = {{"wrong_answer", "output 0: 3 of 16384 elements differ", "log", "mismatch"}};
    EXPECT_TRUE(gen.Generate(retry).ok());
    ScoredKernel parent{"c1", "class ModelNew: pass", "first", nullptr, "passed",
                        "0.50 ms, 1.20x vs eager", 1.2};
    GenRequest optimise = first;
    optimise.parent = &parent;
    optimise.inspirations = {parent};
    EXPECT_TRUE(gen.Generate(optimise).ok());
    // The default workflow's optimise step: the parent's profile, and on a GPU ncu's counters.
    GenRequest profiled = first;
    profiled.parent = &parent;
    profiled.profile_report = ProfileReport(SampleProfile());
    if (target.backend != "cpu") profiled.profile_report += CountersReport(SampleCounters());
    EXPECT_TRUE(gen.Generate(profiled).ok());
    const char* kinds[] = {"designer", "generate", "retry", "optimise", "profiled optimise"};
    std::vector<Rendered> out;
    for (size_t i = 0; i < llm.requests().size() && i < 5; ++i) {
      out.push_back({target.dsl + " " + target.arch + " " + kinds[i],
                     Joined(llm.requests()[i]), target, peaks});
    }
    EXPECT_EQ(out.size(), 5u);
    EXPECT_NE(out.back().text.find("- speed of light: 0.0100 ms (memory-bound"), std::string::npos)
        << out.back().where;
    return out;
  }

  std::vector<Skill> skills_;
  std::map<std::string, ArchPeaks> peaks_;
  TaskInfo task_;
};

TEST_F(PromptConsistencyTest, EveryPromptOfEveryDslAndTargetKeepsTheRules) {
  int rendered = 0;
  for (const TargetRow& row : SupportedTargets()) {
    for (const std::string& arch : row.archs) {
      Target target{row.framework, row.backend, arch, row.dsl};
      for (const Rendered& r : Render(target)) {
        ++rendered;
        CheckBandwidth(r);
        CheckRates(r);
        CheckNoGpuWords(r);
        CheckSkillReferences(r);
        CheckIncludeRules(r);
      }
    }
  }
  EXPECT_GE(rendered, 5 * 5);  // every DSL at least once
}

TEST_F(PromptConsistencyTest, TheRulesCatchWhatTheyAreFor) {
  Rendered bad{"fake", "", {"torch", "cpu", "x86_64", "cpp"}, PeaksOf("x86_64")};
  bad.text = "memory bandwidth 38.5 GB/s; a copy reaches 2.97 TB/s";
  EXPECT_NONFATAL_FAILURE(CheckBandwidth(bad), "more than one bandwidth figure");
  bad.text = "stage tiles in shared memory";
  EXPECT_NONFATAL_FAILURE(CheckNoGpuWords(bad), "shared memory");
  bad.text = "## Knowledge: cpp-design\n(see the matmul skill)";
  EXPECT_NONFATAL_FAILURE(CheckSkillReferences(bad), "does not carry");
  bad.text = "do not include `<cmath>`\n#include <cmath>\n";
  EXPECT_NONFATAL_FAILURE(CheckIncludeRules(bad), "#include <cmath>");
  bad.text = "fp32 ridge point 15.5 FLOP/byte; ridge point on H100 17.5 FLOP/byte";
  EXPECT_NONFATAL_FAILURE(CheckRates(bad), "more than one ridge point");
}

// Evolve's round 0: byte-identical prompts made a deterministic model write N copies.
TEST_F(PromptConsistencyTest, ASearchsFromScratchPromptsEachCarryTheirOwnDirection) {
  for (const TargetRow& row : SupportedTargets()) {
    Target target{row.framework, row.backend, row.archs.front(), row.dsl};
    LlmAgentOptions options;
    options.prompts_dir = std::string(AKG_SOURCE_DIR) + "/prompts";
    options.skills = &skills_;
    options.skill_query.dsl = target.dsl;
    options.skill_query.backend = target.backend;
    options.skill_query.arch = target.arch;
    ScriptedLlm llm(std::vector<std::string>(6, kKernel));
    LlmKernelGen gen(&llm, options);
    std::set<std::string> prompts;
    for (int k = 0; k < 6; ++k) {
      GenRequest r;
      r.task = &task_;
      r.target = target;
      r.attempt = k + 1;
      r.seed = 100 + k;
      r.explore = k;
      r.explore_seed = 3;
      ASSERT_TRUE(gen.Generate(r).ok());
      std::string text = Joined(llm.requests().back());
      EXPECT_NE(text.find("Build yours around this one"), std::string::npos) << row.dsl;
      EXPECT_EQ(llm.requests().back().seed, std::optional<uint64_t>(100 + k));
      prompts.insert(text);
    }
    EXPECT_EQ(prompts.size(), 6u) << row.dsl << ": round-0 prompts repeat";
  }
}

TEST(MeasuredPeaksTest, ALowPrecisionRateBelowFp32IsRaisedToIt) {
  auto p = ArchPeaksFromMeasurement(MeasuredCpuPeaks());
  ASSERT_TRUE(p.ok());
  EXPECT_DOUBLE_EQ(p->tflops.at("fp32"), 1.1);
  EXPECT_DOUBLE_EQ(p->tflops.at("fp16"), 1.1);  // a kernel can compute fp16 data in fp32
  EXPECT_DOUBLE_EQ(p->tflops.at("bf16"), 1.1);
  EXPECT_EQ(p->tflops.count("tf32"), 0u);
  EXPECT_NE(p->source.find("fp32"), std::string::npos) << p->source;
}

}  // namespace
}  // namespace akg
