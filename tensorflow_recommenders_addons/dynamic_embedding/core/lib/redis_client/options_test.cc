#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"

#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_client {
namespace {

using std::chrono::milliseconds;

TEST(OptionsTest, DefaultsAreTfraJsonDefaults) {
  const ClientOptions options;
  EXPECT_EQ(options.mode, Mode::kSentinel);
  ASSERT_EQ(options.endpoints.size(), 1u);
  EXPECT_EQ(options.endpoints[0].ToString(), "127.0.0.1:6379");
  EXPECT_EQ(options.connection.user, "default");
  EXPECT_EQ(options.connection.password, "");
  EXPECT_EQ(options.connection.db, 0);
  EXPECT_EQ(options.connection.connect_timeout, milliseconds(1000));
  EXPECT_EQ(options.connection.socket_timeout, milliseconds(1000));
  EXPECT_FALSE(options.connection.keep_alive);
  EXPECT_EQ(options.pool.size, 20);
  EXPECT_EQ(options.pool.wait_timeout, milliseconds(100000000));
  EXPECT_EQ(options.pool.connection_lifetime, std::chrono::minutes(100));
  EXPECT_EQ(options.sentinel.master_name, "master");
  EXPECT_EQ(options.sentinel.connect_timeout, milliseconds(1000));
  EXPECT_EQ(options.sentinel.socket_timeout, milliseconds(1000));
  EXPECT_FALSE(options.read_from_replicas);
  EXPECT_TRUE(ValidateOptions(options).ok());
}

// The test launcher is started with these names (--mode).
TEST(ModeTest, NamesAreTheLaunchersModeValues) {
  EXPECT_STREQ(ModeName(Mode::kCluster), "cluster");
  EXPECT_STREQ(ModeName(Mode::kSentinel), "sentinel");
  EXPECT_STREQ(ModeName(Mode::kStandalone), "standalone");
}

// Each case breaks one field; the error must name it.
TEST(OptionsTest, ValidationNamesTheOffendingField) {
  struct Case {
    const char* field;
    void (*mutate)(ClientOptions*);
  };
  const Case cases[] = {
      {"endpoints", [](ClientOptions* o) { o->endpoints.clear(); }},
      {"endpoints", [](ClientOptions* o) { o->endpoints[0].port = 70000; }},
      {"endpoints", [](ClientOptions* o) { o->endpoints[0].host = ""; }},
      {"endpoints",
       [](ClientOptions* o) {
         o->mode = Mode::kStandalone;
         o->endpoints.push_back({"127.0.0.1", 6380});
       }},
      {"pool.size", [](ClientOptions* o) { o->pool.size = 0; }},
      {"connection.db", [](ClientOptions* o) { o->connection.db = -1; }},
      {"connection.db",
       [](ClientOptions* o) {
         o->mode = Mode::kCluster;
         o->connection.db = 2;
       }},
      {"connection.socket_timeout",
       [](ClientOptions* o) {
         o->connection.socket_timeout = milliseconds(-1);
       }},
      {"pool.connection_lifetime",
       [](ClientOptions* o) {
         o->pool.connection_lifetime = milliseconds(-5);
       }},
      {"sentinel.master_name",
       [](ClientOptions* o) { o->sentinel.master_name = ""; }},
      {"cluster.max_attempts",
       [](ClientOptions* o) { o->cluster.max_attempts = 0; }},
      {"mode", [](ClientOptions* o) { o->mode = static_cast<Mode>(7); }},
  };
  for (const Case& c : cases) {
    ClientOptions options;
    c.mutate(&options);
    const Status status = ValidateOptions(options);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << c.field;
    EXPECT_EQ(status.message().rfind(c.field, 0), 0u)
        << "expected a message naming " << c.field << ", got "
        << status.message();
  }
}

TEST(EndpointTest, ComparesByHostThenPort) {
  const Endpoint a{"127.0.0.1", 7000};
  const Endpoint b{"127.0.0.1", 7001};
  EXPECT_TRUE(a < b);
  EXPECT_FALSE(b < a);
  EXPECT_EQ(a, (Endpoint{"127.0.0.1", 7000}));
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra
