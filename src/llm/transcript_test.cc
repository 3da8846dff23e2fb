#include "llm/transcript.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/files.h"
#include "env/clock.h"
#include "env/fake_process_runner.h"
#include "llm/accounting.h"
#include "llm/command_provider.h"

namespace akg {
namespace {

namespace fs = std::filesystem;

// Answers "reply to <last user message>", counting calls.
class EchoLlm : public LlmClient {
 public:
  Result<LlmReply> Complete(const LlmRequest& request, LlmErrorKind* kind) override {
    ++calls;
    if (kind) *kind = LlmErrorKind::kNone;
    LlmReply r;
    r.text = "reply to " + request.messages.back().content;
    r.finish_reason = "stop";
    r.usage = {100, 20};
    r.model = "echo-1";
    return r;
  }
  std::string Describe() const override { return "echo"; }
  int calls = 0;
};

LlmRequest Req(const std::string& agent, const std::string& user) {
  LlmRequest r;
  r.agent = agent;
  r.messages = {{"system", "be brief"}, {"user", user}};
  return r;
}

fs::path TempDir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

TEST(LlmTranscript, RecordsBufferedAndLaterCallsAndReplaysThem) {
  fs::path dir = TempDir("akg-transcript");
  auto recorder = std::make_shared<TranscriptRecorder>(std::vector<std::string>{"sk-topsecret"});
  auto echo = std::make_shared<EchoLlm>();
  RecordingLlm llm(echo, "m1", recorder);
  ASSERT_TRUE(llm.Complete(Req("task_constructor", "make a task with sk-topsecret"), nullptr).ok());
  ASSERT_TRUE(recorder->Attach(dir / "llm").ok());
  ASSERT_TRUE(llm.Complete(Req("kernel_gen", "write a kernel"), nullptr).ok());
  ASSERT_TRUE(llm.Complete(Req("kernel_gen", "write a kernel"), nullptr).ok());
  EXPECT_EQ(recorder->calls(), 3);
  EXPECT_TRUE(fs::exists(dir / "llm/0001-task_constructor.prompt.md"));
  EXPECT_TRUE(fs::exists(dir / "llm/0002-kernel_gen.reply.md"));
  auto text = ReadFile(dir / "llm/transcript.jsonl");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->find("sk-topsecret"), std::string::npos) << "key leaked into the transcript";
  EXPECT_NE(text->find("[redacted]"), std::string::npos);

  auto replay = ReplayLlm::Load(dir / "llm/transcript.jsonl");
  ASSERT_TRUE(replay.ok()) << replay.status().message();
  auto r1 = (*replay)->Complete(Req("kernel_gen", "write a kernel"), nullptr);
  auto r2 = (*replay)->Complete(Req("kernel_gen", "write a kernel"), nullptr);
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->text, "reply to write a kernel");
  EXPECT_EQ(r1->usage.input_tokens, 100);
  // Each recorded reply serves once: a third identical request diverges.
  LlmErrorKind kind;
  auto r3 = (*replay)->Complete(Req("kernel_gen", "write a kernel"), &kind);
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.status().message().find("diverged"), std::string::npos);
  // The task constructor's reply serves a different prompt of that agent, counted as such.
  auto r4 = (*replay)->Complete(Req("task_constructor", "something else"), nullptr);
  ASSERT_TRUE(r4.ok());
  EXPECT_EQ((*replay)->prompts_differed(), 1);
  EXPECT_FALSE((*replay)->Complete(Req("kernel_designer", "x"), nullptr).ok());
  fs::remove_all(dir);
}

TEST(LlmTranscript, ReplayOfMissingOrForeignFileIsAClearError) {
  auto missing = ReplayLlm::Load("/nonexistent/transcript.jsonl");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot be read"), std::string::npos);
  fs::path dir = TempDir("akg-foreign");
  fs::create_directories(dir);
  std::ofstream(dir / "t.jsonl") << "{\"agent\": \"x\"}\n";
  auto foreign = ReplayLlm::Load(dir / "t.jsonl");
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.status().message().find("not an akg transcript"), std::string::npos);
  fs::remove_all(dir);
}

TEST(LlmAccounting, CountsPerAgentPricesAndStopsAtBudget) {
  FakeClock clock;
  LlmBudget budget;
  budget.tokens = 240;
  Ledger ledger(&clock, budget);
  ModelSpec spec;
  spec.name = "m";
  spec.price = Price{1.0, 2.0};
  AccountedLlm llm(std::make_shared<EchoLlm>(), spec, &ledger);
  ASSERT_TRUE(llm.Complete(Req("kernel_gen", "a"), nullptr).ok());
  ASSERT_TRUE(llm.Complete(Req("kernel_designer", "b"), nullptr).ok());
  LlmErrorKind kind;
  auto third = llm.Complete(Req("kernel_gen", "c"), &kind);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(kind, LlmErrorKind::kBudget);
  EXPECT_NE(third.status().message().find("token budget of 240"), std::string::npos);
  Json j = ledger.ToJson();
  EXPECT_EQ(j["calls"], 2);
  EXPECT_EQ(j["input_tokens"], 200);
  EXPECT_EQ(j["output_tokens"], 40);
  EXPECT_NEAR(j["cost"].get<double>(), (200 * 1.0 + 40 * 2.0) / 1e6, 1e-12);
  EXPECT_EQ(j["by_agent"]["kernel_gen"]["calls"], 1);
  EXPECT_TRUE(j["budget_exhausted"].is_string());
}

TEST(LlmAccounting, UnpricedModelMakesCostUnknownAndWallBudgetUsesClock) {
  FakeClock clock;
  LlmBudget budget;
  budget.wall_s = 60;
  Ledger ledger(&clock, budget);
  ModelSpec spec;
  spec.name = "free";
  AccountedLlm llm(std::make_shared<EchoLlm>(), spec, &ledger);
  ASSERT_TRUE(llm.Complete(Req("kernel_gen", "a"), nullptr).ok());
  EXPECT_TRUE(ledger.ToJson()["cost"].is_null());
  std::string why;
  EXPECT_FALSE(ledger.BudgetExhausted(&why));
  clock.Advance(61);
  EXPECT_TRUE(ledger.BudgetExhausted(&why));
  EXPECT_NE(why.find("wall-time"), std::string::npos);
}

TEST(LlmCommandProvider, SendsRequestOnStdinAndParsesJsonOrText) {
  FakeProcessRunner runner;
  FakeClock clock;
  std::string seen_stdin;
  runner.Enqueue([&](const ProcessSpec& spec) {
    seen_stdin = spec.stdin_data;
    return FakeProcessRunner::Exited(
        0, R"({"text": "hello", "usage": {"input_tokens": 7, "output_tokens": 3}})");
  });
  runner.Enqueue(FakeProcessRunner::Exited(0, "plain text reply\n"));
  ModelSpec spec;
  spec.name = "local";
  spec.provider = "command";
  spec.command = {"my-model"};
  spec.model = "m";
  auto client = MakeCommandClient(spec, &runner, &clock);
  auto r = client->Complete(Req("kernel_gen", "hi"), nullptr);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->text, "hello");
  EXPECT_EQ(r->usage.input_tokens, 7);
  auto req = ParseJson(seen_stdin, "stdin");
  ASSERT_TRUE(req.ok());
  EXPECT_EQ((*req)["agent"], "kernel_gen");
  EXPECT_EQ((*req)["messages"][1]["content"], "hi");
  auto r2 = client->Complete(Req("kernel_gen", "hi"), nullptr);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->text, "plain text reply\n");
  EXPECT_GT(r2->usage.output_tokens, 0);  // estimated
}

TEST(LlmCommandProvider, RetriesFailuresWithBackoffThenGivesAClearError) {
  FakeProcessRunner runner;
  FakeClock clock;
  runner.Enqueue(FakeProcessRunner::Exited(1, "", "boom\n"));
  runner.Enqueue(FakeProcessRunner::TimedOut(5));
  runner.Enqueue(FakeProcessRunner::Exited(0, "ok"));
  ModelSpec spec;
  spec.name = "local";
  spec.command = {"my-model"};
  spec.retry.max_retries = 2;
  spec.retry.base_delay_s = 1;
  auto client = MakeCommandClient(spec, &runner, &clock);
  auto r = client->Complete(Req("kernel_gen", "x"), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->attempts, 3);
  EXPECT_DOUBLE_EQ(clock.slept_seconds(), 3.0);  // 1 + 2

  runner.SetHandler([](const ProcessSpec&) { return FakeProcessRunner::Exited(2, "", "bad model\n"); });
  LlmErrorKind kind;
  auto bad = client->Complete(Req("kernel_gen", "x"), &kind);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad model"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("3 attempts"), std::string::npos);

  FakeProcessRunner missing;
  missing.Enqueue(FakeProcessRunner::NotStarted("not found"));
  auto client2 = MakeCommandClient(spec, &missing, &clock);
  auto nf = client2->Complete(Req("kernel_gen", "x"), &kind);
  ASSERT_FALSE(nf.ok());
  EXPECT_EQ(kind, LlmErrorKind::kConfig);
  EXPECT_NE(nf.status().message().find("fix 'command'"), std::string::npos);
}

}  // namespace
}  // namespace akg
