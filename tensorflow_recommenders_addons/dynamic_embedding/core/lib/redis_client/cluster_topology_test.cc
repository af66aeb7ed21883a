#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/cluster_topology.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"

namespace tfra {
namespace redis_client {
namespace {

class ClusterTopologyTest : public test_util::ClusterWithReplicasTest {
 protected:
  static int64_t ConnectionsReceived(int port) {
    auto connection =
        Connection::Open({"127.0.0.1", port}, ConnectionOptions());
    if (!connection.ok()) return -1;
    Result<Reply> info = (*connection)->Run(Info("stats"));
    if (!info.ok()) return -1;
    const std::string text(info->text());
    const std::string field = "total_connections_received:";
    const size_t at = text.find(field);
    return at == std::string::npos ? -1
                                   : std::stoll(text.substr(at + field.size()));
  }
};

TEST_F(ClusterTopologyTest, RefreshBuildsAFullSlotMap) {
  ClusterTopology topology(options_);
  ASSERT_TRUE(topology.Refresh().ok());
  Result<std::shared_ptr<const SlotMap>> map = topology.CurrentMap();
  ASSERT_TRUE(map.ok());
  EXPECT_EQ((*map)->covered_slots(), kClusterSlots);
  EXPECT_EQ((*map)->Masters().size(), 3u);
  EXPECT_EQ((*map)->Nodes().size(), servers_->nodes().size());
  for (const SlotRange& range : (*map)->ranges())
    EXPECT_EQ(range.replicas.size(), 1u);
}

TEST_F(ClusterTopologyTest, RefreshAsksRandomNodesNotAlwaysTheFirstSeed) {
  std::vector<int64_t> before;
  for (const auto& node : servers_->nodes())
    before.push_back(ConnectionsReceived(node.port));
  ClusterTopology topology(options_);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(topology.Refresh().ok());
  int nodes_asked = 0;
  for (size_t i = 0; i < servers_->nodes().size(); ++i) {
    // Each node also counts our own INFO connection.
    if (ConnectionsReceived(servers_->nodes()[i].port) - before[i] > 1)
      ++nodes_asked;
  }
  EXPECT_GE(nodes_asked, 2);
}

TEST_F(ClusterTopologyTest, DeadSeedIsSkipped) {
  ClientOptions options = options_;
  options.endpoints.insert(options.endpoints.begin(),
                           Endpoint{"127.0.0.1", test_util::UnusedPort()});
  ClusterTopology topology(options);
  EXPECT_TRUE(topology.Refresh().ok());
}

TEST_F(ClusterTopologyTest, RefreshUnlessNewerSkipsAMapAlreadyReplaced) {
  ClusterTopology topology(options_);
  uint64_t seen = 0;
  EXPECT_EQ(topology.Snapshot(&seen), nullptr);
  ASSERT_TRUE(topology.RefreshUnlessNewer(seen).ok());
  uint64_t after_first = 0;
  std::shared_ptr<const SlotMap> first = topology.Snapshot(&after_first);
  ASSERT_NE(first, nullptr);
  EXPECT_NE(after_first, seen);
  // A second thread that saw the old version finds the map replaced and
  // fetches nothing: the snapshot stays the same object.
  ASSERT_TRUE(topology.RefreshUnlessNewer(seen).ok());
  uint64_t after_second = 0;
  EXPECT_EQ(topology.Snapshot(&after_second), first);
  EXPECT_EQ(after_second, after_first);
  ASSERT_TRUE(topology.Refresh().ok());
  uint64_t after_refresh = 0;
  EXPECT_NE(topology.Snapshot(&after_refresh), first);
  EXPECT_NE(after_refresh, after_first);
}

TEST_F(ClusterTopologyTest, OnePoolPerNodeAndAccess) {
  ClusterTopology topology(options_);
  std::shared_ptr<const SlotMap> map = topology.CurrentMap().value();
  const Endpoint master = map->ranges().front().master;
  std::shared_ptr<ConnectionPool> pool = topology.PoolFor(master, false);
  EXPECT_EQ(topology.PoolFor(master, false), pool);
  EXPECT_NE(topology.PoolFor(master, true), pool);
  NodeSession session(pool.get());
  Result<Reply> pong = session.Run(Ping());
  ASSERT_TRUE(pong.ok()) << pong.status().ToString();
  EXPECT_EQ(*pong->AsString(), "PONG");
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra
