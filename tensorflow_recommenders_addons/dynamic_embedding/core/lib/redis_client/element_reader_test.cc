// Streaming array elements out of hiredis' parser (ScopedElementStreaming,
// through Connection::ReadReply) against a real server.
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/element_reader.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"

namespace tfra {
namespace redis_client {
namespace {

using test_util::TestKey;

// Records every element it is handed.
class RecordingSink : public ElementSink {
 public:
  struct Element {
    size_t tag;
    size_t index;
    bool is_nil;
    std::string value;
  };

  void OnElement(size_t tag, size_t index, bool is_nil,
                 std::string_view value) override {
    elements.push_back({tag, index, is_nil, std::string(value)});
  }

  std::vector<Element> elements;
};

class ElementReaderTest : public test_util::ServersTest {
 protected:
  test_util::DeploymentSpec Spec() const override { return {}; }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SharedServersTest::SetUp());
    Result<std::unique_ptr<Connection>> opened = Connection::Open(
        {servers_->host(), servers_->nodes()[0].port}, ConnectionOptions());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    connection_ = std::move(opened).value();
  }

  Reply MustRun(const Command& command) {
    Result<Reply> reply = connection_->Run(command);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? std::move(reply).value() : Reply();
  }

  // Sends `command` and reads its reply into `sink` with `tag`.
  Reply MustStream(const Command& command, RecordingSink* sink, size_t tag) {
    EXPECT_TRUE(connection_->Append(command).ok());
    Result<Reply> reply = connection_->ReadReply(ElementTarget{sink, tag});
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? std::move(reply).value() : Reply();
  }

  std::unique_ptr<Connection> connection_;
};

TEST_F(ElementReaderTest, ValuesAndNilsGoToTheSinkAndTheReplyKeepsItsSize) {
  const std::string key = TestKey("hash");
  const std::string binary("\0\r\n$2\r\n\xff", 8);
  MustRun(Command{"HSET", key, "a", "1", "b", binary, "c", ""});
  RecordingSink sink;
  Reply reply = MustStream(
      Command{"HMGET", key, "a", "missing", "b", "c"}, &sink, 7);
  ASSERT_EQ(*reply.ArraySize(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(reply.element(i).is_nil()) << i;
  ASSERT_EQ(sink.elements.size(), 4u);
  const std::vector<std::string> expected = {"1", "", binary, ""};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(sink.elements[i].tag, 7u);
    EXPECT_EQ(sink.elements[i].index, i);
    EXPECT_EQ(sink.elements[i].is_nil, i == 1);
    EXPECT_EQ(sink.elements[i].value, expected[i]) << i;
  }
  // The parser has its own functions back: the next reply is built whole.
  Reply plain = MustRun(Command{"HMGET", key, "a", "missing"});
  EXPECT_EQ(*plain.element(0).AsString(), "1");
  EXPECT_TRUE(plain.element(1).is_nil());
}

TEST_F(ElementReaderTest, ErrorAndScalarRepliesStayInTheReply) {
  const std::string key = TestKey("string");
  MustRun(Command{"SET", key, "v"});
  RecordingSink sink;
  Reply wrong_type = MustStream(Command{"HMGET", key, "f"}, &sink, 0);
  EXPECT_EQ(wrong_type.ToStatus().code(), ErrorCode::kReplyError);
  Reply value = MustStream(Command{"GET", key}, &sink, 0);
  EXPECT_EQ(*value.AsString(), "v");
  Reply empty = MustStream(Command{"HMGET", TestKey("none"), "f"}, &sink, 0);
  EXPECT_EQ(*empty.ArraySize(), 1u);
  ASSERT_EQ(sink.elements.size(), 1u);
  EXPECT_TRUE(sink.elements[0].is_nil);
}

// HSCAN answers [cursor, [field, value, ...]]: the cursor (a top-level
// string) is streamed, the nested array is kept whole in the reply.
TEST_F(ElementReaderTest, NestedArraysAreKeptInTheReply) {
  const std::string key = TestKey("scanned");
  MustRun(Command{"HSET", key, "f", "v"});
  RecordingSink sink;
  Reply page = MustStream(Command{"HSCAN", key, "0"}, &sink, 3);
  ASSERT_EQ(*page.ArraySize(), 2u);
  EXPECT_TRUE(page.element(0).is_nil());
  ASSERT_TRUE(page.element(1).is_array());
  ASSERT_EQ(*page.element(1).ArraySize(), 2u);
  EXPECT_EQ(*page.element(1).element(0).AsString(), "f");
  EXPECT_EQ(*page.element(1).element(1).AsString(), "v");
  ASSERT_EQ(sink.elements.size(), 1u);
  EXPECT_EQ(sink.elements[0].value, "0");
}

// 3,000 values of 4 KB arrive over many socket reads; each is whole.
TEST_F(ElementReaderTest, LargeRepliesSpanningManyReadsStreamWhole) {
  const std::string key = TestKey("large");
  constexpr size_t kValues = 3000;
  std::vector<std::string> fields, values;
  for (size_t i = 0; i < kValues; ++i) {
    fields.push_back("f" + std::to_string(i));
    values.push_back(std::string(4096, static_cast<char>('a' + i % 26)) +
                     std::to_string(i));
  }
  Command hset{"HSET", key};
  Command hmget{"HMGET", key};
  for (size_t i = 0; i < kValues; ++i) {
    hset.Add(fields[i]).Add(values[i]);
    hmget.Add(fields[i]);
  }
  MustRun(hset);
  RecordingSink sink;
  Reply reply = MustStream(hmget, &sink, 1);
  ASSERT_EQ(*reply.ArraySize(), kValues);
  ASSERT_EQ(sink.elements.size(), kValues);
  for (size_t i = 0; i < kValues; ++i) {
    EXPECT_EQ(sink.elements[i].index, i);
    EXPECT_EQ(sink.elements[i].value, values[i]) << i;
  }
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra
