#include "store/html_report.h"

#include <unistd.h>

#include <regex>

#include <gtest/gtest.h>

#include "core/files.h"
#include "core/json.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

// The text a browser would show: tags removed, the five entities read back.
std::string VisibleText(const std::string& html) {
  std::string s = std::regex_replace(html, std::regex("<[^>]*>"), "");
  for (auto [from, to] : {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"},
                          {"&#xFFFD;", "\xEF\xBF\xBD"}, {"&amp;", "&"}}) {
    s = std::regex_replace(s, std::regex(from), to);
  }
  return s;
}

TEST(HtmlEscapeTest, EscapesTheFiveMarkupCharactersAndNul) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(HtmlEscape(std::string_view("x\0y", 3)), "x&#xFFFD;y");
  EXPECT_EQ(HtmlEscape("plain ü"), "plain ü");
}

TEST(HighlightPythonTest, WrapsKeywordsBuiltinsStringsCommentsAndNumbers) {
  std::string h = HighlightPython("import torch  # the reference\nx = len('a') + 0x1F + 1e-3\n");
  EXPECT_NE(h.find("<span class=\"k\">import</span>"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"c\"># the reference</span>"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"b\">len</span>"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"s\">&#39;a&#39;</span>"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"n\">0x1F</span>"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"n\">1e-3</span>"), std::string::npos) << h;
  EXPECT_EQ(h.find("<span class=\"k\">torch</span>"), std::string::npos);
}

TEST(HighlightPythonTest, PrefixedAndTripleQuotedStringsAreOneTokenAcrossLines) {
  std::string h = HighlightPython("s = r\"a\\\"b\" + f'{x}'\ndoc = \"\"\"one\n# not a comment\n\"\"\"\n");
  EXPECT_NE(h.find("<span class=\"s\">r&quot;a\\&quot;b&quot;</span>"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"s\">f&#39;{x}&#39;</span>"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"s\">&quot;&quot;&quot;one\n# not a comment\n&quot;&quot;&quot;</span>"),
            std::string::npos)
      << h;
  EXPECT_EQ(h.find("class=\"c\""), std::string::npos);
}

TEST(HighlightPythonTest, NamesAfterDefAndClassAndDecoratorsAreMarked) {
  std::string h = HighlightPython("@torch.jit.script\nclass ModelNew(nn.Module):\n    def  forward(self):\n");
  EXPECT_NE(h.find("<span class=\"d\">@torch.jit.script</span>"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"f\">ModelNew</span>"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"f\">forward</span>"), std::string::npos) << h;
  EXPECT_NE(h.find("<span class=\"b\">self</span>"), std::string::npos) << h;
  // `@` inside an expression is matrix multiplication, not a decorator
  EXPECT_EQ(HighlightPython("y = a @b").find("class=\"d\""), std::string::npos);
}

TEST(HighlightPythonTest, KeepsEveryCharacterAndLetsNoMarkupThrough) {
  const std::string tricky =
      "s = '<script>alert(1)</script>'\nt = \"unterminated\nu = '''never closed <b>\n"
      "v = 1.5e+3j & 0b10 \\ \xE2\x9C\x93 \x01";
  std::string h = HighlightPython(tricky);
  EXPECT_EQ(VisibleText(h), tricky);
  EXPECT_EQ(h.find("<script"), std::string::npos);
  EXPECT_EQ(h.find("<b>"), std::string::npos);
}

TEST(BestSoFarTest, StartsEmptyAndRisesOnlyOnANewRecord) {
  std::vector<ChartPoint> p = {{"1", std::nullopt, "compile_error"},
                               {"2", 1.5, "passed"},
                               {"3", 0.9, "passed"},
                               {"4", std::nullopt, "wrong_answer"},
                               {"5", 2.5, "passed"}};
  auto best = BestSoFar(p);
  ASSERT_EQ(best.size(), 5u);
  EXPECT_FALSE(best[0]);
  EXPECT_EQ(best[1], 1.5);
  EXPECT_EQ(best[2], 1.5);
  EXPECT_EQ(best[3], 1.5);
  EXPECT_EQ(best[4], 2.5);
}

TEST(BestSpeedupSvgTest, DrawsStepLineDotsCrossesParityAndEscapedLabels) {
  std::vector<ChartPoint> p = {{"<c1>", std::nullopt, "compile_error"},
                               {"c2", 1.5, "passed"},
                               {"c3", 3.25, "passed"}};
  std::string svg = BestSpeedupSvg(p);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(Count(svg, "<circle"), 2u);
  EXPECT_NE(svg.find("stroke=\"#1f55c0\""), std::string::npos);  // the best-so-far line
  EXPECT_NE(svg.find("eager 1.0x"), std::string::npos);
  EXPECT_NE(svg.find("&lt;c1&gt;: compile_error"), std::string::npos);
  EXPECT_EQ(svg.find("<c1>"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(BestSpeedupSvgTest, NoPointsGiveAParagraphAndNothingPassedStillDrawsAxes) {
  EXPECT_EQ(BestSpeedupSvg({}).rfind("<p", 0), 0u);
  std::string svg = BestSpeedupSvg({{"1", std::nullopt, "timeout"}});
  EXPECT_NE(svg.find("eager 1.0x"), std::string::npos);
  EXPECT_EQ(svg.find("<circle"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

// A run folder written by hand in the shapes BuildReportJson and CandidateToJson write.
class HtmlReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("akg_html_report_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& rel, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomic(dir_ / rel, text).ok());
  }
  void WriteJson(const std::string& rel, const Json& j) { Write(rel, j.dump(2)); }

  static Json Profile(double speedup) {
    return {{"ok", true},
            {"speedup_vs_eager", speedup},
            {"speedup_vs_torch_compile", 1.25},
            {"kernel", {{"median_ms", 0.5}, {"runs", 4}}},
            {"reference_eager", {{"median_ms", 0.5 * speedup}}},
            {"torch_compile", {{"median_ms", 0.625}}},
            {"timing_method", "cpu_wall"},
            {"performance_valid", true},
            {"sol", {{"fraction_of_sol_candidate", 0.62}, {"sol_ms", 0.31}, {"bound", "memory"}}}};
  }

  static Json Candidate(const std::string& id, const std::string& parent, int island, int round,
                        const std::string& verdict, double speedup) {
    bool passed = verdict == "passed";
    return {{"id", id}, {"parent", parent.empty() ? Json(nullptr) : Json(parent)},
            {"island", island}, {"round", round}, {"inspirations", Json::array()},
            {"description", "variant " + id}, {"generation_error", nullptr},
            {"verify", {{"verdict", verdict}, {"message", verdict + " message"}}},
            {"passed", passed}, {"profile", passed ? Profile(speedup) : Json(nullptr)}};
  }

  Json BaseReport(const std::string& workflow) {
    return {{"workflow", workflow},
            {"started_utc", "2026-12-02T07:14:59Z"},
            {"wall_seconds", 6.5},
            {"target", {{"framework", "torch"}, {"backend", "cpu"}, {"arch", "x86_64"}, {"dsl", "cpp"}}},
            {"task", {{"name", "swish"},
                      {"inputs", {{{"index", 0}, {"kind", "tensor"}, {"shape", {64, 65536}}, {"dtype", "float32"}}}},
                      {"outputs", {{{"index", 0}, {"kind", "tensor"}, {"shape", {64, 65536}}, {"dtype", "float32"}}}}}},
            {"verified", true},
            {"final_kernel", "kernel.py"},
            {"profile", Profile(2.62)},
            {"device_utilisation",
             {{"devices", {{{"device", "cpu#0"}, {"utilisation", 0.87}, {"leases", 4}, {"busy_s", 4.2},
                            {"harness", "warm"}}}},
              {"mean_utilisation", 0.87}, {"span_s", 4.8}}}};
  }

  std::string Page() {
    auto page = BuildHtmlReport(dir_);
    EXPECT_TRUE(page.ok()) << page.status().message();
    return page.ok() ? *page : "";
  }

  fs::path dir_;
};

TEST_F(HtmlReportTest, AFolderWithoutReportJsonIsAnInputErrorNamingTheFolder) {
  auto page = BuildHtmlReport(dir_);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().kind(), ErrorKind::kInput);
  EXPECT_NE(page.status().message().find(dir_.string()), std::string::npos);
  EXPECT_NE(page.status().message().find("report.json"), std::string::npos);
  EXPECT_EQ(page.status().message().find('\n'), std::string::npos);

  auto missing = BuildHtmlReport(dir_ / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kInput);

  Write("report.json", "{not json");
  auto bad = BuildHtmlReport(dir_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().kind(), ErrorKind::kInput);
}

TEST_F(HtmlReportTest, DefaultRunShowsTaskVerdictsSpeedupsUtilisationAndHighlightedKernel) {
  Json report = BaseReport("default");
  report["attempts"] = {{{"attempt", 1}, {"verdict", "wrong_answer"}, {"kernel", "attempts/01/kernel.py"},
                         {"description", "first"}, {"message", "output 0 differs"}},
                        {{"attempt", 2}, {"verdict", "passed"}, {"kernel", "attempts/02/kernel.py"},
                         {"description", "second"}, {"message", "passed 4 trials"}}};
  WriteJson("report.json", report);
  WriteJson("attempts/02/profile.json", Profile(2.62));
  Write("task.py", "class Model:\n    pass\n");
  Write("kernel.py", "def forward(x):\n    return \"</pre><script>alert(1)</script>\"  # done\n");
  std::string page = Page();
  std::string text = VisibleText(page);
  EXPECT_NE(text.find("swish"), std::string::npos);
  EXPECT_NE(text.find("2 attempts: 1 passed, 1 wrong_answer"), std::string::npos) << text;
  EXPECT_NE(text.find("2.62x"), std::string::npos);
  EXPECT_NE(text.find("1.25x"), std::string::npos);  // vs torch.compile
  EXPECT_NE(text.find("0.62"), std::string::npos);   // fraction of SOL
  EXPECT_NE(text.find("[64, 65536]"), std::string::npos);
  EXPECT_NE(text.find("float32"), std::string::npos);
  EXPECT_NE(text.find("cpu#0"), std::string::npos);
  EXPECT_NE(page.find("width:87.0%"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"f\">forward</span>"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"f\">Model</span>"), std::string::npos);
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);  // the kernel's text stays text
  EXPECT_EQ(page.find("Lineage"), std::string::npos);
}

TEST_F(HtmlReportTest, ThePageFetchesNothing) {
  WriteJson("report.json", BaseReport("default"));
  std::string page = Page();
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  // The one address is the SVG namespace, which is a name, not a request.
  EXPECT_EQ(Count(page, "http"), Count(page, "http://www.w3.org/2000/svg"));
}

TEST_F(HtmlReportTest, EvolveRunShowsLineageByIslandMigrationsAndBestSoFar) {
  Json report = BaseReport("evolve");
  report["best_candidate"] = "c0003";
  report["search"] = {{"migrations", {"after round 0: c0001:0->1"}},
                      {"islands", {{{{"id", "c0003"}, {"home_island", 0}}},
                                   {{{"id", "c0001"}, {"home_island", 0}}}}}};
  WriteJson("report.json", report);
  WriteJson("candidates/c0001/meta.json", Candidate("c0001", "", 0, 0, "passed", 1.5));
  WriteJson("candidates/c0002/meta.json", Candidate("c0002", "", 1, 0, "compile_error", 0));
  WriteJson("candidates/c0003/meta.json", Candidate("c0003", "c0001", 0, 1, "passed", 2.62));
  WriteJson("candidates/c0004/meta.json", Candidate("c0004", "c0001", 1, 1, "wrong_answer", 0));
  Write("search_log.jsonl",
        "{\"proposals\":[{\"id\":\"c0001\",\"parent\":\"\"},{\"id\":\"c0002\",\"parent\":\"\"}],\"round\":0}\n"
        "{\"observe\":\"c0001\"}\nnot json\n");
  std::string page = Page();
  std::string text = VisibleText(page);
  EXPECT_NE(text.find("Lineage"), std::string::npos);
  EXPECT_NE(text.find("4 candidates: 2 passed, 1 compile_error, 1 wrong_answer"), std::string::npos) << text;
  EXPECT_NE(text.find("island 1"), std::string::npos);
  EXPECT_NE(text.find("after round 0: c0001:0->1"), std::string::npos);
  EXPECT_NE(text.find("c0001 (migrant from island 0)"), std::string::npos);
  EXPECT_NE(text.find("on island 1 from a migrant"), std::string::npos);  // c0004's parent
  EXPECT_NE(text.find("round 0: propose c0001 (new) c0002 (new)"), std::string::npos) << text;
  EXPECT_NE(text.find("observe c0001"), std::string::npos);
  // c0003 and c0004 sit under c0001 in the nested list
  size_t c1 = page.find("<b>c0001</b>"), c3 = page.find("<b>c0003</b>");
  ASSERT_NE(c1, std::string::npos);
  ASSERT_NE(c3, std::string::npos);
  EXPECT_NE(page.substr(c1, c3 - c1).find("<ul>"), std::string::npos);
  EXPECT_NE(page.find("node best\"><b>c0003</b>"), std::string::npos);
  EXPECT_EQ(Count(page, "<circle"), 2u);
}

TEST_F(HtmlReportTest, AdaptiveRunShowsTheUcbTreeWithPulls) {
  Json report = BaseReport("adaptive_search");
  report["search"] = {{"arms", {{{"id", "c0001"}, {"pulls", 2}, {"mean_reward", 0.5}}}}};
  report["candidates"] = {Candidate("c0001", "", 0, 0, "passed", 1.5),
                          Candidate("c0002", "c0001", 0, 1, "passed", 0.9)};
  WriteJson("report.json", report);  // no candidates/ folder: report.json's copy is used
  std::string text = VisibleText(Page());
  EXPECT_NE(text.find("UCB tree"), std::string::npos);
  EXPECT_NE(text.find("UCB pulls 2, mean reward 0.500"), std::string::npos) << text;
  EXPECT_NE(text.find("2 candidates: 2 passed"), std::string::npos);
}

TEST_F(HtmlReportTest, KernelgenOnlySaysUnverifiedAndMissingFilesAreNamed) {
  Json report = BaseReport("kernelgen_only");
  report["unverified"] = true;
  report["verified"] = false;
  report["profile"] = nullptr;
  report["attempts"] = {{{"attempt", 1}, {"verdict", "passed"}}};
  WriteJson("report.json", report);
  std::string text = VisibleText(Page());
  EXPECT_NE(text.find("UNVERIFIED"), std::string::npos);
  EXPECT_NE(text.find("no profile"), std::string::npos);
  EXPECT_NE(text.find("task.py is not in the folder"), std::string::npos);
  EXPECT_NE(text.find("no final kernel in the folder"), std::string::npos);
}

}  // namespace
}  // namespace akg
