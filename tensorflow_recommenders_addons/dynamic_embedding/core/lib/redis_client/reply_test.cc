#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"

#include <string>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply_test_util.h"

namespace tfra {
namespace redis_client {
namespace {

using test_util::Parsed;

TEST(ReplyTest, ReadsEachReplyType) {
  EXPECT_EQ(*Parsed("+OK\r\n").AsString(), "OK");
  EXPECT_EQ(*Parsed(":-42\r\n").AsInteger(), -42);
  EXPECT_TRUE(Parsed("$-1\r\n").is_nil());
  EXPECT_EQ(*Parsed(std::string("$3\r\na\0b\r\n", 9)).AsString(),
            std::string("a\0b", 3));
  Reply array = Parsed("*2\r\n$1\r\nx\r\n:5\r\n");
  ASSERT_EQ(*array.ArraySize(), 2u);
  EXPECT_EQ(*array.element(0).AsString(), "x");
  EXPECT_EQ(*array.element(1).AsInteger(), 5);
}

TEST(ReplyTest, TypeMismatchIsAProtocolError) {
  Result<int64_t> integer = Parsed("$1\r\nx\r\n").AsInteger();
  EXPECT_EQ(integer.status().code(), ErrorCode::kProtocol);
  EXPECT_NE(
      integer.status().message().find("expected a integer reply, got string"),
      std::string::npos);
  EXPECT_EQ(Parsed(":1\r\n").ArraySize().status().code(), ErrorCode::kProtocol);
}

TEST(ReplyTest, ReadingAnErrorReplyYieldsItsStatus) {
  Result<std::string_view> text = Parsed("-WRONGTYPE wrong kind\r\n").AsString();
  EXPECT_EQ(text.status().code(), ErrorCode::kReplyError);
  EXPECT_NE(text.status().message().find("WRONGTYPE wrong kind"),
            std::string::npos);
}

TEST(ReplyTest, ClassifiesErrorReplies) {
  struct Case {
    const char* text;
    ErrorCode code;
  };
  const Case cases[] = {
      {"MOVED 3999 127.0.0.1:7002", ErrorCode::kMoved},
      {"ASK 3999 127.0.0.1:7002", ErrorCode::kAsk},
      {"TRYAGAIN Multiple keys request during rehashing",
       ErrorCode::kUnavailable},
      {"CLUSTERDOWN The cluster is down", ErrorCode::kUnavailable},
      {"LOADING Redis is loading", ErrorCode::kUnavailable},
      {"READONLY You can't write against a read only replica.",
       ErrorCode::kUnavailable},
      {"NOAUTH Authentication required.", ErrorCode::kAuth},
      {"WRONGPASS invalid username-password pair", ErrorCode::kAuth},
      {"NOPERM this user has no permissions", ErrorCode::kAuth},
      {"ERR invalid password", ErrorCode::kAuth},
      {"ERR unknown command 'FOO'", ErrorCode::kReplyError},
      {"ASKING is not an ASK", ErrorCode::kReplyError},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ReplyErrorStatus(c.text).code(), c.code) << c.text;
  }
}

TEST(ReplyTest, NonErrorRepliesHaveOkStatus) {
  EXPECT_TRUE(Parsed("+OK\r\n").ToStatus().ok());
  EXPECT_TRUE(Parsed("$-1\r\n").ToStatus().ok());
}

TEST(ParseReplyTest, RejectsTruncatedAndMalformedInput) {
  EXPECT_EQ(ParseReply("$5\r\nab").status().code(), ErrorCode::kProtocol);
  EXPECT_EQ(ParseReply("?what\r\n").status().code(), ErrorCode::kProtocol);
}

// A streamed reply holds only nils (streamed strings leave empty slots,
// which read as nil): anything else, or another size, is not whole.
TEST(ReplyTest, StreamedWholeAcceptsOnlyAnArrayOfNilsOfTheSize) {
  EXPECT_TRUE(StreamedWhole(Parsed("*2\r\n$-1\r\n$-1\r\n"), 2));
  EXPECT_TRUE(StreamedWhole(Parsed("*0\r\n"), 0));
  EXPECT_FALSE(StreamedWhole(Parsed("*2\r\n$-1\r\n$-1\r\n"), 3));
  EXPECT_FALSE(StreamedWhole(Parsed("*2\r\n$-1\r\n$1\r\nx\r\n"), 2));
  EXPECT_FALSE(StreamedWhole(Parsed("*2\r\n:1\r\n$-1\r\n"), 2));
  EXPECT_FALSE(StreamedWhole(Parsed("-ERR no\r\n"), 0));
  EXPECT_FALSE(StreamedWhole(Reply(), 0));
}

TEST(ReplyTest, MovingAReplyTransfersOwnership) {
  Reply reply = Parsed("+OK\r\n");
  Reply moved = std::move(reply);
  EXPECT_FALSE(reply.has_value());  // NOLINT: checking the moved-from state
  EXPECT_TRUE(moved.has_value());
  EXPECT_EQ(*moved.AsString(), "OK");
}

const Endpoint kReplier{"127.0.0.1", 7000};

TEST(ParseRedirectTest, ParsesMovedAndAsk) {
  Result<Redirect> moved = ParseRedirect("MOVED 3999 127.0.0.1:7002", kReplier);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_FALSE(moved->ask);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->target, (Endpoint{"127.0.0.1", 7002}));
  Result<Redirect> ask = ParseRedirect("ASK 16383 10.0.0.1:6380", kReplier);
  ASSERT_TRUE(ask.ok());
  EXPECT_TRUE(ask->ask);
  EXPECT_EQ(ask->slot, 16383);
  EXPECT_EQ(ask->target, (Endpoint{"10.0.0.1", 6380}));
}

TEST(ParseRedirectTest, EmptyHostMeansTheReplyingNodesHost) {
  Result<Redirect> moved = ParseRedirect("MOVED 1 :7005", kReplier);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->target, (Endpoint{"127.0.0.1", 7005}));
}

TEST(ParseRedirectTest, RejectsMalformedText) {
  for (const char* text :
       {"MOVED", "MOVED 1", "MOVED x 127.0.0.1:1", "MOVED 16384 127.0.0.1:1",
        "MOVED 1 127.0.0.1:0", "MOVED 1 127.0.0.1:port", "MOVED 1 127.0.0.1"}) {
    EXPECT_EQ(ParseRedirect(text, kReplier).status().code(),
              ErrorCode::kProtocol)
        << text;
  }
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra
