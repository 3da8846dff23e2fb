// The Anthropic Messages wire format: what is sent, and how streamed and whole replies read.
#include "llm/anthropic_provider.h"

#include <gtest/gtest.h>

#include "llm/fake_http_transport.h"

namespace akg {
namespace {

constexpr const char* kKey = "sk-ant-secret";

ModelSpec Spec(std::string base_url = "https://api.anthropic.com") {
  ModelSpec spec;
  spec.name = "claude";
  spec.provider = "anthropic";
  spec.base_url = std::move(base_url);
  spec.api_key = kKey;
  spec.model = "claude-sonnet-4-5";
  spec.max_tokens = 4096;
  spec.retry = RetryPolicy{2, 1, 30, 0};
  return spec;
}

LlmRequest Ask() {
  LlmRequest request;
  request.messages = {{"system", "rules"}, {"system", "more rules"}, {"user", "write it"},
                      {"assistant", "draft"}, {"user", "fix it"}};
  return request;
}

std::string Header(const HttpRequest& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "<absent>";
}

std::string Event(const std::string& type, Json data) {
  data["type"] = type;
  return "event: " + type + "\ndata: " + data.dump() + "\n\n";
}

FakeHttpReply ThinkingStream() {
  FakeHttpReply r;
  r.chunks = {
      Event("message_start", {{"message", {{"model", "claude-sonnet-4-5-20250929"},
                                           {"usage", {{"input_tokens", 10},
                                                      {"cache_read_input_tokens", 90},
                                                      {"output_tokens", 1}}}}}}),
      Event("content_block_start", {{"index", 0}, {"content_block", {{"type", "thinking"}, {"thinking", ""}}}}),
      Event("content_block_delta", {{"index", 0}, {"delta", {{"type", "thinking_delta"}, {"thinking", "plan"}}}}),
      Event("content_block_delta", {{"index", 0}, {"delta", {{"type", "signature_delta"}, {"signature", "zz"}}}}),
      Event("content_block_stop", {{"index", 0}}),
      "event: ping\ndata: {\"type\": \"ping\"}\n\n",
      Event("content_block_start", {{"index", 1}, {"content_block", {{"type", "text"}, {"text", ""}}}}),
      Event("content_block_delta", {{"index", 1}, {"delta", {{"type", "text_delta"}, {"text", "class "}}}}),
      Event("content_block_delta", {{"index", 1}, {"delta", {{"type", "text_delta"}, {"text", "ModelNew"}}}}),
      Event("content_block_stop", {{"index", 1}}),
      Event("message_delta", {{"delta", {{"stop_reason", "end_turn"}}}, {"usage", {{"output_tokens", 55}}}}),
      Event("message_stop", Json::object()),
  };
  return r;
}

TEST(AnthropicDialectTest, RequestMovesSystemMessagesToTheSystemField) {
  auto http = NewAnthropicDialect()->BuildRequest(Spec(), Ask());
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->url, "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(Header(*http, "x-api-key"), kKey);
  EXPECT_EQ(Header(*http, "anthropic-version"), "2023-06-01");
  EXPECT_EQ(Header(*http, "Authorization"), "<absent>");
  Json body = Json::parse(http->body);
  EXPECT_EQ(body["system"], "rules\n\nmore rules");
  ASSERT_EQ(body["messages"].size(), 3u);
  EXPECT_EQ(body["messages"][0]["role"], "user");
  EXPECT_EQ(body["messages"][1]["role"], "assistant");
  EXPECT_EQ(body["max_tokens"], 4096);
  EXPECT_EQ(body["stream"], true);
  EXPECT_FALSE(body.contains("temperature"));
}

TEST(AnthropicDialectTest, BaseUrlWithOrWithoutV1GivesTheMessagesEndpoint) {
  auto dialect = NewAnthropicDialect();
  EXPECT_EQ(dialect->BuildRequest(Spec("https://proxy.example/v1/"), Ask())->url,
            "https://proxy.example/v1/messages");
  EXPECT_EQ(dialect->BuildRequest(Spec("https://proxy.example/v1/messages"), Ask())->url,
            "https://proxy.example/v1/messages");
}

TEST(AnthropicDialectTest, ExtraBodyTurnsOnThinking) {
  ModelSpec spec = Spec();
  spec.extra_body = {{"thinking", {{"type", "enabled"}, {"budget_tokens", 2000}}}};
  LlmRequest request = Ask();
  request.temperature = 1.0;
  Json body = Json::parse(NewAnthropicDialect()->BuildRequest(spec, request)->body);
  EXPECT_EQ(body["thinking"]["budget_tokens"], 2000);
  EXPECT_EQ(body["temperature"], 1.0);
}

TEST(AnthropicDialectTest, RequestWithOnlyASystemPromptIsRejected) {
  LlmRequest request;
  request.messages = {{"system", "rules"}};
  auto http = NewAnthropicDialect()->BuildRequest(Spec(), request);
  EXPECT_EQ(http.status().kind(), ErrorKind::kConfig);
}

TEST(AnthropicDialectTest, StreamedThinkingReplySeparatesReasoningAndCountsCachedTokens) {
  auto transport = std::make_shared<FakeHttpTransport>();
  transport->Push(ThinkingStream());
  auto client = MakeAnthropicClient(Spec(), HttpDeps{transport, std::make_shared<FakeClock>(), 1});
  ASSERT_TRUE(client.ok());
  std::string shown;
  LlmRequest request = Ask();
  request.on_delta = [&](const std::string& d) { shown += d; };
  auto reply = (*client)->Complete(request);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->text, "class ModelNew");
  EXPECT_EQ(shown, "class ModelNew");
  EXPECT_EQ(reply->reasoning, "plan");
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->model, "claude-sonnet-4-5-20250929");
  EXPECT_EQ(reply->usage.input_tokens, 100);
  EXPECT_EQ(reply->usage.output_tokens, 55);
}

TEST(AnthropicDialectTest, OverloadedErrorEventIsRetried) {
  auto transport = std::make_shared<FakeHttpTransport>();
  FakeHttpReply overloaded;
  overloaded.chunks = {Event("error", {{"error", {{"type", "overloaded_error"},
                                                  {"message", "Overloaded"}}}})};
  transport->Push(overloaded);
  transport->Push(ThinkingStream());
  auto clock = std::make_shared<FakeClock>();
  auto client = MakeAnthropicClient(Spec(), HttpDeps{transport, clock, 1});
  auto reply = (*client)->Complete(Ask());
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->attempts, 2);
  EXPECT_DOUBLE_EQ(clock->slept_seconds(), 1.0);
}

TEST(AnthropicDialectTest, Http529OverloadedIsRetriedAndTheKeyNeverAppears) {
  auto transport = std::make_shared<FakeHttpTransport>();
  for (int i = 0; i < 3; ++i) {
    transport->PushBody(529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  }
  auto client = MakeAnthropicClient(Spec(), HttpDeps{transport, std::make_shared<FakeClock>(), 1});
  LlmErrorKind kind;
  auto reply = (*client)->Complete(Ask(), &kind);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(kind, LlmErrorKind::kServer);
  EXPECT_EQ(transport->requests().size(), 3u);
  EXPECT_NE(reply.status().message().find("HTTP 529: Overloaded (3 attempts)"), std::string::npos)
      << reply.status().message();
  EXPECT_EQ(reply.status().message().find(kKey), std::string::npos);
}

TEST(AnthropicDialectTest, StopReasonsMapToTheCommonOnes) {
  auto dialect = NewAnthropicDialect();
  for (auto [stop, want] : std::vector<std::pair<std::string, std::string>>{
           {"end_turn", "stop"}, {"stop_sequence", "stop"}, {"max_tokens", "length"},
           {"refusal", "refusal"}, {"tool_use", "tool_use"}}) {
    Json body = {{"type", "message"},
                 {"content", {{{"type", "text"}, {"text", "x"}}}},
                 {"stop_reason", stop}};
    ReplyParts parts;
    ASSERT_TRUE(dialect->ParseBody(body, &parts).ok());
    EXPECT_EQ(parts.finish_reason, want) << stop;
  }
}

TEST(AnthropicDialectTest, WholeBodyReplyReadsBlocksAndUsage) {
  Json body = Json::parse(R"({"type":"message","model":"claude-x","stop_reason":"end_turn",
    "content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"a"},
               {"type":"text","text":"b"}],
    "usage":{"input_tokens":5,"output_tokens":6}})");
  ReplyParts parts;
  ASSERT_TRUE(NewAnthropicDialect()->ParseBody(body, &parts).ok());
  EXPECT_EQ(parts.text, "ab");
  EXPECT_EQ(parts.reasoning, "hmm");
  EXPECT_EQ(parts.input_tokens, 5);
  EXPECT_EQ(parts.output_tokens, 6);
  ReplyParts bad;
  EXPECT_FALSE(NewAnthropicDialect()->ParseBody(Json{{"type", "message"}}, &bad).ok());
}

TEST(AnthropicDialectTest, RefusalStopIsNotRetried) {
  auto transport = std::make_shared<FakeHttpTransport>();
  FakeHttpReply r;
  r.chunks = {Event("message_start", {{"message", {{"model", "m"}}}}),
              Event("message_delta", {{"delta", {{"stop_reason", "refusal"}}}}),
              Event("message_stop", Json::object())};
  transport->Push(r);
  auto client = MakeAnthropicClient(Spec(), HttpDeps{transport, std::make_shared<FakeClock>(), 1});
  LlmErrorKind kind;
  EXPECT_FALSE((*client)->Complete(Ask(), &kind).ok());
  EXPECT_EQ(kind, LlmErrorKind::kRefused);
  EXPECT_EQ(transport->requests().size(), 1u);
}

TEST(AnthropicDialectTest, MissingKeyIsAConfigErrorNamingTheVariable) {
  ModelSpec spec = Spec();
  spec.api_key = "";
  auto client = MakeAnthropicClient(spec);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().kind(), ErrorKind::kConfig);
  EXPECT_NE(client.status().message().find("ANTHROPIC_API_KEY"), std::string::npos);
}

}  // namespace
}  // namespace akg
