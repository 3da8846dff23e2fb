// The loopback server against the real client pieces: libcurl for whole bodies and many
// connections at once, the OpenAI client for a stream.
#include "llm/testing/loopback_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "llm/curl_transport.h"
#include "llm/openai_provider.h"

namespace akg {
namespace {

HttpRequest Post(const std::string& url, const std::string& body) {
  HttpRequest r;
  r.url = url;
  r.headers = {{"Content-Type", "application/json"}, {"X-Test", "yes"}};
  r.body = body;
  r.timeouts.total_s = 20;
  return r;
}

TEST(LoopbackServerTest, AnswersWithStatusHeadersAndBodyAndRecordsTheRequest) {
  auto server = LoopbackServer::Start([](const LoopbackRequest& request) {
    LoopbackResponse response;
    response.status = 429;
    response.headers = {{"Retry-After", "2"}};
    response.body = "echo " + request.body;
    return response;
  });
  ASSERT_TRUE(server.ok()) << server.status().message();
  HttpResponse r = CurlTransport().Post(Post((*server)->Url("/v1/x?y=1"), "{\"a\":1}"),
                                        [](std::string_view) { return true; });
  EXPECT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers["retry-after"], "2");
  EXPECT_EQ(r.error_body, "echo {\"a\":1}");
  std::vector<LoopbackRequest> seen = (*server)->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/v1/x?y=1");
  EXPECT_EQ(seen[0].headers["x-test"], "yes");
  EXPECT_EQ(seen[0].body, "{\"a\":1}");
  EXPECT_EQ((*server)->connections(), 1);
}

TEST(LoopbackServerTest, StreamsSseChunksThatTheOpenAiClientAssembles) {
  auto server = LoopbackServer::Start([](const LoopbackRequest&) {
    return SseResponse({R"({"model":"loop","choices":[{"delta":{"content":"hel"}}]})",
                        R"({"choices":[{"delta":{"content":"lo"},"finish_reason":"stop"}]})",
                        R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}})",
                        "[DONE]"},
                       0.01);
  });
  ASSERT_TRUE(server.ok()) << server.status().message();
  ModelSpec spec;
  spec.name = "loop";
  spec.base_url = (*server)->Url("/v1");
  spec.model = "loop-model";
  auto client = MakeOpenAiClient(spec);
  ASSERT_TRUE(client.ok()) << client.status().message();
  LlmRequest request;
  request.messages = {{"user", "hi"}};
  std::string streamed;
  request.on_delta = [&](const std::string& piece) { streamed += piece; };
  auto reply = (*client)->Complete(request);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->text, "hello");
  EXPECT_EQ(streamed, "hello");
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->usage.input_tokens, 3);
  EXPECT_EQ(reply->usage.output_tokens, 2);
  EXPECT_EQ((*server)->requests().at(0).target, "/v1/chat/completions");
}

TEST(LoopbackServerTest, Serves64ConnectionsAtOnceAndCountsThemInFlight) {
  constexpr int kCalls = 64;
  std::mutex mutex;
  std::condition_variable all_here;
  int arrived = 0;
  // Every handler waits for all the others, so the replies can only come if the server
  // holds all 64 connections open at the same time.
  auto server = LoopbackServer::Start([&](const LoopbackRequest& request) {
    std::unique_lock<std::mutex> lock(mutex);
    ++arrived;
    all_here.notify_all();
    all_here.wait_for(lock, std::chrono::seconds(15), [&] { return arrived == kCalls; });
    return SseResponse({request.body, "[DONE]"}, 0.001);
  });
  ASSERT_TRUE(server.ok()) << server.status().message();
  std::vector<std::string> bodies(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      CurlTransport().Post(Post((*server)->Url("/"), "call " + std::to_string(i)),
                           [&](std::string_view chunk) {
                             bodies[i].append(chunk);
                             return true;
                           });
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(bodies[i], "data: call " + std::to_string(i) + "\n\ndata: [DONE]\n\n");
  }
  EXPECT_EQ((*server)->max_in_flight(), kCalls);
  EXPECT_EQ((*server)->connections(), kCalls);
  EXPECT_EQ((*server)->requests().size(), static_cast<size_t>(kCalls));
}

TEST(LoopbackServerTest, StoppingCutsShortAStreamInProgress) {
  auto server = LoopbackServer::Start([](const LoopbackRequest&) {
    return SseResponse({"first", "only after a minute"}, 30);
  });
  ASSERT_TRUE(server.ok()) << server.status().message();
  std::thread caller([url = (*server)->Url("/")] {
    CurlTransport().Post(Post(url, "{}"), [](std::string_view) { return true; });
  });
  while ((*server)->requests().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto start = std::chrono::steady_clock::now();
  (*server).reset();  // stops the server while the stream waits
  caller.join();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
}

}  // namespace
}  // namespace akg
