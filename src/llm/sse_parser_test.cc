#include "llm/sse_parser.h"

#include <gtest/gtest.h>

namespace akg {
namespace {

std::vector<SseEvent> FeedAll(SseParser& p, const std::vector<std::string>& chunks) {
  std::vector<SseEvent> all;
  for (const auto& c : chunks) {
    for (auto& e : p.Feed(c)) all.push_back(e);
  }
  return all;
}

TEST(SseParserTest, DispatchesEventsOnBlankLines) {
  SseParser p;
  auto events = FeedAll(p, {"event: message_start\ndata: {\"a\":1}\n\ndata: two\n\n"});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "message_start");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(events[1].event, "");
  EXPECT_EQ(events[1].data, "two");
}

TEST(SseParserTest, EventsSplitAcrossChunksAtEveryByteParseTheSame) {
  std::string stream = "data: hello\r\n\r\nevent: x\r\ndata:world\r\n\r\n";
  SseParser p;
  std::vector<std::string> bytes;
  for (char c : stream) bytes.push_back(std::string(1, c));
  auto events = FeedAll(p, bytes);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "hello");
  EXPECT_EQ(events[1].event, "x");
  EXPECT_EQ(events[1].data, "world");
}

TEST(SseParserTest, CrLineEndingsAndCrLfSplitBetweenChunksCountOnce) {
  SseParser p;
  auto events = FeedAll(p, {"data: a\r", "\n", "\r", "\ndata: b\r\r"});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "a");
  EXPECT_EQ(events[1].data, "b");
}

TEST(SseParserTest, MultipleDataLinesJoinWithNewline) {
  SseParser p;
  auto events = FeedAll(p, {"data: line1\ndata: line2\ndata\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "line1\nline2\n");
}

TEST(SseParserTest, CommentsAndUnknownFieldsAreIgnored) {
  SseParser p;
  auto events = FeedAll(p, {": keep-alive\n\nid: 7\nretry: 100\ndata: x\n\n: ping\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "x");
}

TEST(SseParserTest, EventWithoutDataIsNotDispatchedAndDoesNotLeakItsName) {
  SseParser p;
  auto events = FeedAll(p, {"event: ping\n\ndata: y\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "");
}

TEST(SseParserTest, FinishDispatchesAnUnterminatedLastEvent) {
  SseParser p;
  EXPECT_TRUE(p.Feed("data: [DONE]").empty());
  auto events = p.Finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "[DONE]");
  EXPECT_TRUE(p.Finish().empty());
}

TEST(SseParserTest, OnlyOneSpaceAfterTheColonIsDropped) {
  SseParser p;
  auto events = FeedAll(p, {"data:  two spaces\n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, " two spaces");
}

}  // namespace
}  // namespace akg
