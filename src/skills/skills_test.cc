#include "skills/skills.h"

#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "config/target.h"
#include "core/files.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed afterwards.
class SkillsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("akg_skills_test_" + std::string(::testing::UnitTest::GetInstance()
                                                  ->current_test_info()
                                                  ->name()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path Write(const std::string& relative, const std::string& text) {
    fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path;
  }

  fs::path root_;
};

std::string Md(const std::string& front, const std::string& body = "Body.\n") {
  return "---\n" + front + "---\n" + body;
}

TEST_F(SkillsTest, LoadsFrontMatterAndBody) {
  Write("cpp/a.md", Md("name: a\ndescription: the a skill\ndsl: cpp\nbackend: cpu\n"
                       "arch: [x86_64]\ncategories: [matmul, reduction]\nstages: [generate]\n"
                       "priority: 7\n",
                       "# Title\n\ntext\n"));
  auto skills = LoadSkills({root_});
  ASSERT_TRUE(skills.ok()) << skills.status().message();
  ASSERT_EQ(skills->size(), 1u);
  const Skill& s = skills->front();
  EXPECT_EQ(s.name, "a");
  EXPECT_EQ(s.description, "the a skill");
  EXPECT_EQ(s.dsl, "cpp");
  EXPECT_EQ(s.backend, "cpu");
  EXPECT_EQ(s.arch, std::vector<std::string>{"x86_64"});
  EXPECT_EQ(s.categories, (std::vector<std::string>{"matmul", "reduction"}));
  EXPECT_EQ(s.stages, std::vector<std::string>{"generate"});
  EXPECT_EQ(s.priority, 7);
  EXPECT_EQ(s.body, "# Title\n\ntext\n");
  EXPECT_EQ(s.path, root_ / "cpp/a.md");
}

TEST_F(SkillsTest, MissingRootIsSkippedAndOptionalKeysDefault) {
  Write("cuda/b.md", Md("name: b\ndescription: d\ndsl: cuda\n"));
  auto skills = LoadSkills({root_ / "nowhere", root_});
  ASSERT_TRUE(skills.ok()) << skills.status().message();
  ASSERT_EQ(skills->size(), 1u);
  EXPECT_EQ(skills->front().priority, 0);
  EXPECT_TRUE(skills->front().arch.empty());
  EXPECT_TRUE(skills->front().stages.empty());
}

// Each bad front matter gives one error naming the file and the key.
void ExpectError(const fs::path& root, const std::string& file, const std::string& key) {
  auto skills = LoadSkills({root});
  ASSERT_FALSE(skills.ok()) << "expected an error about " << key;
  EXPECT_EQ(skills.status().kind(), ErrorKind::kConfig);
  const std::string m = skills.status().message();  // status() is a temporary
  EXPECT_NE(m.find(file), std::string::npos) << m;
  EXPECT_NE(m.find(key), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
}

TEST_F(SkillsTest, MissingNameIsAnError) {
  Write("cpp/noname.md", Md("description: d\ndsl: cpp\n"));
  ExpectError(root_, "noname.md", "'name'");
}

TEST_F(SkillsTest, WrongTypesAreErrors) {
  Write("cpp/t.md", Md("name: t\ndescription: d\ndsl: cpp\narch: x86_64\n"));
  ExpectError(root_, "t.md", "'arch'");
  Write("cpp/t.md", Md("name: t\ndescription: d\ndsl: cpp\npriority: high\n"));
  ExpectError(root_, "t.md", "'priority'");
  Write("cpp/t.md", Md("name: [t]\ndescription: d\ndsl: cpp\n"));
  ExpectError(root_, "t.md", "'name'");
  Write("cpp/t.md", Md("name: t\ndescription: d\ndsl: cpp\nstages: [design, tune]\n"));
  ExpectError(root_, "t.md", "'stages'");
  Write("cpp/t.md", Md("name: t\ndescription: d\ndsl: cpp\ncategories: [gemm]\n"));
  ExpectError(root_, "t.md", "'categories'");
}

TEST_F(SkillsTest, UnknownKeyIsAnError) {
  Write("cpp/u.md", Md("name: u\ndescription: d\ndsl: cpp\nstage: [design]\n"));
  ExpectError(root_, "u.md", "'stage'");
}

TEST_F(SkillsTest, DslMustMatchFolder) {
  Write("cpp/m.md", Md("name: m\ndescription: d\ndsl: cuda\n"));
  ExpectError(root_, "m.md", "'dsl'");
}

TEST_F(SkillsTest, FrontMatterMustOpenCloseAndParse) {
  Write("cpp/n.md", "# no front matter\n");
  EXPECT_FALSE(LoadSkills({root_}).ok());
  Write("cpp/n.md", "---\nname: n\ndescription: d\ndsl: cpp\n# never closed\n");
  EXPECT_FALSE(LoadSkills({root_}).ok());
  Write("cpp/n.md", Md("name: [n\n"));
  auto bad_yaml = LoadSkills({root_});
  ASSERT_FALSE(bad_yaml.ok());
  EXPECT_NE(bad_yaml.status().message().find("n.md"), std::string::npos);
  Write("cpp/n.md", Md("name: n\ndescription: d\ndsl: cpp\n", "  \n"));
  EXPECT_FALSE(LoadSkills({root_}).ok());  // empty body
}

TEST_F(SkillsTest, LaterRootOverridesSameNameAndDuplicatesInOneRootFail) {
  Write("builtin/cpp/a.md", Md("name: a\ndescription: builtin\ndsl: cpp\n"));
  Write("user/cpp/mine.md", Md("name: a\ndescription: user\ndsl: cpp\n"));
  auto skills = LoadSkills({root_ / "builtin", root_ / "user"});
  ASSERT_TRUE(skills.ok()) << skills.status().message();
  ASSERT_EQ(skills->size(), 1u);
  EXPECT_EQ(skills->front().description, "user");
  Write("user/cpp/again.md", Md("name: a\ndescription: again\ndsl: cpp\n"));
  ExpectError(root_ / "user", "mine.md", "'name'");
}

Skill MakeSkill(const std::string& name, int priority, std::vector<std::string> stages = {},
                std::vector<std::string> categories = {}, std::vector<std::string> arch = {},
                std::string body = "x\n") {
  Skill s;
  s.name = name;
  s.dsl = "triton_cuda";
  s.backend = "cuda";
  s.priority = priority;
  s.stages = std::move(stages);
  s.categories = std::move(categories);
  s.arch = std::move(arch);
  s.body = std::move(body);
  return s;
}

SkillQuery Query(std::string dsl, std::string backend = "", std::string arch = "",
                 std::vector<std::string> categories = {}, std::string stage = "") {
  SkillQuery q;
  q.dsl = std::move(dsl);
  q.backend = std::move(backend);
  q.arch = std::move(arch);
  q.categories = std::move(categories);
  q.stage = std::move(stage);
  return q;
}

std::vector<std::string> Names(const std::vector<const Skill*>& chosen) {
  std::vector<std::string> names;
  for (const Skill* s : chosen) names.push_back(s->name);
  return names;
}

TEST(SkillsSelectTest, FiltersByDslArchCategoryAndStage) {
  std::vector<Skill> skills = {
      MakeSkill("any", 0),
      MakeSkill("design_only", 0, {"design"}),
      MakeSkill("matmul", 0, {}, {"matmul"}),
      MakeSkill("h100", 0, {}, {}, {"h100", "h200"}),
  };
  Skill other = MakeSkill("cpp_skill", 9);
  other.dsl = "cpp";
  skills.push_back(other);
  Skill ascend = MakeSkill("wrong_backend", 0);
  ascend.backend = "ascend";
  skills.push_back(ascend);

  SkillQuery q = Query("triton_cuda", "cuda", "a100", {"elementwise"}, "generate");
  EXPECT_EQ(Names(SelectSkills(skills, q)), std::vector<std::string>{"any"});
  q.arch = "h100";
  q.categories = {"elementwise", "matmul"};
  EXPECT_EQ(Names(SelectSkills(skills, q)), (std::vector<std::string>{"h100", "matmul", "any"}));
  q.stage = "design";
  EXPECT_EQ(Names(SelectSkills(skills, q)),
            (std::vector<std::string>{"design_only", "h100", "matmul", "any"}));
  // Unknown query values filter nothing (but the dsl always must match).
  SkillQuery unknown = Query("triton_cuda");
  EXPECT_EQ(SelectSkills(skills, unknown).size(), 5u);
  SkillQuery no_dsl;
  EXPECT_TRUE(SelectSkills(skills, no_dsl).empty());
}

TEST(SkillsSelectTest, OrdersByPriorityThenSpecificityThenName) {
  std::vector<Skill> skills = {
      MakeSkill("b_plain", 1),
      MakeSkill("a_plain", 1),
      MakeSkill("z_specific", 1, {"generate"}, {"softmax"}),
      MakeSkill("y_less_specific", 1, {"generate"}),
      MakeSkill("low", 0, {"generate"}, {"softmax"}, {"h100"}),
      MakeSkill("top", 5),
  };
  SkillQuery q = Query("triton_cuda", "cuda", "h100", {"softmax"}, "generate");
  EXPECT_EQ(Names(SelectSkills(skills, q)),
            (std::vector<std::string>{"top", "z_specific", "y_less_specific", "a_plain",
                                      "b_plain", "low"}));
}

TEST(SkillsSelectTest, BudgetSkipsWhatDoesNotFitAndKeepsGoing) {
  std::vector<Skill> skills = {
      MakeSkill("first", 3, {}, {}, {}, std::string(60, 'a')),
      MakeSkill("too_big", 2, {}, {}, {}, std::string(50, 'b')),
      MakeSkill("small", 1, {}, {}, {}, std::string(30, 'c')),
      MakeSkill("also_small", 0, {}, {}, {}, std::string(10, 'd')),
  };
  SkillQuery q = Query("triton_cuda");
  q.max_chars = 100;
  EXPECT_EQ(Names(SelectSkills(skills, q)),
            (std::vector<std::string>{"first", "small", "also_small"}));
  q.max_chars = 5;
  EXPECT_TRUE(SelectSkills(skills, q).empty());
}

Json LoadInspection(const std::string& name) {
  fs::path path = fs::path(AKG_SOURCE_DIR) / "src/skills/testdata" / ("inspect_" + name + ".json");
  auto text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status().message();
  auto json = ParseJson(text.ok() ? *text : "{}", path.string());
  EXPECT_TRUE(json.ok()) << json.status().message();
  return json.ok() ? *json : Json::object();
}

using Cats = std::vector<std::string>;

Cats CategoriesOf(const Json& inspection) { return OperatorCategories(ParseOpGraph(inspection)); }

// The samples are real `akg_harness inspect` results (trimmed), see testdata/README.md.
TEST(SkillsCategoriesTest, ReadsRealInspectResults) {
  EXPECT_EQ(CategoriesOf(LoadInspection("elementwise")), Cats{"elementwise"});
  EXPECT_EQ(CategoriesOf(LoadInspection("matmul_linear_gelu")),
            (Cats{"elementwise", "matmul"}));
  EXPECT_EQ(CategoriesOf(LoadInspection("bmm")), Cats{"matmul"});
  EXPECT_EQ(CategoriesOf(LoadInspection("softmax")), Cats{"softmax"});
  EXPECT_EQ(CategoriesOf(LoadInspection("conv_relu_maxpool")),
            (Cats{"elementwise", "convolution", "pooling"}));
  EXPECT_EQ(CategoriesOf(LoadInspection("layer_norm")), Cats{"normalization"});
  EXPECT_EQ(CategoriesOf(LoadInspection("sum_amax")), (Cats{"elementwise", "reduction"}));
  EXPECT_EQ(CategoriesOf(LoadInspection("sdpa")), Cats{"attention"});
  EXPECT_EQ(CategoriesOf(LoadInspection("gather_cumsum")), (Cats{"scan", "indexing"}));
  // BatchNorm in training mode also updates its running stats (aten.add_ on a buffer).
  EXPECT_EQ(CategoriesOf(LoadInspection("batch_group_norm_avgpool")),
            (Cats{"elementwise", "normalization", "pooling"}));
}

TEST(SkillsCategoriesTest, ReadsTorchFxFallbackGraphs) {
  // Module calls are guessed from their paths ("linear", "conv"); SymInt arithmetic
  // (data_ptr() % 2) adds nothing, tensor arithmetic is elementwise.
  EXPECT_EQ(CategoriesOf(LoadInspection("fx_fallback")),
            (Cats{"elementwise", "reduction", "matmul", "convolution", "normalization",
                  "softmax"}));
}

Json Graph(std::vector<Json> nodes) {
  return Json{{"ok", true}, {"graph", {{"source", "torch.export"}, {"nodes", nodes}}}};
}

Json Call(const std::string& target, Json args = Json::array()) {
  return Json{{"op", "call_function"}, {"target", target}, {"args", args}, {"shape", {2}}};
}

TEST(SkillsCategoriesTest, MapsDecomposedAtenNames) {
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.mm.default"), Call("aten.addmm.default")})),
            Cats{"matmul"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.convolution.default")})), Cats{"convolution"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten._softmax.default")})), Cats{"softmax"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.native_layer_norm.default")})),
            Cats{"normalization"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten._native_batch_norm_legit_no_training.default")})),
            Cats{"normalization"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.max_pool2d_with_indices.default")})),
            Cats{"pooling"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten._scaled_dot_product_flash_attention.default")})),
            Cats{"attention"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.index.Tensor"), Call("aten.scatter_add.default"),
                                      Call("aten.embedding.default")})),
            Cats{"indexing"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.cumprod.default")})), Cats{"scan"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.cross_entropy_loss.default")})),
            (Cats{"reduction", "softmax"}));
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.max.other")})), Cats{"elementwise"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.max.dim")})), Cats{"reduction"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.relu_.default"), Call("aten.view.default")})),
            Cats{"elementwise"});
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.cat.default"), Call("aten.frobnicate.default")})),
            Cats{"other"});
  Json sym_mul = {{"op", "call_function"}, {"target", "_operator.mul"}, {"args", {2, 3}}};
  EXPECT_EQ(CategoriesOf(Graph({Call("aten.sym_size.int"), sym_mul})), Cats{});
}

TEST(SkillsCategoriesTest, NoGraphGivesNoCategories) {
  EXPECT_TRUE(CategoriesOf(Json{{"ok", true}, {"graph", nullptr}}).empty());
  EXPECT_TRUE(CategoriesOf(Json::object()).empty());
  EXPECT_TRUE(CategoriesOf(Json::array()).empty());
}

// The shipped skills: every file parses, and every DSL of the target table has skills for
// each stage, whose backend and arch values are ones the table knows.
TEST(SkillsRealFolderTest, EveryDslHasEveryStageAndAllFilesParse) {
  fs::path root = fs::path(AKG_SOURCE_DIR) / "skills";
  auto skills = LoadSkills({root});
  ASSERT_TRUE(skills.ok()) << skills.status().message();
  size_t md_files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() == ".md" && entry.path().parent_path() != root) ++md_files;
  }
  EXPECT_EQ(skills->size(), md_files) << "every skill file loads (no duplicate names)";
  for (const TargetRow& row : SupportedTargets()) {
    for (const std::string stage : {"design", "generate", "debug", "optimise"}) {
      SkillQuery q = Query(row.dsl, row.backend, row.archs.front(), {"elementwise"}, stage);
      auto chosen = SelectSkills(*skills, q);
      bool stage_specific = false;
      for (const Skill* s : chosen) stage_specific |= !s->stages.empty();
      EXPECT_TRUE(stage_specific) << row.dsl << " has no skill for stage " << stage;
    }
    SkillQuery gen = Query(row.dsl, row.backend, row.archs.front(), {"matmul"}, "generate");
    auto chosen = SelectSkills(*skills, gen);
    ASSERT_FALSE(chosen.empty()) << row.dsl;
    EXPECT_NE(chosen.front()->name.find("contract"), std::string::npos)
        << row.dsl << ": the candidate contract must come first at generate";
  }
  std::set<std::string> known_archs;
  for (const TargetRow& row : SupportedTargets()) {
    known_archs.insert(row.archs.begin(), row.archs.end());
  }
  for (const Skill& s : *skills) {
    EXPECT_LE(s.body.size(), 8000u) << s.path << " is too long to share the prompt budget";
    for (const auto& a : s.arch) EXPECT_TRUE(known_archs.count(a)) << s.path << ": arch " << a;
    bool backend_known = s.backend.empty();
    for (const TargetRow& row : SupportedTargets()) {
      backend_known |= row.dsl == s.dsl && row.backend == s.backend;
    }
    EXPECT_TRUE(backend_known) << s.path << ": backend " << s.backend;
  }
}

}  // namespace
}  // namespace akg
