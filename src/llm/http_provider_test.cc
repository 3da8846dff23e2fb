// The shared client behaviour (retries, back-off, classification, cancellation, secrecy),
// driven through the OpenAI dialect with a scripted transport and a fake clock.
#include "llm/http_provider.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "env/process_runner.h"
#include "llm/fake_http_transport.h"
#include "llm/openai_provider.h"

namespace akg {
namespace {

TEST(BackoffDelayTest, DoublesPerRetryIsCappedAndScaledByTheJitterDraw) {
  RetryPolicy p;
  p.base_delay_s = 1.0;
  p.max_delay_s = 30.0;
  EXPECT_DOUBLE_EQ(BackoffDelay(p, 1), 1.0);
  EXPECT_DOUBLE_EQ(BackoffDelay(p, 2), 2.0);
  EXPECT_DOUBLE_EQ(BackoffDelay(p, 5), 16.0);
  EXPECT_DOUBLE_EQ(BackoffDelay(p, 6), 30.0);    // capped
  EXPECT_DOUBLE_EQ(BackoffDelay(p, 500), 30.0);  // no overflow on absurd retry counts
  EXPECT_DOUBLE_EQ(BackoffDelay(p, 2, 0.75), 1.5);
  EXPECT_DOUBLE_EQ(BackoffDelay(p, 6, 1.25), 30.0);  // jitter never passes the cap
}

constexpr const char* kKey = "sk-secret-123456";

ModelSpec TestSpec() {
  ModelSpec spec;
  spec.name = "test";
  spec.provider = "openai";
  spec.base_url = "https://api.example.com/v1";
  spec.api_key = kKey;
  spec.model = "m1";
  spec.retry = RetryPolicy{/*max_retries=*/3, /*base_delay_s=*/1, /*max_delay_s=*/30,
                           /*jitter=*/0};
  return spec;
}

std::string Chunk(const Json& delta, const char* finish = nullptr) {
  Json choice = {{"index", 0}, {"delta", delta}};
  choice["finish_reason"] = finish ? Json(finish) : Json(nullptr);
  return "data: " + Json{{"model", "m1-0613"}, {"choices", {choice}}}.dump() + "\n\n";
}

FakeHttpReply Stream(const std::vector<std::string>& texts, const char* finish = "stop",
                     bool usage = true) {
  FakeHttpReply reply;
  for (const auto& t : texts) reply.chunks.push_back(Chunk({{"content", t}}));
  reply.chunks.push_back(Chunk(Json::object(), finish));
  if (usage) {
    Json u = {{"choices", Json::array()},
              {"usage", {{"prompt_tokens", 11}, {"completion_tokens", 7}}}};
    reply.chunks.push_back("data: " + u.dump() + "\n\n");
  }
  reply.chunks.push_back("data: [DONE]\n\n");
  return reply;
}

LlmRequest Ask(std::string text = "write a kernel") {
  LlmRequest request;
  request.agent = "kernel_gen";
  request.messages = {{"system", "you write kernels"}, {"user", std::move(text)}};
  return request;
}

class HttpProviderTest : public ::testing::Test {
 protected:

  std::unique_ptr<LlmClient> Client(ModelSpec spec = TestSpec()) {
    auto client = MakeOpenAiClient(spec, HttpDeps{transport_, clock_, 42});
    EXPECT_TRUE(client.ok()) << client.status().message();
    return std::move(client).value();
  }

  std::shared_ptr<FakeHttpTransport> transport_ = std::make_shared<FakeHttpTransport>();
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
};

TEST_F(HttpProviderTest, StreamsTextToOnDeltaAndReturnsTheWholeReply) {
  transport_->Push(Stream({"def ", "kernel()"}));
  std::vector<std::string> deltas;
  LlmRequest request = Ask();
  request.on_delta = [&](const std::string& d) { deltas.push_back(d); };
  auto reply = Client()->Complete(request);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->text, "def kernel()");
  EXPECT_EQ(deltas, (std::vector<std::string>{"def ", "kernel()"}));
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->model, "m1-0613");
  EXPECT_EQ(reply->usage.input_tokens, 11);
  EXPECT_EQ(reply->usage.output_tokens, 7);
  EXPECT_EQ(reply->attempts, 1);
}

