#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/sentinel.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_client {
namespace {

class SentinelTest : public test_util::PasswordedSentinelTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SharedServersTest::SetUp());
    const ClientOptions client = test_util::OptionsFor(*servers_);
    sentinels_ = client.endpoints;
    options_ = client.sentinel;
    data_options_ = client.connection;
  }

  int MasterPort() {
    std::string error;
    const int port = servers_->MasterPort(&error);
    EXPECT_GT(port, 0) << error;
    return port;
  }

  // The replica's port: launcher roles are the nodes' own ROLE answers.
  int ReplicaPort() {
    const std::vector<int> replicas = servers_->NodePorts("replica");
    EXPECT_EQ(replicas.size(), 1u);
    return replicas.empty() ? -1 : replicas[0];
  }

  std::vector<Endpoint> sentinels_;
  SentinelOptions options_;
  ConnectionOptions data_options_;
};

TEST_F(SentinelTest, MasterAddressIsTheLaunchersMaster) {
  Result<Endpoint> master = QueryMasterAddress(sentinels_, options_);
  ASSERT_TRUE(master.ok()) << master.status().ToString();
  EXPECT_EQ(master->port, MasterPort());
}

TEST_F(SentinelTest, ReplicaAddressesListTheHealthyReplica) {
  Result<std::vector<Endpoint>> replicas =
      QueryReplicaAddresses(sentinels_, options_);
  ASSERT_TRUE(replicas.ok()) << replicas.status().ToString();
  ASSERT_EQ(replicas->size(), 1u);
  EXPECT_EQ((*replicas)[0].port, ReplicaPort());
}

TEST_F(SentinelTest, DeadSentinelsAreSkipped) {
  std::vector<Endpoint> with_dead = {{"127.0.0.1", test_util::UnusedPort()}};
  with_dead.insert(with_dead.end(), sentinels_.begin(), sentinels_.end());
  Result<Endpoint> master = QueryMasterAddress(with_dead, options_);
  ASSERT_TRUE(master.ok()) << master.status().ToString();
  EXPECT_EQ(master->port, MasterPort());
}

TEST_F(SentinelTest, UnknownMasterSetFailsNamingItAndEverySentinel) {
  SentinelOptions unknown = options_;
  unknown.master_name = "no-such-master";
  Result<Endpoint> master = QueryMasterAddress(sentinels_, unknown);
  EXPECT_EQ(master.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(master.status().message().find("'no-such-master'"),
            std::string::npos);
  for (const Endpoint& sentinel : sentinels_) {
    EXPECT_NE(master.status().message().find(sentinel.ToString()),
              std::string::npos)
        << master.status().message();
  }
}

TEST_F(SentinelTest, WrongSentinelPasswordIsAnAuthError) {
  SentinelOptions wrong = options_;
  wrong.password = "not-it";
  Result<Endpoint> master = QueryMasterAddress(sentinels_, wrong);
  EXPECT_EQ(master.status().code(), ErrorCode::kAuth)
      << master.status().ToString();
  EXPECT_EQ(master.status().message().find("not-it"), std::string::npos);
  EXPECT_EQ(master.status().message().find(test_util::kSentinelPassword),
            std::string::npos);
}

TEST_F(SentinelTest, CheckRoleRejectsAReplicaPosingAsMaster) {
  auto replica = Connection::Open({"127.0.0.1", ReplicaPort()}, data_options_);
  ASSERT_TRUE(replica.ok()) << replica.status().ToString();
  EXPECT_TRUE(CheckRole(**replica, NodeRole::kReplica).ok());
  const Status status = CheckRole(**replica, NodeRole::kMaster);
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  EXPECT_NE(status.message().find("has role 'slave', expected 'master'"),
            std::string::npos)
      << status.message();
  EXPECT_TRUE((*replica)->broken());
}

TEST_F(SentinelTest, ConnectsToTheNodeOfEachRole) {
  auto master = ConnectThroughSentinels(sentinels_, options_, NodeRole::kMaster,
                                        data_options_);
  ASSERT_TRUE(master.ok()) << master.status().ToString();
  EXPECT_EQ((*master)->endpoint().port, MasterPort());
  auto replica = ConnectThroughSentinels(sentinels_, options_,
                                         NodeRole::kReplica, data_options_);
  ASSERT_TRUE(replica.ok()) << replica.status().ToString();
  EXPECT_EQ((*replica)->endpoint().port, ReplicaPort());
}

TEST_F(SentinelTest, ProbeRoleTellsSentinelsFromDataNodes) {
  ConnectionOptions sentinel_options;
  sentinel_options.password = options_.password;
  Result<std::string> sentinel = ProbeRole(sentinels_[0], sentinel_options);
  ASSERT_TRUE(sentinel.ok()) << sentinel.status().ToString();
  EXPECT_EQ(*sentinel, "sentinel");
  Result<std::string> master =
      ProbeRole({"127.0.0.1", MasterPort()}, data_options_);
  ASSERT_TRUE(master.ok()) << master.status().ToString();
  EXPECT_EQ(*master, "master");
  Result<std::string> replica =
      ProbeRole({"127.0.0.1", ReplicaPort()}, data_options_);
  ASSERT_TRUE(replica.ok()) << replica.status().ToString();
  EXPECT_EQ(*replica, "slave");
  // The data password does not open a Sentinel: the probe fails.
  EXPECT_FALSE(ProbeRole(sentinels_[0], data_options_).ok());
}

TEST_F(SentinelTest, WrongDataPasswordStopsWithoutMoreRounds) {
  ConnectionOptions wrong = data_options_;
  wrong.password = "not-the-data-pass";
  SentinelOptions slow_rounds = options_;
  slow_rounds.round_interval = std::chrono::milliseconds(2000);
  const auto start = std::chrono::steady_clock::now();
  auto connection = ConnectThroughSentinels(sentinels_, slow_rounds,
                                            NodeRole::kMaster, wrong);
  EXPECT_EQ(connection.status().code(), ErrorCode::kAuth);
  EXPECT_LT(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra
