#include "prompt/template.h"

#include <filesystem>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/files.h"

namespace akg {
namespace {

std::string Render(const std::string& text, const Json& ctx) {
  auto r = RenderTemplate(text, ctx, "t.md");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : "<error>";
}

std::string ErrorOf(const std::string& text, const Json& ctx) {
  auto r = RenderTemplate(text, ctx, "t.md");
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(TemplateTest, SubstitutesPlainAndDottedNames) {
  Json ctx = {{"dsl", "cpp"}, {"target", {{"arch", "x86_64"}, {"peaks", {{"bw", 2970}}}}}};
  EXPECT_EQ(Render("dsl={{dsl}} arch={{ target.arch }} bw={{target.peaks.bw}}", ctx),
            "dsl=cpp arch=x86_64 bw=2970");
}

TEST(TemplateTest, FormatsScalarsNullAndJson) {
  Json ctx = {{"f", 19.5}, {"g", 52.0}, {"b", true}, {"n", nullptr}, {"o", {{"k", 1}}}};
  EXPECT_EQ(Render("{{f}} {{g}} {{b}} [{{n}}]", ctx), "19.5 52 true []");
  EXPECT_EQ(Render("{{o}}", ctx), "{\n  \"k\": 1\n}");
}

TEST(TemplateTest, SubstitutedValuesAreNotReparsed) {
  Json ctx = {{"code", "template <int N> struct A {{ x }};"}};
  EXPECT_EQ(Render("{{code}}", ctx), "template <int N> struct A {{ x }};");
}

TEST(TemplateTest, SectionRendersOnlyWhenTruthy) {
  Json ctx = {{"yes", true}, {"no", false}, {"empty", ""}, {"zero", 0}, {"none", nullptr},
              {"list", Json::array()}, {"s", "text"}};
  EXPECT_EQ(Render("{{#yes}}A{{/yes}}{{#no}}B{{/no}}{{#empty}}C{{/empty}}{{#zero}}D{{/zero}}"
                   "{{#none}}E{{/none}}{{#list}}F{{/list}}{{#s}}G{{.}}{{/s}}",
                   ctx),
            "AGtext");
}

TEST(TemplateTest, InvertedSectionRendersWhenFalsy) {
  Json ctx = {{"items", Json::array()}, {"flag", true}};
  EXPECT_EQ(Render("{{^items}}none{{/items}}{{^flag}}off{{/flag}}", ctx), "none");
}

TEST(TemplateTest, SectionIteratesArraysWithEachElementAsContext) {
  Json ctx = {{"title", "T"},
              {"skills", Json::array({{{"name", "a"}}, {{"name", "b"}}})},
              {"words", Json::array({"x", "y", 3})}};
  // Outer names stay visible inside the section.
  EXPECT_EQ(Render("{{#skills}}{{title}}:{{name}};{{/skills}}", ctx), "T:a;T:b;");
  EXPECT_EQ(Render("{{#words}}<{{.}}>{{/words}}", ctx), "<x><y><3>");
}

TEST(TemplateTest, ObjectSectionUsesTheObjectAsContext) {
  Json ctx = {{"parent", {{"speedup", 1.5}, {"code", "c"}}}};
  EXPECT_EQ(Render("{{#parent}}{{speedup}}x {{code}}{{/parent}}", ctx), "1.5x c");
}

TEST(TemplateTest, NestedSectionsOfTheSameName) {
  Json ctx = {{"a", {{"a", {{"v", 1}}}}}};
  EXPECT_EQ(Render("{{#a}}[{{#a}}{{v}}{{/a}}]{{/a}}", ctx), "[1]");
}

TEST(TemplateTest, StandaloneBlockTagsRemoveTheirLines) {
  Json ctx = {{"items", Json::array({"a", "b"})}, {"no", false}};
  std::string text =
      "head\n"
      "{{! a note for template authors }}\n"
      "  {{#items}}\n"
      "- {{.}}\n"
      "  {{/items}}\n"
      "{{#no}}\n"
      "hidden\n"
      "{{/no}}\n"
      "tail\n";
  EXPECT_EQ(Render(text, ctx), "head\n- a\n- b\ntail\n");
  // Not alone on its line: the surrounding text stays.
  EXPECT_EQ(Render("x {{#items}}{{.}}{{/items}} y\n", ctx), "x ab y\n");
}

TEST(TemplateTest, StandaloneTagOnLastLineWithoutNewline) {
  EXPECT_EQ(Render("a\n{{#f}}\nb\n{{/f}}", Json{{"f", true}}), "a\nb\n");
}

TEST(TemplateTest, UnknownVariableNamesFileLineAndVariable) {
  std::string m = ErrorOf("line one\n{{tasks_source}}", Json{{"task_source", "x"}});
  EXPECT_NE(m.find("'t.md'"), std::string::npos) << m;
  EXPECT_NE(m.find("line 2"), std::string::npos) << m;
  EXPECT_NE(m.find("'tasks_source'"), std::string::npos) << m;
}

TEST(TemplateTest, UnknownDottedTailAndUnknownSectionAreErrors) {
  EXPECT_NE(ErrorOf("{{target.archh}}", Json{{"target", {{"arch", "h100"}}}}).find("target.archh"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{{#missing}}x{{/missing}}", Json::object()).find("'missing'"),
            std::string::npos);
}

TEST(TemplateTest, UnbalancedSectionsAreErrorsWithLines) {
  Json ctx = {{"a", true}, {"b", true}};
  std::string unclosed = ErrorOf("x\n{{#a}}\ny", ctx);
  EXPECT_NE(unclosed.find("line 2"), std::string::npos) << unclosed;
  EXPECT_NE(unclosed.find("never closed"), std::string::npos) << unclosed;
  std::string stray = ErrorOf("{{/a}}", ctx);
  EXPECT_NE(stray.find("never opened"), std::string::npos) << stray;
  std::string crossed = ErrorOf("{{#a}}{{#b}}{{/a}}{{/b}}", ctx);
  EXPECT_NE(crossed.find("closes the section 'b'"), std::string::npos) << crossed;
  std::string open_tag = ErrorOf("a {{name", ctx);
  EXPECT_NE(open_tag.find("never closed with '}}'"), std::string::npos) << open_tag;
}

TEST(TemplateTest, FileRenderingAndMissingFile) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("akg_template_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ASSERT_TRUE(WriteFileAtomic(dir / "hello.md", "Hello {{who}}\n").ok());
  auto ok = RenderTemplateFile(dir, "hello.md", Json{{"who", "model"}});
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok, "Hello model\n");
  auto missing = RenderTemplateFile(dir, "nope.md", Json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kConfig);
  EXPECT_NE(missing.status().message().find("nope.md"), std::string::npos);
  EXPECT_NE(missing.status().message().find(dir.string()), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace akg
