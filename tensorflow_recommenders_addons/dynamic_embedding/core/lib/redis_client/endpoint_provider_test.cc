#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/endpoint_provider.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_client {
namespace {

// One Sentinel deployment serves both providers: its data nodes are plain
// servers at fixed addresses too.
class EndpointProviderTest : public test_util::PasswordedSentinelTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SharedServersTest::SetUp());
    options_ = test_util::OptionsFor(*servers_);
    std::string error;
    master_port_ = servers_->MasterPort(&error);
    ASSERT_GT(master_port_, 0) << error;
  }

  static int Port(Result<std::unique_ptr<Connection>>& connection) {
    EXPECT_TRUE(connection.ok()) << connection.status().ToString();
    return connection.ok() ? (*connection)->endpoint().port : -1;
  }

  ClientOptions options_;
  int master_port_ = 0;
};

TEST_F(EndpointProviderTest, FixedProviderAlwaysConnectsToItsAddress) {
  FixedEndpointProvider provider({"127.0.0.1", master_port_});
  EXPECT_EQ(provider.Describe(), "127.0.0.1:" + std::to_string(master_port_));
  for (int i = 0; i < 2; ++i) {
    auto connection = provider.Connect(options_.connection);
    EXPECT_EQ(Port(connection), master_port_);
  }
}

TEST_F(EndpointProviderTest, SentinelProviderConnectsToTheNodeOfItsRole) {
  SentinelEndpointProvider master(options_.endpoints, options_.sentinel,
                                  NodeRole::kMaster);
  auto to_master = master.Connect(options_.connection);
  EXPECT_EQ(Port(to_master), master_port_);
  SentinelEndpointProvider replica(options_.endpoints, options_.sentinel,
                                   NodeRole::kReplica);
  auto to_replica = replica.Connect(options_.connection);
  const std::vector<int> replicas = servers_->NodePorts("replica");
  ASSERT_EQ(replicas.size(), 1u);
  EXPECT_EQ(Port(to_replica), replicas[0]);
}

TEST_F(EndpointProviderTest,
       SentinelProviderDescribesTheMasterSetWithoutCredentials) {
  SentinelEndpointProvider provider(options_.endpoints, options_.sentinel,
                                    NodeRole::kMaster);
  const std::string text = provider.Describe();
  EXPECT_NE(text.find("'" + options_.sentinel.master_name + "'"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(options_.endpoints[0].ToString()), std::string::npos)
      << text;
  EXPECT_EQ(text.find(test_util::kSentinelPassword), std::string::npos);
  EXPECT_EQ(text.find(test_util::kDataPassword), std::string::npos);
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra
