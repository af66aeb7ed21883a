// RedisServers against real servers: every described port answers PING over
// hiredis, fault commands act on the right process, and destruction leaves
// no server behind.
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/testing/redis_servers.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tfra {
namespace redis_client {
namespace testing {
namespace {

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

ReplyPtr Run(redisContext* context, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return ReplyPtr(static_cast<redisReply*>(redisCommandArgv(
      context, static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

// "PONG" when 127.0.0.1:`port` answers PING after AUTH with `auth` (no AUTH
// when empty); otherwise what went wrong.
std::string Ping(int port, const std::vector<std::string>& auth = {}) {
  const timeval timeout = {2, 0};
  ContextPtr context(redisConnectWithTimeout("127.0.0.1", port, timeout));
  if (context == nullptr) return "no context";
  if (context->err != 0) return std::string("connect: ") + context->errstr;
  redisSetTimeout(context.get(), timeout);
  if (!auth.empty()) {
    std::vector<std::string> command = {"AUTH"};
    command.insert(command.end(), auth.begin(), auth.end());
    ReplyPtr reply = Run(context.get(), command);
    if (reply == nullptr) return std::string("AUTH: ") + context->errstr;
    if (reply->type == REDIS_REPLY_ERROR) return reply->str;
  }
  ReplyPtr reply = Run(context.get(), {"PING"});
  if (reply == nullptr) return std::string("PING: ") + context->errstr;
  return std::string(reply->str, reply->len);
}

std::vector<std::string> Credentials(const RedisServers& servers) {
  if (servers.password().empty()) return {};
  return {servers.password()};
}

std::unique_ptr<RedisServers> StartOrDie(Mode mode,
                                         const StartOptions& options = {}) {
  std::string error;
  std::unique_ptr<RedisServers> servers =
      RedisServers::Start(mode, options, &error);
  EXPECT_NE(servers, nullptr) << error;
  return servers;
}

class RedisServersModeTest : public ::testing::TestWithParam<Mode> {};

TEST_P(RedisServersModeTest, EveryDescribedPortAnswersPing) {
  StartOptions options;
  options.password = "pw";
  std::unique_ptr<RedisServers> servers = StartOrDie(GetParam(), options);
  ASSERT_NE(servers, nullptr);
  EXPECT_EQ(servers->host(), "127.0.0.1");
  EXPECT_EQ(servers->description().mode, ModeName(GetParam()));
  const size_t masters = GetParam() == Mode::kCluster ? 3 : 1;
  const size_t replicas = GetParam() == Mode::kStandalone ? 0 : masters;
  EXPECT_EQ(servers->NodePorts("master").size(), masters);
  EXPECT_EQ(servers->NodePorts("replica").size(), replicas);
  EXPECT_EQ(servers->sentinels().size(),
            GetParam() == Mode::kSentinel ? 3u : 0u);
  for (const ServerNode& node : servers->nodes()) {
    EXPECT_EQ(node.state, "running");
    EXPECT_EQ(Ping(node.port, {"pw"}), "PONG") << node.port;
    EXPECT_NE(Ping(node.port), "PONG") << "no password needed on " << node.port;
  }
  for (const SentinelNode& sentinel : servers->sentinels()) {
    EXPECT_EQ(Ping(sentinel.port), "PONG") << sentinel.port;
  }
}

TEST_P(RedisServersModeTest, KilledPortStopsAnsweringAndRestartBringsItBack) {
  std::unique_ptr<RedisServers> servers = StartOrDie(GetParam());
  ASSERT_NE(servers, nullptr);
  const std::vector<int> replicas = servers->NodePorts("replica");
  const int port = replicas.empty() ? servers->nodes()[0].port : replicas[0];
  std::string error;
  ASSERT_TRUE(servers->Kill(port, &error)) << error;
  EXPECT_NE(Ping(port), "PONG");
  EXPECT_EQ(servers->NodePorts("").size(), servers->nodes().size());
  for (const ServerNode& node : servers->nodes()) {
    EXPECT_EQ(node.state, node.port == port ? "killed" : "running");
  }
  ASSERT_TRUE(servers->Restart(port, &error)) << error;
  EXPECT_EQ(Ping(port), "PONG");
}

INSTANTIATE_TEST_SUITE_P(AllModes, RedisServersModeTest,
                         ::testing::Values(Mode::kStandalone, Mode::kCluster,
                                           Mode::kSentinel),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return std::string(ModeName(info.param));
                         });

TEST(RedisServersTest, AclUserWorksAndWrongPasswordIsRefused) {
  StartOptions options;
  options.password = "pw";
  options.acl_user = "alice";
  options.acl_password = "apw";
  std::unique_ptr<RedisServers> servers =
      StartOrDie(Mode::kStandalone, options);
  ASSERT_NE(servers, nullptr);
  EXPECT_EQ(servers->acl_user(), "alice");
  const int port = servers->nodes()[0].port;
  EXPECT_EQ(Ping(port, {"alice", "apw"}), "PONG");
  EXPECT_NE(Ping(port, {"alice", "wrong"}).find("WRONGPASS"),
            std::string::npos);
  EXPECT_NE(Ping(port, {"wrong"}).find("WRONGPASS"), std::string::npos);
  EXPECT_EQ(Ping(port, Credentials(*servers)), "PONG");
}

TEST(RedisServersTest, PausedPortAcceptsButNeverAnswersUntilResumed) {
  std::unique_ptr<RedisServers> servers = StartOrDie(Mode::kStandalone);
  ASSERT_NE(servers, nullptr);
  const int port = servers->nodes()[0].port;
  std::string error;
  ASSERT_TRUE(servers->Pause(port, &error)) << error;
  EXPECT_EQ(servers->nodes()[0].state, "paused");
  EXPECT_NE(Ping(port).find("PING"), std::string::npos);  // A read timeout.
  ASSERT_TRUE(servers->Resume(port, &error)) << error;
  EXPECT_EQ(Ping(port), "PONG");
}

TEST(RedisServersTest, ProxyInFrontOfANodeDropsTheReplyItIsToldTo) {
  StartOptions options;
  options.with_proxies = true;
  std::unique_ptr<RedisServers> servers =
      StartOrDie(Mode::kStandalone, options);
  ASSERT_NE(servers, nullptr);
  const ServerNode node = servers->nodes()[0];
  ASSERT_NE(node.proxy_port, 0);
  EXPECT_EQ(node.client_port(), node.proxy_port);
  EXPECT_EQ(Ping(node.proxy_port), "PONG");
  std::string error;
  ProxyStats stats;
  ASSERT_TRUE(servers->Proxy(node.port, "drop_reply command=PING", &stats,
                             &error))
      << error;
  EXPECT_EQ(stats.commands, 1);
  EXPECT_TRUE(stats.dropped.empty());
  EXPECT_NE(Ping(node.proxy_port), "PONG");  // The reply never arrives.
  EXPECT_EQ(Ping(node.port), "PONG");        // The node itself is fine.
  ASSERT_TRUE(servers->Proxy(node.port, "stats", &stats, &error)) << error;
  EXPECT_EQ(stats.dropped, std::vector<std::string>{"PING"});
  EXPECT_EQ(Ping(node.proxy_port), "PONG");  // Dropped once only.
  EXPECT_FALSE(servers->Proxy(node.port, "explode", nullptr, &error));
  EXPECT_NE(error.find("unknown proxy action"), std::string::npos) << error;
}

TEST(RedisServersTest, SentinelMasterPortFollowsAFailover) {
  std::unique_ptr<RedisServers> servers = StartOrDie(Mode::kSentinel);
  ASSERT_NE(servers, nullptr);
  std::string error;
  const int old_master = servers->MasterPort(&error);
  ASSERT_EQ(std::vector<int>{old_master}, servers->NodePorts("master"))
      << error;
  const int replica = servers->NodePorts("replica").at(0);
  ASSERT_TRUE(servers->Kill(old_master, &error)) << error;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int master = old_master;
  while (master != replica && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    master = servers->MasterPort(&error);
  }
  EXPECT_EQ(master, replica) << "no failover within 30s; last error: " << error;
  ASSERT_TRUE(servers->Refresh(&error)) << error;
  EXPECT_EQ(servers->NodePorts("master"),
            (std::vector<int>{old_master, replica}))
      << "the killed node keeps its last seen role";
}

TEST(RedisServersTest, DestructionStopsEveryServerAndRemovesTheDir) {
  std::unique_ptr<RedisServers> servers = StartOrDie(Mode::kSentinel);
  ASSERT_NE(servers, nullptr);
  std::vector<int> ports = servers->NodePorts("");
  for (const SentinelNode& sentinel : servers->sentinels()) {
    ports.push_back(sentinel.port);
  }
  const std::string dir = servers->dir();
  ASSERT_EQ(access(dir.c_str(), F_OK), 0) << dir;
  servers.reset();
  for (int port : ports) EXPECT_NE(Ping(port), "PONG") << port;
  EXPECT_NE(access(dir.c_str(), F_OK), 0) << dir;
}

TEST(RedisServersTest, UnknownPortIsAnErrorNotACrash) {
  std::unique_ptr<RedisServers> servers = StartOrDie(Mode::kStandalone);
  ASSERT_NE(servers, nullptr);
  std::string error;
  EXPECT_FALSE(servers->Kill(1, &error));
  EXPECT_NE(error.find("port 1"), std::string::npos) << error;
  EXPECT_EQ(servers->MasterPort(&error), servers->nodes()[0].port) << error;
}

TEST(RedisServersTest, MissingScriptIsReportedWithItsPath) {
  StartOptions options;
  options.script_path = "/nonexistent/redis_servers.py";
  std::string error;
  EXPECT_EQ(RedisServers::Start(Mode::kStandalone, options, &error), nullptr);
  EXPECT_NE(error.find("/nonexistent/redis_servers.py"), std::string::npos)
      << error;
}

TEST(RedisServersTest, FailedStartReportsTheLaunchersReason) {
  StartOptions options;
  options.acl_user = "alice";  // Without acl_password: the launcher refuses.
  std::string error;
  EXPECT_EQ(RedisServers::Start(Mode::kStandalone, options, &error), nullptr);
  EXPECT_NE(error.find("acl_user and acl_password go together"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace testing
}  // namespace redis_client
}  // namespace tfra
