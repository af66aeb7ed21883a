// Test-only glue between the launcher wrapper (testing/redis_servers.h) and
// the client: start a deployment (also as a fixture shared by a suite's
// tests), describe it as ClientOptions, make clients and keys unique to the
// running test, and poll for a condition with a deadline.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_TEST_UTIL_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_TEST_UTIL_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/options.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/testing/redis_servers.h"

namespace tfra {
namespace redis_client {
namespace test_util {

using ::tfra::redis_client::testing::RedisServers;
using ::tfra::redis_client::testing::StartOptions;

// What a test runs against.
struct DeploymentSpec {
  Mode mode = Mode::kStandalone;
  StartOptions options;
  // Cluster: also wait (up to a minute) until CLUSTER SLOTS lists every
  // replica, for tests that read from replicas or kill a master.
  bool wait_for_replicas = false;
};

// Starts a deployment; on failure records a test failure naming the
// launcher's reason and returns null (callers ASSERT_NE(..., nullptr)).
std::unique_ptr<RedisServers> StartServers(const DeploymentSpec& spec);
std::unique_ptr<RedisServers> StartServers(Mode mode,
                                           const StartOptions& options = {});

// The passwords of PasswordedSentinelTest; tests check that no message
// contains them.
inline constexpr char kDataPassword[] = "data-pass";
inline constexpr char kSentinelPassword[] = "sentinel-pass";

// Options reaching `servers`: the node (standalone), the Sentinels and the
// master name (sentinel), every node as a seed (cluster), through the nodes'
// proxies when they have them; credentials as the launcher reports them (the
// ACL user when there is one).
ClientOptions OptionsFor(const RedisServers& servers);

// A new client for `options`; null (with a recorded test failure) when the
// options are rejected.
std::unique_ptr<RedisClient> MakeClient(const ClientOptions& options);

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

// Runs the fault-proxy `action` ("drop_reply command=EXEC", "heal", "stats",
// ...) on the proxy of every node (StartOptions::with_proxies), recording a
// test failure for each proxy that refuses; returns the proxies' counters
// added up (`dropped` concatenated).
testing::ProxyStats OnEveryProxy(RedisServers& servers,
                                 const std::string& action);

// Polls `condition` every 50 ms until it holds or `timeout` passes; returns
// whether it held.
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout);

// Base of fixtures whose tests share deployments: the deployment Spec()
// names is started by the first test that asks for it (one per Mode)
// and stopped after the suite, so a suite pays one start-up per mode. A
// failed start fails every test of that mode without being retried.
// `TestBase` is ::testing::Test, or ::testing::TestWithParam<Mode>
// for suites whose Spec() runs the same tests in every mode (GetParam()).
template <typename TestBase>
class SharedServersTest : public TestBase {
 protected:
  static void TearDownTestSuite() { deployments_.clear(); }

  virtual DeploymentSpec Spec() const = 0;

  // Sets servers_. A fixture's own SetUp starts with
  // ASSERT_NO_FATAL_FAILURE(SharedServersTest::SetUp()).
  void SetUp() override {
    const DeploymentSpec spec = Spec();
    auto [slot, first] = deployments_.try_emplace(spec.mode);
    if (first) slot->second = StartServers(spec);
    ASSERT_NE(slot->second, nullptr)
        << "no " << ModeName(spec.mode) << " deployment";
    servers_ = slot->second.get();
  }

  RedisServers* servers_ = nullptr;  // owned by deployments_

 private:
  // Suites run one after another, so one map per TestBase serves them all.
  static inline std::map<Mode, std::unique_ptr<RedisServers>>
      deployments_;
};

using ServersTest = SharedServersTest<::testing::Test>;
using AllModesServersTest =
    SharedServersTest<::testing::TestWithParam<Mode>>;

// For the cluster layer's tests: a cluster whose CLUSTER SLOTS lists every
// replica, and `options_` reaching it.
class ClusterWithReplicasTest : public ServersTest {
 protected:
  DeploymentSpec Spec() const override;
  void SetUp() override;

  ClientOptions options_;
};

// For the Sentinel layer's tests: a Sentinel deployment whose data nodes
// and Sentinels both require passwords (kDataPassword, kSentinelPassword).
class PasswordedSentinelTest : public ServersTest {
 protected:
  DeploymentSpec Spec() const override;
};

// INSTANTIATE_TEST_SUITE_P(AllModes, <an AllModesServersTest>,
//                          EveryMode(), ModeTestName);
inline auto EveryMode() {
  return ::testing::Values(Mode::kStandalone, Mode::kSentinel, Mode::kCluster);
}
std::string ModeTestName(const ::testing::TestParamInfo<Mode>& info);

}  // namespace test_util
}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_CLIENT_TEST_UTIL_H_
