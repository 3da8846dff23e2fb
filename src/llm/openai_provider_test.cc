// The OpenAI-compatible wire format: what is sent, and how replies of the common servers read.
#include "llm/openai_provider.h"

#include <gtest/gtest.h>

#include "llm/fake_http_transport.h"

namespace akg {
namespace {

ModelSpec Spec(std::string base_url = "https://api.deepseek.com/v1/") {
  ModelSpec spec;
  spec.name = "deepseek";
  spec.provider = "openai";
  spec.base_url = std::move(base_url);
  spec.api_key = "sk-abc";
  spec.model = "deepseek-chat";
  spec.temperature = 0.2;
  spec.max_tokens = 1000;
  spec.retry.max_retries = 0;
  return spec;
}

LlmRequest Ask() {
  LlmRequest request;
  request.messages = {{"system", "be brief"}, {"user", "add two tensors"}};
  return request;
}

std::string Header(const HttpRequest& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "<absent>";
}

Json Body(const HttpRequest& r) { return Json::parse(r.body); }

TEST(OpenAiDialectTest, RequestCarriesMessagesSettingsAndStreamUsage) {
  auto http = NewOpenAiDialect()->BuildRequest(Spec(), Ask());
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->url, "https://api.deepseek.com/v1/chat/completions");
  EXPECT_EQ(Header(*http, "Authorization"), "Bearer sk-abc");
  EXPECT_EQ(Header(*http, "Accept"), "text/event-stream");
  Json body = Body(*http);
  EXPECT_EQ(body["model"], "deepseek-chat");
  EXPECT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][1]["content"], "add two tensors");
  EXPECT_EQ(body["temperature"], 0.2);
  EXPECT_EQ(body["max_tokens"], 1000);
  EXPECT_FALSE(body.contains("max_completion_tokens"));
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
}

TEST(OpenAiDialectTest, RequestValuesOverrideTheModelsDefaults) {
  LlmRequest request = Ask();
  request.temperature = 0.9;
  request.max_tokens = 77;
  Json body = Body(*NewOpenAiDialect()->BuildRequest(Spec(), request));
  EXPECT_EQ(body["temperature"], 0.9);
  EXPECT_EQ(body["max_tokens"], 77);
}

TEST(OpenAiDialectTest, APerCallSeedIsSentAndNoneWithoutOne) {
  LlmRequest request = Ask();
  EXPECT_FALSE(Body(*NewOpenAiDialect()->BuildRequest(Spec(), request)).contains("seed"));
  request.seed = 0x123456789abcdefULL;
  Json body = Body(*NewOpenAiDialect()->BuildRequest(Spec(), request));
  EXPECT_EQ(body["seed"], static_cast<int64_t>(0x123456789abcdefULL & 0x7fffffffu));
}

TEST(OpenAiDialectTest, OpenAiItselfGetsMaxCompletionTokens) {
  ModelSpec spec = Spec("https://api.openai.com/v1");
  spec.temperature.reset();
  Json body = Body(*NewOpenAiDialect()->BuildRequest(spec, Ask()));
  EXPECT_EQ(body["max_completion_tokens"], 1000);
  EXPECT_FALSE(body.contains("max_tokens"));
  EXPECT_FALSE(body.contains("temperature"));
}

TEST(OpenAiDialectTest, ExtraBodyIsMergedAndNullRemovesAKey) {
  ModelSpec spec = Spec();
  spec.extra_body = {{"top_p", 0.5}, {"stream_options", nullptr}, {"reasoning", {{"effort", "high"}}}};
  Json body = Body(*NewOpenAiDialect()->BuildRequest(spec, Ask()));
  EXPECT_EQ(body["top_p"], 0.5);
  EXPECT_FALSE(body.contains("stream_options"));
  EXPECT_EQ(body["reasoning"]["effort"], "high");
}

TEST(OpenAiDialectTest, LocalServerWithoutKeyGetsNoAuthorizationHeader) {
  ModelSpec spec = Spec("http://localhost:8000/v1/chat/completions");
  spec.api_key = "";
  spec.stream = false;
  auto http = NewOpenAiDialect()->BuildRequest(spec, Ask());
  EXPECT_EQ(http->url, "http://localhost:8000/v1/chat/completions");
  EXPECT_EQ(Header(*http, "Authorization"), "<absent>");
  EXPECT_EQ(Body(*http)["stream"], false);
  EXPECT_FALSE(Body(*http).contains("stream_options"));
}

TEST(OpenAiDialectTest, InvalidUtf8InAPromptDoesNotBreakTheRequest) {
  LlmRequest request = Ask();
  request.messages[1].content = "bad \xff byte";
  auto http = NewOpenAiDialect()->BuildRequest(Spec(), request);
  ASSERT_TRUE(http.ok());
  EXPECT_NO_THROW(Json::parse(http->body));
}

TEST(OpenAiDialectTest, ReasoningFieldsOfDeepSeekAndOpenRouterAreKeptApartFromText) {
  auto dialect = NewOpenAiDialect();
  ReplyParts parts;
  std::string shown;
  auto on_text = [&](const std::string& t) { shown += t; };
  for (const char* data : {
           R"({"choices":[{"delta":{"reasoning_content":"think1 "}}]})",
           R"({"choices":[{"delta":{"reasoning":"think2"}}]})",
           R"({"choices":[{"delta":{"content":"answer","reasoning_content":null}}]})",
           R"({"choices":[{"delta":{},"finish_reason":"stop"}],"usage":null})",
       }) {
    ASSERT_TRUE(dialect->OnEvent({"", data}, &parts, on_text).ok()) << data;
  }
  EXPECT_EQ(parts.reasoning, "think1 think2");
  EXPECT_EQ(parts.text, "answer");
  EXPECT_EQ(shown, "answer");
  EXPECT_EQ(parts.finish_reason, "stop");
  EXPECT_FALSE(parts.input_tokens.has_value());
}

TEST(OpenAiDialectTest, ErrorObjectInsideAStreamIsClassified) {
  auto dialect = NewOpenAiDialect();
  ReplyParts parts;
  auto ignore = [](const std::string&) {};
  ASSERT_TRUE(dialect->OnEvent({"", R"({"error":{"message":"Rate limit reached","code":429}})"},
                               &parts, ignore).ok());
  EXPECT_EQ(parts.error_kind, LlmErrorKind::kRateLimited);
  ReplyParts other;
  ASSERT_TRUE(dialect->OnEvent({"", R"({"error":{"message":"upstream died"}})"}, &other, ignore)
                  .ok());
  EXPECT_EQ(other.error_kind, LlmErrorKind::kServer);
  EXPECT_EQ(other.error_message, "upstream died");
}

TEST(OpenAiDialectTest, ChunkWithoutChoicesIsMalformed) {
  ReplyParts parts;
  Status s = NewOpenAiDialect()->OnEvent({"", R"({"foo":1})"}, &parts, [](const std::string&) {});
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(NewOpenAiDialect()->OnEvent({"", "[1,2]"}, &parts, [](const std::string&) {}).ok());
}

TEST(OpenAiDialectTest, RefusalFieldMakesTheCallARefusal) {
  auto transport = std::make_shared<FakeHttpTransport>();
  FakeHttpReply reply;
  reply.chunks = {"data: {\"choices\":[{\"delta\":{\"refusal\":\"I can't help\"}}]}\n\n",
                  "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                  "data: [DONE]\n\n"};
  transport->Push(reply);
  auto client = MakeOpenAiClient(Spec(), HttpDeps{transport, std::make_shared<FakeClock>(), 1});
  ASSERT_TRUE(client.ok());
  LlmErrorKind kind;
  auto result = (*client)->Complete(Ask(), &kind);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(kind, LlmErrorKind::kRefused);
  EXPECT_NE(result.status().message().find("I can't help"), std::string::npos);
}

TEST(OpenAiDialectTest, WholeBodyReplyReadsMessageFinishAndUsage) {
  Json body = Json::parse(R"({
    "id": "x", "model": "qwen-max",
    "choices": [{"index": 0, "finish_reason": "length",
                 "message": {"role": "assistant", "content": "code", "reasoning_content": "r"}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 34, "total_tokens": 46}})");
  ReplyParts parts;
  ASSERT_TRUE(NewOpenAiDialect()->ParseBody(body, &parts).ok());
  EXPECT_EQ(parts.text, "code");
  EXPECT_EQ(parts.reasoning, "r");
  EXPECT_EQ(parts.finish_reason, "length");
  EXPECT_EQ(parts.model, "qwen-max");
  EXPECT_EQ(parts.input_tokens, 12);
  EXPECT_EQ(parts.output_tokens, 34);
}

TEST(OpenAiDialectTest, MakeClientRejectsABadSpecAndDescribesAGoodOneWithoutTheKey) {
  ModelSpec spec = Spec();
  spec.base_url = "ftp://x";
  EXPECT_EQ(MakeOpenAiClient(spec).status().kind(), ErrorKind::kConfig);
  auto client = MakeOpenAiClient(Spec(), HttpDeps{std::make_shared<FakeHttpTransport>(), {}, 1});
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->Describe(), "openai-compatible deepseek-chat at https://api.deepseek.com/v1");
}

}  // namespace
}  // namespace akg
