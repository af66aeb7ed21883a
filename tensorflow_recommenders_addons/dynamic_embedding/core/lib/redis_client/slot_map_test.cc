#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/slot_map.h"

#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_client {
namespace {

const Endpoint kAsked{"127.0.0.1", 7000};

// RESP for one node entry [host, port, id].
std::string Node(const std::string& host, int port) {
  return "*3\r\n$" + std::to_string(host.size()) + "\r\n" + host +
         "\r\n:" + std::to_string(port) + "\r\n$2\r\nid\r\n";
}

std::string Range(int first, int last, const std::string& nodes,
                  int node_count) {
  return "*" + std::to_string(2 + node_count) +
         "\r\n:" + std::to_string(first) + "\r\n:" + std::to_string(last) +
         "\r\n" + nodes;
}

Result<SlotMap> ParseSlots(const std::string& ranges, int range_count) {
  Result<Reply> reply =
      ParseReply("*" + std::to_string(range_count) + "\r\n" + ranges);
  if (!reply.ok()) return reply.status();
  return SlotMap::FromClusterSlots(reply->view(), kAsked);
}

TEST(SlotMapTest, ParsesRangesWithMastersAndReplicas) {
  // Listed out of order on purpose: the map sorts them.
  const std::string reply =
      Range(8192, 16383, Node("127.0.0.1", 7001), 1) +
      Range(0, 8191, Node("127.0.0.1", 7000) + Node("127.0.0.1", 7002), 2);
  Result<SlotMap> map = ParseSlots(reply, 2);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  EXPECT_EQ(map->covered_slots(), 16384);
  const SlotRange* low = map->Find(0);
  ASSERT_NE(low, nullptr);
  EXPECT_EQ(low->master.port, 7000);
  ASSERT_EQ(low->replicas.size(), 1u);
  EXPECT_EQ(low->replicas[0].port, 7002);
  EXPECT_EQ(map->Find(8191)->master.port, 7000);
  EXPECT_EQ(map->Find(8192)->master.port, 7001);
  EXPECT_EQ(map->Find(16383)->master.port, 7001);
  EXPECT_EQ(map->Masters().size(), 2u);
  EXPECT_EQ(map->Nodes().size(), 3u);
}

TEST(SlotMapTest, UncoveredSlotsHaveNoNode) {
  Result<SlotMap> map =
      ParseSlots(Range(100, 200, Node("127.0.0.1", 7001), 1), 1);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->Find(99), nullptr);
  EXPECT_NE(map->Find(100), nullptr);
  EXPECT_NE(map->Find(200), nullptr);
  EXPECT_EQ(map->Find(201), nullptr);
  EXPECT_EQ(map->covered_slots(), 101);
}

TEST(SlotMapTest, NodeWithUnknownHostGetsTheAskedNodesHost) {
  Result<SlotMap> map = ParseSlots(Range(0, 16383, Node("", 7005), 1), 1);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->Find(5)->master, (Endpoint{"127.0.0.1", 7005}));
}

TEST(SlotMapTest, RejectsOverlapsBadRangesAndEmptyMaps) {
  EXPECT_EQ(
      ParseSlots(Range(0, 10, Node("h", 1), 1) + Range(10, 20, Node("h", 2), 1),
                 2)
          .status()
          .code(),
      ErrorCode::kProtocol);
  EXPECT_EQ(ParseSlots(Range(20, 10, Node("h", 1), 1), 1).status().code(),
            ErrorCode::kProtocol);
  EXPECT_EQ(ParseSlots(Range(0, 16384, Node("h", 1), 1), 1).status().code(),
            ErrorCode::kProtocol);
  EXPECT_EQ(ParseSlots("", 0).status().code(), ErrorCode::kNoNode);
}

TEST(SlotMapTest, AnErrorReplyIsReturnedAsItsStatus) {
  Result<Reply> reply =
      ParseReply("-ERR This instance has cluster support disabled\r\n");
  ASSERT_TRUE(reply.ok());
  Result<SlotMap> map = SlotMap::FromClusterSlots(reply->view(), kAsked);
  EXPECT_EQ(map.status().code(), ErrorCode::kReplyError);
  EXPECT_NE(map.status().message().find("cluster support disabled"),
            std::string::npos);
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra
