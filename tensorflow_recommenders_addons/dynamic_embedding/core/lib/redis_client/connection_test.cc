#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_client {
namespace {

using test_util::DeploymentSpec;
using test_util::TestKey;

class ConnectionTest : public test_util::ServersTest {
 protected:
  DeploymentSpec Spec() const override { return {}; }

  Endpoint Server() const {
    return {servers_->host(), servers_->nodes()[0].port};
  }

  std::unique_ptr<Connection> Open(const ConnectionOptions& options = {}) {
    Result<std::unique_ptr<Connection>> connection =
        Connection::Open(Server(), options);
    EXPECT_TRUE(connection.ok()) << connection.status().ToString();
    return connection.ok() ? std::move(connection).value() : nullptr;
  }
};

TEST_F(ConnectionTest, RoundTripsBinaryKeysAndValues) {
  std::unique_ptr<Connection> connection = Open();
  ASSERT_NE(connection, nullptr);
  const std::string key = TestKey(std::string("k\0\r\n", 4));
  const std::string value("\0\xff\r\n$3\r\n", 9);
  Result<Reply> set = connection->Run(Command{"SET", key, value});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(*set->AsString(), "OK");
  Result<Reply> get = connection->Run(Command{"GET", key});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(*get->AsString(), value);
  EXPECT_FALSE(connection->broken());
}

// The wire format writes each length in decimal: arguments (and argument
// counts) on both sides of every change in digit count arrive whole.
TEST_F(ConnectionTest, ArgumentsOfEveryLengthDigitCountRoundTrip) {
  std::unique_ptr<Connection> connection = Open();
  ASSERT_NE(connection, nullptr);
  const std::string key = TestKey("digits");
  const size_t sizes[] = {0,   1,    9,    10,    11,    99,     100,
                          101, 999,  1000, 9999,  10000, 99999, 100000};
  Command hset{"HSET", key};
  std::vector<std::string> fields, values;
  for (size_t i = 0; i < 60; ++i) {  // 122 arguments: a 3-digit count
    const size_t size = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
    fields.push_back("f" + std::to_string(i));
    values.emplace_back(size, static_cast<char>('a' + i % 26));
  }
  for (size_t i = 0; i < fields.size(); ++i) hset.Add(fields[i]).Add(values[i]);
  Result<Reply> set = connection->Run(hset);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(*set->AsInteger(), 60);
  Command hmget{"HMGET", key};
  for (const std::string& field : fields) hmget.Add(field);
  Result<Reply> got = connection->Run(hmget);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(*got->ArraySize(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(*got->element(i).AsString(), values[i]) << i;
  }
  ASSERT_TRUE(connection->Run(Command{"DEL", key}).ok());
}

// Commands are buffered and written by the connection itself: a value just
// under, at and well over the 1 MB write threshold and the 4 MB buffer kept
// between calls, appended after small commands and before others, arrives
// whole and in order.
TEST_F(ConnectionTest, LargeCommandsAroundTheBufferSizesRoundTrip) {
  std::unique_ptr<Connection> connection = Open();
  ASSERT_NE(connection, nullptr);
  const std::string key = TestKey("large");
  for (size_t size : {size_t{1} << 20, (size_t{1} << 20) - 40,
                      (size_t{9} << 20) + 7, size_t{3}, size_t{5} << 20}) {
    std::string value(size, '\0');
    for (size_t i = 0; i < size; ++i) value[i] = static_cast<char>(i * 131);
    ASSERT_TRUE(connection->Append(Command{"DEL", key}).ok());
    ASSERT_TRUE(connection->Append(Command{"SET", key, value}).ok());
    ASSERT_TRUE(connection->Append(Command{"STRLEN", key}).ok());
    ASSERT_TRUE(connection->Append(Command{"GET", key}).ok());
    EXPECT_EQ(connection->pending_replies(), 4u);
    for (int reply = 0; reply < 3; ++reply) {
      ASSERT_TRUE(connection->ReadReply().ok()) << "size " << size;
    }
    Result<Reply> got = connection->ReadReply();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(*got->AsString() == value) << "size " << size;
    EXPECT_EQ(connection->pending_replies(), 0u);
  }
}

TEST_F(ConnectionTest, ErrorReplyKeepsTheConnectionUsable) {
  std::unique_ptr<Connection> connection = Open();
  ASSERT_NE(connection, nullptr);
  Result<Reply> reply = connection->Run(Command{"NO-SUCH-COMMAND"});
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->ToStatus().code(), ErrorCode::kReplyError);
  EXPECT_FALSE(connection->broken());
  EXPECT_TRUE(connection->Run(Ping()).ok());
}

TEST_F(ConnectionTest, SelectsTheConfiguredDatabase) {
  ConnectionOptions db3;
  db3.db = 3;
  std::unique_ptr<Connection> in_db3 = Open(db3);
  std::unique_ptr<Connection> in_db0 = Open();
  ASSERT_NE(in_db3, nullptr);
  ASSERT_NE(in_db0, nullptr);
  const std::string key = TestKey("db");
  ASSERT_TRUE(in_db3->Run(Command{"SET", key, "x"}).ok());
  EXPECT_EQ(*in_db3->Run(Exists(key))->AsInteger(), 1);
  EXPECT_EQ(*in_db0->Run(Exists(key))->AsInteger(), 0);
}

TEST_F(ConnectionTest, KeepAliveConnectionWorks) {
  ConnectionOptions options;
  options.keep_alive = true;
  std::unique_ptr<Connection> connection = Open(options);
  ASSERT_NE(connection, nullptr);
  EXPECT_TRUE(connection->Run(Ping()).ok());
}

TEST_F(ConnectionTest, ClosedByServerIsBrokenForGood) {
  std::unique_ptr<Connection> connection = Open();
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(connection->Run(Command{"QUIT"}).ok());
  Result<Reply> after = connection->Run(Ping());
  // EOF, or a reset when the PING reached the closed socket first.
  EXPECT_TRUE(after.status().code() == ErrorCode::kClosed ||
              after.status().code() == ErrorCode::kIo)
      << after.status().ToString();
  EXPECT_TRUE(connection->broken());
  EXPECT_TRUE(connection->died_of_transport_error());
  EXPECT_NE(after.status().message().find(Server().ToString()),
            std::string::npos);
  // No further I/O is attempted on a broken connection.
  EXPECT_EQ(connection->Append(Ping()).code(), ErrorCode::kClosed);
  EXPECT_EQ(connection->ReadReply().status().code(), ErrorCode::kClosed);
}

TEST_F(ConnectionTest, TracksRepliesNotReadYet) {
  std::unique_ptr<Connection> connection = Open();
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(connection->Append(Ping()).ok());
  ASSERT_TRUE(connection->Append(Ping()).ok());
  EXPECT_EQ(connection->pending_replies(), 2u);
  ASSERT_TRUE(connection->ReadReply().ok());
  EXPECT_EQ(connection->pending_replies(), 1u);
}

TEST_F(ConnectionTest, ReadOnlyIsRefusedOutsideACluster) {
  Result<std::unique_ptr<Connection>> connection =
      Connection::Open(Server(), ConnectionOptions(), /*readonly=*/true);
  EXPECT_EQ(connection.status().code(), ErrorCode::kReplyError);
  EXPECT_NE(connection.status().message().find("READONLY"), std::string::npos)
      << connection.status().ToString();
}

TEST_F(ConnectionTest, UnusedPortFailsFastWithIo) {
  const auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Connection>> connection = Connection::Open(
      {"127.0.0.1", test_util::UnusedPort()}, ConnectionOptions());
  EXPECT_EQ(connection.status().code(), ErrorCode::kIo)
      << connection.status().ToString();
  EXPECT_NE(connection.status().message().find("connect"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST_F(ConnectionTest, PausedServerTimesOutWithinTheSocketTimeout) {
  std::unique_ptr<Connection> connection = Open();
  ASSERT_NE(connection, nullptr);
  std::string error;
  ASSERT_TRUE(servers_->Pause(Server().port, &error)) << error;
  ConnectionOptions options;
  options.socket_timeout = std::chrono::milliseconds(300);
  options.password = "unused";  // forces a handshake round trip
  const auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Connection>> fresh =
      Connection::Open(Server(), options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(servers_->Resume(Server().port, &error)) << error;
  EXPECT_EQ(fresh.status().code(), ErrorCode::kTimeout)
      << fresh.status().ToString();
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

class ConnectionAuthTest : public test_util::ServersTest {
 protected:
  DeploymentSpec Spec() const override {
    DeploymentSpec spec;
    spec.options.password = "pass-for-default";
    spec.options.acl_user = "alice";
    spec.options.acl_password = "alice-secret";
    return spec;
  }

  Result<std::unique_ptr<Connection>> OpenAs(const std::string& user,
                                             const std::string& password) {
    ConnectionOptions options;
    options.user = user;
    options.password = password;
    return Connection::Open({servers_->host(), servers_->nodes()[0].port},
                            options);
  }
};

TEST_F(ConnectionAuthTest, DefaultUserAuthenticatesWithThePassword) {
  auto connection = OpenAs("default", "pass-for-default");
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  EXPECT_TRUE((*connection)->Run(Ping())->ToStatus().ok());
}

TEST_F(ConnectionAuthTest, AclUserAuthenticatesWithItsPassword) {
  auto connection = OpenAs("alice", "alice-secret");
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  Result<Reply> whoami = (*connection)->Run(Command{"ACL", "WHOAMI"});
  ASSERT_TRUE(whoami.ok());
  EXPECT_EQ(*whoami->AsString(), "alice");
}

TEST_F(ConnectionAuthTest, WrongPasswordIsAnAuthErrorThatHidesThePassword) {
  auto connection = OpenAs("default", "not-the-password");
  EXPECT_EQ(connection.status().code(), ErrorCode::kAuth);
  EXPECT_EQ(connection.status().message().find("not-the-password"),
            std::string::npos)
      << connection.status().message();
  EXPECT_NE(connection.status().message().find("AUTH"), std::string::npos);
}

TEST_F(ConnectionAuthTest, WrongAclUserIsAnAuthErrorNamingTheUser) {
  auto connection = OpenAs("mallory", "alice-secret");
  EXPECT_EQ(connection.status().code(), ErrorCode::kAuth);
  EXPECT_NE(connection.status().message().find("'mallory'"), std::string::npos)
      << connection.status().message();
  EXPECT_EQ(connection.status().message().find("alice-secret"),
            std::string::npos);
}

TEST_F(ConnectionAuthTest, MissingPasswordShowsAsAnAuthErrorReply) {
  auto connection = OpenAs("default", "");
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  Result<Reply> reply = (*connection)->Run(Ping());
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->ToStatus().code(), ErrorCode::kAuth)
      << reply->ToStatus().ToString();
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra
