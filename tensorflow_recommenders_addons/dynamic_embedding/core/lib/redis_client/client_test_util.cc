#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/slot_map.h"

namespace tfra {
namespace redis_client {
namespace test_util {

std::unique_ptr<RedisServers> StartServers(const DeploymentSpec& spec) {
  std::string error;
  std::unique_ptr<RedisServers> servers =
      RedisServers::Start(spec.mode, spec.options, &error);
  if (servers == nullptr) {
    ADD_FAILURE() << "cannot start a " << ModeName(spec.mode)
                  << " deployment: " << error;
    return nullptr;
  }
  if (spec.mode == Mode::kCluster && spec.wait_for_replicas &&
      !WaitForClusterReplicas(*servers, std::chrono::seconds(60))) {
    ADD_FAILURE() << "cluster replicas never appeared in CLUSTER SLOTS";
    return nullptr;
  }
  return servers;
}

std::unique_ptr<RedisServers> StartServers(Mode mode,
                                           const StartOptions& options) {
  return StartServers(DeploymentSpec{mode, options});
}

DeploymentSpec ClusterWithReplicasTest::Spec() const {
  DeploymentSpec spec{Mode::kCluster};
  spec.wait_for_replicas = true;
  return spec;
}

void ClusterWithReplicasTest::SetUp() {
  ASSERT_NO_FATAL_FAILURE(ServersTest::SetUp());
  options_ = OptionsFor(*servers_);
}

DeploymentSpec PasswordedSentinelTest::Spec() const {
  DeploymentSpec spec{Mode::kSentinel};
  spec.options.password = kDataPassword;
  spec.options.sentinel_password = kSentinelPassword;
  return spec;
}

std::unique_ptr<RedisClient> MakeClient(const ClientOptions& options) {
  Result<std::unique_ptr<RedisClient>> client = CreateClient(options);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

std::string ModeTestName(const ::testing::TestParamInfo<Mode>& info) {
  return ModeName(info.param);
}

ClientOptions OptionsFor(const RedisServers& servers) {
  ClientOptions options;
  options.mode = servers.mode();
  options.endpoints.clear();
  if (servers.mode() == Mode::kSentinel) {
    for (const auto& sentinel : servers.sentinels()) {
      options.endpoints.push_back({servers.host(), sentinel.port});
    }
    options.sentinel.master_name = servers.master_name();
    options.sentinel.password = servers.sentinel_password();
  } else if (servers.mode() == Mode::kStandalone) {
    options.endpoints.push_back(
        {servers.host(), servers.nodes().front().client_port()});
  } else {
    for (const auto& node : servers.nodes()) {
      options.endpoints.push_back({servers.host(), node.client_port()});
    }
  }
  if (!servers.acl_user().empty()) {
    options.connection.user = servers.acl_user();
    options.connection.password = servers.acl_password();
  } else {
    options.connection.password = servers.password();
  }
  return options;
}

std::string TestKey(const std::string& stem) {
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info == nullptr ? "no-test"
                                     : std::string(info->test_suite_name()) +
                                           "." + info->name();
  return "{" + name + ":" + stem + "}";
}

int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool WaitForClusterReplicas(const RedisServers& servers,
                            std::chrono::milliseconds timeout) {
  auto all_listed = [&servers]() {
    for (const auto& node : servers.nodes()) {
      if (node.state != "running") continue;
      const Endpoint endpoint{servers.host(), node.port};
      auto connection =
          Connection::Open(endpoint, OptionsFor(servers).connection);
      if (!connection.ok()) return false;
      Result<Reply> reply = (*connection)->Run(ClusterSlots());
      if (!reply.ok()) return false;
      Result<SlotMap> map = SlotMap::FromClusterSlots(reply->view(), endpoint);
      if (!map.ok() || map->covered_slots() != 16384) return false;
      for (const SlotRange& range : map->ranges()) {
        if (range.replicas.empty()) return false;
      }
    }
    return true;
  };
  return WaitFor(all_listed, timeout);
}

testing::ProxyStats OnEveryProxy(RedisServers& servers,
                                 const std::string& action) {
  testing::ProxyStats total;
  for (const testing::ServerNode& node : servers.nodes()) {
    testing::ProxyStats stats;
    std::string error;
    EXPECT_TRUE(servers.Proxy(node.port, action, &stats, &error))
        << "proxy of node " << node.port << ": " << error;
    total.commands += stats.commands;
    total.replies += stats.replies;
    total.cuts += stats.cuts;
    total.dropped.insert(total.dropped.end(), stats.dropped.begin(),
                         stats.dropped.end());
  }
  return total;
}

}  // namespace test_util
}  // namespace redis_client
}  // namespace tfra
