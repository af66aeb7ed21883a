// Test-only glue between the launcher wrapper (testing/redis_servers.h) and
// the client: start a deployment, describe it as ClientOptions, make keys
// unique to the running test, and poll for a condition with a deadline.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_TEST_UTIL_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_TEST_UTIL_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/testing/redis_servers.h"

namespace tfra {
namespace redis_client {
namespace test_util {

using ServerMode = ::tfra::redis_client::testing::Mode;
using ::tfra::redis_client::testing::RedisServers;
using ::tfra::redis_client::testing::StartOptions;

// Starts a deployment; on failure records a test failure naming the
// launcher's reason and returns null (callers ASSERT_NE(..., nullptr)).
std::unique_ptr<RedisServers> StartServers(ServerMode mode,
                                           const StartOptions& options = {});

// The client mode matching a launcher mode.
Mode ClientModeOf(ServerMode mode);

// Options reaching `servers`: the node (standalone), the Sentinels and the
// master name (sentinel), every node as a seed (cluster); credentials as the
// launcher reports them (the ACL user when there is one).
ClientOptions OptionsFor(const RedisServers& servers);

// A hash-tagged key unique to the running test: "{<suite>.<test>:<stem>}".
std::string TestKey(const std::string& stem);

// A loopback port nothing listens on (bound, read and released; another
// process could take it in between, which tests accept).
int UnusedPort();

// Waits until CLUSTER SLOTS on every running node lists a replica for every
// range. Redis 7.0 leaves a replica out until its replication offset has been
// gossiped, seconds after the launcher reports the cluster settled.
bool WaitForClusterReplicas(const RedisServers& servers,
                            std::chrono::milliseconds timeout);

// Polls `condition` every 50 ms until it holds or `timeout` passes; returns
// whether it held.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout);

}  // namespace test_util
}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_TEST_UTIL_H_