TEST_F(HttpProviderTest, ServerErrorsAreRetriedWithDoublingBackoff) {
  transport_->PushBody(500, "{\"error\":{\"message\":\"boom\"}}");
  transport_->PushBody(502, "bad gateway");
  transport_->Push(Stream({"ok"}));
  auto reply = Client()->Complete(Ask());
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->attempts, 3);
  EXPECT_DOUBLE_EQ(clock_->slept_seconds(), 1.0 + 2.0);
  EXPECT_DOUBLE_EQ(reply->seconds, 3.0);
}

TEST_F(HttpProviderTest, RetryAfterReplacesBackoffAndIsCappedAtMaxDelay) {
  transport_->PushBody(429, "slow down", {{"retry-after", "7"}});
  transport_->PushBody(429, "slow down", {{"retry-after", "100"}});
  transport_->PushBody(429, "slow down", {{"retry-after-ms", "1500"}});
  transport_->Push(Stream({"ok"}));
  auto reply = Client()->Complete(Ask());
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_DOUBLE_EQ(clock_->slept_seconds(), 7 + 30 + 1.5);
}

TEST_F(HttpProviderTest, JitterKeepsEachDelayWithinItsBounds) {
  ModelSpec spec = TestSpec();
  spec.retry.jitter = 0.5;
  transport_->PushBody(503, "");
  transport_->Push(Stream({"ok"}));
  ASSERT_TRUE(Client(spec)->Complete(Ask()).ok());
  EXPECT_GE(clock_->slept_seconds(), 0.5);
  EXPECT_LE(clock_->slept_seconds(), 1.5);
}

TEST_F(HttpProviderTest, GivesUpAfterMaxRetriesAndSaysHowManyAttempts) {
  for (int i = 0; i < 4; ++i) transport_->PushBody(503, "{\"error\":\"overloaded\"}");
  transport_->Push(Stream({"never reached"}));
  LlmErrorKind kind;
  auto reply = Client()->Complete(Ask(), &kind);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(kind, LlmErrorKind::kServer);
  EXPECT_EQ(reply.status().kind(), ErrorKind::kInternal);
  EXPECT_EQ(transport_->requests().size(), 4u);
  EXPECT_NE(reply.status().message().find("HTTP 503: overloaded (4 attempts)"), std::string::npos)
      << reply.status().message();
  EXPECT_NE(reply.status().message().find("openai-compatible m1 at https://api.example.com/v1"),
            std::string::npos);
}

TEST_F(HttpProviderTest, AuthErrorIsNotRetriedAndNeverShowsTheKey) {
  transport_->PushBody(401, std::string("{\"error\":{\"message\":\"Incorrect API key: ") + kKey +
                                "\"}}");
  LlmErrorKind kind;
  auto reply = Client()->Complete(Ask(), &kind);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(kind, LlmErrorKind::kAuth);
  EXPECT_EQ(reply.status().kind(), ErrorKind::kConfig);
  EXPECT_EQ(transport_->requests().size(), 1u);
  const std::string message = reply.status().message();
  EXPECT_EQ(message.find(kKey), std::string::npos) << message;
  EXPECT_NE(message.find("[redacted]"), std::string::npos) << message;
  EXPECT_NE(message.find("OPENAI_API_KEY"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST_F(HttpProviderTest, BadRequestIsAConfigErrorWithTheServersReason) {
  transport_->PushBody(400, "{\"error\":{\"message\":\"max_tokens is too large\"}}");
  LlmErrorKind kind;
  auto reply = Client()->Complete(Ask(), &kind);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(kind, LlmErrorKind::kConfig);
  EXPECT_EQ(transport_->requests().size(), 1u);
  EXPECT_NE(reply.status().message().find("HTTP 400: max_tokens is too large"), std::string::npos);
}

TEST_F(HttpProviderTest, ExhaustedQuotaIsNotRetriedLikeARateLimit) {
  transport_->PushBody(429, "{\"error\":{\"code\":\"insufficient_quota\",\"message\":\"quota\"}}");
  LlmErrorKind kind;
  EXPECT_FALSE(Client()->Complete(Ask(), &kind).ok());
  EXPECT_EQ(kind, LlmErrorKind::kConfig);
  EXPECT_EQ(transport_->requests().size(), 1u);
}

TEST_F(HttpProviderTest, EmptyReplyIsRetriedOnceThenAnError) {
  for (int i = 0; i < 3; ++i) transport_->Push(Stream({}));
  LlmErrorKind kind;
  auto reply = Client()->Complete(Ask(), &kind);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(kind, LlmErrorKind::kEmpty);
  EXPECT_EQ(transport_->requests().size(), 2u);
}

TEST_F(HttpProviderTest, ReasoningOnlyReplyCutAtMaxTokensNamesMaxTokens) {
  FakeHttpReply reply;
  reply.chunks = {Chunk({{"reasoning_content", "thinking hard"}}), Chunk({}, "length"),
                  "data: [DONE]\n\n"};
  transport_->Push(reply);
  LlmErrorKind kind;
  LlmRequest request = Ask();
  request.max_tokens = 512;
  auto result = Client()->Complete(request, &kind);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(kind, LlmErrorKind::kTruncated);
  EXPECT_EQ(transport_->requests().size(), 1u);
  EXPECT_NE(result.status().message().find("max_tokens (512)"), std::string::npos)
      << result.status().message();
}

TEST_F(HttpProviderTest, TruncatedReplyWithTextIsReturnedWithFinishLength) {
  transport_->Push(Stream({"partial code"}, "length"));
  auto reply = Client()->Complete(Ask());
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->finish_reason, "length");
  EXPECT_EQ(reply->text, "partial code");
}

TEST_F(HttpProviderTest, ContentFilterStopIsARefusal) {
  transport_->Push(Stream({"some"}, "content_filter"));
  LlmErrorKind kind;
  EXPECT_FALSE(Client()->Complete(Ask(), &kind).ok());
  EXPECT_EQ(kind, LlmErrorKind::kRefused);
  EXPECT_EQ(transport_->requests().size(), 1u);
}

TEST_F(HttpProviderTest, StreamCutOffMidwayIsRetriedAndTheNewAttemptStreamsAgain) {
  FakeHttpReply cut;
  cut.chunks = {Chunk({{"content", "half"}})};
  cut.error = TransportError::kNetwork;
  cut.error_message = "Connection reset by peer";
  transport_->Push(cut);
  transport_->Push(Stream({"whole"}));
  std::string shown;
  LlmRequest request = Ask();
  request.on_delta = [&](const std::string& d) { shown += d; };
  auto reply = Client()->Complete(request);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->text, "whole");
  EXPECT_EQ(shown, "halfwhole");
  EXPECT_EQ(reply->attempts, 2);
}

TEST_F(HttpProviderTest, StreamThatEndsWithoutAFinishIsANetworkError) {
  FakeHttpReply reply;
  reply.chunks = {Chunk({{"content", "half"}})};
  for (int i = 0; i < 4; ++i) transport_->Push(reply);
  LlmErrorKind kind;
  auto result = Client()->Complete(Ask(), &kind);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(kind, LlmErrorKind::kNetwork);
  EXPECT_NE(result.status().message().find("ended before"), std::string::npos);
}

TEST_F(HttpProviderTest, MalformedStreamEventIsRetriedThenReported) {
  FakeHttpReply junk;
  junk.chunks = {"data: <html>gateway</html>\n\n"};
  for (int i = 0; i < 4; ++i) transport_->Push(junk);
  LlmErrorKind kind;
  auto result = Client()->Complete(Ask(), &kind);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(kind, LlmErrorKind::kMalformed);
  EXPECT_EQ(transport_->requests().size(), 4u);
  EXPECT_NE(result.status().message().find("base_url points to the openai-compatible API"),
            std::string::npos)
      << result.status().message();
}

TEST_F(HttpProviderTest, IdleTimeoutIsRetriedAndReportedAsATimeout) {
  ModelSpec spec = TestSpec();
  spec.retry.max_retries = 1;
  FakeHttpReply stalled;
  stalled.error = TransportError::kIdleTimeout;
  stalled.error_message = "no data for 60 s";
  transport_->Push(stalled);
  transport_->Push(stalled);
  LlmErrorKind kind;
  auto result = Client(spec)->Complete(Ask(), &kind);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(kind, LlmErrorKind::kTimeout);
  EXPECT_NE(result.status().message().find("stream stalled: no data for 60 s"), std::string::npos);
  EXPECT_NE(result.status().message().find("idle_s"), std::string::npos);
}

TEST_F(HttpProviderTest, BadUrlFromTheTransportIsNotRetried) {
  FakeHttpReply bad;
  bad.error = TransportError::kBadUrl;
  bad.error_message = "SSL peer certificate was not OK";
  transport_->Push(bad);
  LlmErrorKind kind;
  EXPECT_FALSE(Client()->Complete(Ask(), &kind).ok());
  EXPECT_EQ(kind, LlmErrorKind::kConfig);
  EXPECT_EQ(transport_->requests().size(), 1u);
}

TEST_F(HttpProviderTest, CancelBeforeTheCallSendsNothing) {
  CancelToken run_token;
  run_token.Cancel();
  LlmRequest request = Ask();
  request.cancel = &run_token;
  LlmErrorKind kind;
  auto result = Client()->Complete(request, &kind);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(kind, LlmErrorKind::kCancelled);
  EXPECT_TRUE(transport_->requests().empty());
}

// A clock whose first sleep cancels the run, as a user's Ctrl-C would during a back-off.
class CancellingClock final : public Clock {
 public:
  explicit CancellingClock(CancelToken* token) : token_(token) {}
  double NowSeconds() override { return now_; }
  std::string NowIso8601() override { return "2024-01-01T00:00:00Z"; }
  void SleepFor(double seconds) override {
    now_ += seconds;
    token_->Cancel();
  }

 private:
  CancelToken* token_;
  double now_ = 0;
};

TEST_F(HttpProviderTest, CancelDuringBackoffStopsRetrying) {
  transport_->PushBody(500, "");
  transport_->Push(Stream({"never"}));
  CancelToken run_token;
  auto client = MakeOpenAiClient(
      TestSpec(), HttpDeps{transport_, std::make_shared<CancellingClock>(&run_token), 1});
  ASSERT_TRUE(client.ok());
  LlmRequest request = Ask();
  request.cancel = &run_token;
  auto result = (*client)->Complete(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(transport_->requests().size(), 1u);
}

TEST_F(HttpProviderTest, CancelWhileStreamingEndsTheCallAsCancelled) {
  transport_->Push(Stream({"a", "b"}));
  CancelToken run_token;
  LlmRequest request = Ask();
  request.cancel = &run_token;
  request.on_delta = [&run_token](const std::string&) { run_token.Cancel(); };
  auto result = Client()->Complete(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().kind(), ErrorKind::kCancelled);
  EXPECT_EQ(transport_->requests().size(), 1u);
}

TEST_F(HttpProviderTest, NonStreamingReadsTheWholeBodyWithoutAnIdleTimeout) {
  ModelSpec spec = TestSpec();
  spec.stream = false;
  Json body = {{"model", "m1"},
               {"choices", {{{"message", {{"role", "assistant"}, {"content", "done"}}},
                             {"finish_reason", "stop"}}}},
               {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 1}}}};
  transport_->PushBody(200, body.dump());
  auto reply = Client(spec)->Complete(Ask());
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->text, "done");
  EXPECT_EQ(reply->usage.input_tokens, 3);
  ASSERT_EQ(transport_->requests().size(), 1u);
  EXPECT_EQ(transport_->requests()[0].timeouts.idle_s, 0);
}

TEST_F(HttpProviderTest, UsageIsEstimatedFromTextWhenTheApiGivesNone) {
  transport_->Push(Stream({"12345678"}, "stop", /*usage=*/false));
  auto reply = Client()->Complete(Ask("abcd"));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->usage.output_tokens, 2);
  EXPECT_EQ(reply->usage.input_tokens, (17 + 4 + 3) / 4);  // "you write kernels" + "abcd"
}

// Holds every call for a moment and records how many were in flight at once.
class SlowTransport final : public HttpTransport {
 public:
  HttpResponse Post(const HttpRequest&, const HttpSink& sink) override {
    int now = ++in_flight_;
    int seen = max_in_flight_.load();
    while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    --in_flight_;
    FakeHttpReply reply = Stream({"ok"});
    for (const auto& c : reply.chunks) sink(c);
    HttpResponse response;
    response.status = 200;
    return response;
  }
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
};

TEST_F(HttpProviderTest, ConcurrencyLimitsCallsInFlight) {
  ModelSpec spec = TestSpec();
  spec.concurrency = 2;
  auto slow = std::make_shared<SlowTransport>();
  auto client = MakeOpenAiClient(spec, HttpDeps{slow, clock_, 1});
  ASSERT_TRUE(client.ok());
  std::vector<std::thread> threads;
  std::atomic<int> succeeded{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] { succeeded += (*client)->Complete(Ask()).ok() ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(succeeded, 6);
  EXPECT_EQ(slow->max_in_flight_.load(), 2);
}

TEST(HttpHelpersTest, StatusClassesFollowTheRetryContract) {
  EXPECT_EQ(ClassifyHttpStatus(200, ""), LlmErrorKind::kNone);
  EXPECT_EQ(ClassifyHttpStatus(401, ""), LlmErrorKind::kAuth);
  EXPECT_EQ(ClassifyHttpStatus(403, ""), LlmErrorKind::kAuth);
  EXPECT_EQ(ClassifyHttpStatus(404, ""), LlmErrorKind::kConfig);
  EXPECT_EQ(ClassifyHttpStatus(400, ""), LlmErrorKind::kConfig);
  EXPECT_EQ(ClassifyHttpStatus(408, ""), LlmErrorKind::kTimeout);
  EXPECT_EQ(ClassifyHttpStatus(429, "{}"), LlmErrorKind::kRateLimited);
  EXPECT_EQ(ClassifyHttpStatus(529, ""), LlmErrorKind::kServer);
  EXPECT_EQ(ClassifyHttpStatus(500, ""), LlmErrorKind::kServer);
}

TEST(HttpHelpersTest, ErrorDetailReadsTheCommonErrorShapes) {
  EXPECT_EQ(ErrorDetailFromBody("{\"error\":{\"message\":\"a\\nb\"}}"), "a b");
  EXPECT_EQ(ErrorDetailFromBody("{\"error\":\"plain\"}"), "plain");
  EXPECT_EQ(ErrorDetailFromBody("{\"detail\":\"Not Found\"}"), "Not Found");
  EXPECT_EQ(ErrorDetailFromBody("<html>\n <b>502</b>\n</html>"), "<html> <b>502</b> </html>");
  EXPECT_EQ(ErrorDetailFromBody(std::string(1000, 'x')).size(), 300u);
}

TEST(HttpHelpersTest, RetryAfterReadsSecondsAndMillisecondsButNotDates) {
  EXPECT_EQ(RetryAfterSeconds({{"retry-after", "3"}}), 3.0);
  EXPECT_EQ(RetryAfterSeconds({{"retry-after-ms", "250"}, {"retry-after", "3"}}), 0.25);
  EXPECT_EQ(RetryAfterSeconds({{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}}), std::nullopt);
  EXPECT_EQ(RetryAfterSeconds({{"retry-after", "-1"}}), std::nullopt);
  EXPECT_EQ(RetryAfterSeconds({}), std::nullopt);
}

TEST(HttpHelpersTest, RedactAndCleanBaseUrlHideSecrets) {
  EXPECT_EQ(Redact("key k1 and k1", "k1"), "key [redacted] and [redacted]");
  EXPECT_EQ(Redact("nothing", ""), "nothing");
  EXPECT_EQ(CleanBaseUrl("https://user:pw@host.example/v1/"), "https://host.example/v1");
  EXPECT_EQ(CleanBaseUrl("http://localhost:8000/v1"), "http://localhost:8000/v1");
}

TEST(HttpHelpersTest, ValidateRejectsSpecsThatCannotWork) {
  ModelSpec spec = TestSpec();
  EXPECT_TRUE(ValidateHttpSpec(spec, "openai").ok());
  spec.base_url = "api.example.com/v1";
  Status s = ValidateHttpSpec(spec, "openai");
  EXPECT_EQ(s.kind(), ErrorKind::kConfig);
  EXPECT_NE(s.message().find("base_url"), std::string::npos);
  spec = TestSpec();
  spec.model = "";
  EXPECT_FALSE(ValidateHttpSpec(spec, "openai").ok());
  spec = TestSpec();
  spec.retry.jitter = 2;
  EXPECT_FALSE(ValidateHttpSpec(spec, "openai").ok());
  spec = TestSpec();
  spec.extra_body = Json::array();
  EXPECT_FALSE(ValidateHttpSpec(spec, "openai").ok());
}

}  // namespace
}  // namespace akg
