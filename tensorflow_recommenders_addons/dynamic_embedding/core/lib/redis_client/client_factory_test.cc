#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_client {
namespace {

// Creating clients does not touch the network, so these need no server.
ClientOptions Standalone(int port) {
  ClientOptions options;
  options.mode = Mode::kStandalone;
  options.endpoints = {{"127.0.0.1", port}};
  return options;
}

TEST(CreateClientTest, PicksTheClientByMode) {
  for (Mode mode : {Mode::kStandalone, Mode::kSentinel, Mode::kCluster}) {
    ClientOptions options = Standalone(6379);
    options.mode = mode;
    Result<std::unique_ptr<RedisClient>> client = CreateClient(options);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    EXPECT_EQ((*client)->mode(), mode);
  }
}

TEST(CreateClientTest, RejectsInvalidOptions) {
  ClientOptions options = Standalone(6379);
  options.pool.size = 0;
  EXPECT_EQ(CreateClient(options).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ClientRegistry::Global().GetOrCreate(options).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST(ClientRegistryTest, EqualOptionsShareOneClient) {
  ClientRegistry registry;
  auto first = registry.GetOrCreate(Standalone(7001));
  auto second = registry.GetOrCreate(Standalone(7001));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ(registry.live_clients(), 1u);
}

TEST(ClientRegistryTest, AnyDifferenceGetsItsOwnClient) {
  ClientRegistry registry;
  auto base = registry.GetOrCreate(Standalone(7001));
  ASSERT_TRUE(base.ok());
  ClientOptions other_port = Standalone(7002);
  ClientOptions other_password = Standalone(7001);
  other_password.connection.password = "p";
  ClientOptions other_user = Standalone(7001);
  other_user.connection.user = "alice";
  ClientOptions other_db = Standalone(7001);
  other_db.connection.db = 1;
  ClientOptions other_timeout = Standalone(7001);
  other_timeout.connection.socket_timeout = std::chrono::milliseconds(5);
  for (const ClientOptions& options :
       {other_port, other_password, other_user, other_db, other_timeout}) {
    auto client = registry.GetOrCreate(options);
    ASSERT_TRUE(client.ok());
    EXPECT_NE(client->get(), base->get());
  }
}

TEST(ClientRegistryTest, ClientIsClosedWhenItsLastHolderLetsGo) {
  ClientRegistry registry;
  auto client = registry.GetOrCreate(Standalone(7001));
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(registry.live_clients(), 1u);
  *client = nullptr;
  EXPECT_EQ(registry.live_clients(), 0u);
  auto again = registry.GetOrCreate(Standalone(7001));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(registry.live_clients(), 1u);
}

TEST(ClientRegistryTest, GlobalRegistryIsOneObject) {
  EXPECT_EQ(&ClientRegistry::Global(), &ClientRegistry::Global());
}

TEST(RegistryKeyTest, FieldBoundariesCannotBeConfused) {
  // "ab" + "c" must not equal "a" + "bc".
  ClientOptions a = Standalone(7001);
  a.connection.user = "ab";
  a.connection.password = "c";
  ClientOptions b = Standalone(7001);
  b.connection.user = "a";
  b.connection.password = "bc";
  EXPECT_NE(RegistryKey(a), RegistryKey(b));
  EXPECT_EQ(RegistryKey(a), RegistryKey(a));
}

// Two deployments at once: tables pointing at different servers must reach
// their own server (TFRA issue #175).
TEST(ClientRegistryTest, ClientsOfDifferentServersNeverMix) {
  auto first = test_util::StartServers(Mode::kStandalone);
  auto second = test_util::StartServers(Mode::kStandalone);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  auto one =
      ClientRegistry::Global().GetOrCreate(test_util::OptionsFor(*first));
  auto two =
      ClientRegistry::Global().GetOrCreate(test_util::OptionsFor(*second));
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(two.ok());
  const std::string key = test_util::TestKey("where");
  ASSERT_TRUE(
      (*one)->Run(key, Command{"SET", key, "first"}, Access::kWrite).ok());
  ASSERT_TRUE(
      (*two)->Run(key, Command{"SET", key, "second"}, Access::kWrite).ok());
  EXPECT_EQ((*one)->Run(key, Command{"GET", key}, Access::kRead)->text(),
            "first");
  EXPECT_EQ((*two)->Run(key, Command{"GET", key}, Access::kRead)->text(),
            "second");
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra
