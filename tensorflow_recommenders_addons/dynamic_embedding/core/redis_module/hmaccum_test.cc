// HMACCUM against real servers that load hmaccum.so, in every connection
// mode: the syntax, replies and error texts upstream's clients expect, each
// dtype, the exists rules, repeated fields, errors that write nothing, and
// what COMMAND INFO tells Cluster routing and ACLs.
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/module_test_util.h"

namespace tfra {
namespace redis_module {
namespace {

namespace client_util = redis_client::test_util;
using redis_client::Mode;
using redis_client::Access;
using redis_client::Command;
using redis_client::Reply;
using redis_client::ReplyType;

template <typename T>
std::string Row(std::initializer_list<T> values) {
  const std::vector<T> v(values);
  return std::string(reinterpret_cast<const char*>(v.data()),
                     v.size() * sizeof(T));
}

template <typename T>
std::vector<T> Elements(const std::string& bytes) {
  std::vector<T> v(bytes.size() / sizeof(T));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
  return v;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

class HmaccumTest : public client_util::AllModesServersTest {
 protected:
  client_util::DeploymentSpec Spec() const override {
    return test_util::ModuleDeployment(GetParam());
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(client_util::AllModesServersTest::SetUp());
    client_ = client_util::MakeClient(client_util::OptionsFor(*servers_));
    ASSERT_NE(client_, nullptr);
    key_ = client_util::TestKey("bucket");
  }

  // Runs `command` on the node serving key_; its reply.
  Reply Call(const Command& command) {
    auto reply = client_->Run(key_, command, Access::kWrite);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? std::move(*reply) : Reply();
  }

  // HMACCUM key_ dtype f1 v1 ... exists; the arguments are kept alive in
  // args_ until the next call.
  Reply Accum(const std::string& dtype, const Pairs& pairs,
              const std::string& exists) {
    args_ = {"HMACCUM", key_, dtype};
    for (const auto& [field, value] : pairs) {
      args_.push_back(field);
      args_.push_back(value);
    }
    args_.push_back(exists);
    Command command;
    for (const std::string& arg : args_) command.Add(arg);
    return Call(command);
  }

  // The integer reply of an HMACCUM, or a failure naming the reply.
  int64_t Count(const Reply& reply) {
    auto count = reply.AsInteger();
    EXPECT_TRUE(count.ok()) << reply.ToStatus().ToString();
    return count.ok() ? *count : -1;
  }

  std::map<std::string, std::string> Stored() {
    Reply reply = Call(Command{"HGETALL", key_});
    std::map<std::string, std::string> rows;
    auto size = reply.ArraySize();
    EXPECT_TRUE(size.ok());
    for (size_t i = 0; size.ok() && i + 1 < *size; i += 2) {
      rows[std::string(*reply.element(i).AsString())] =
          std::string(*reply.element(i + 1).AsString());
    }
    return rows;
  }

  void ExpectError(const Reply& reply, const std::string& text) {
    ASSERT_EQ(reply.type(), ReplyType::kError) << reply.text();
    EXPECT_EQ(reply.text(), text);
  }

  std::unique_ptr<redis_client::RedisClient> client_;
  std::string key_;
  std::vector<std::string> args_;
};

TEST_P(HmaccumTest, AbsentFieldsAreSetAndTheReplyCountsThePairs) {
  const Pairs pairs = {{"a", Row<float>({1.5f, -2.0f})},
                       {"b", Row<float>({0.25f, 8.0f})}};
  EXPECT_EQ(Count(Accum("float", pairs, std::string(2, '\0'))), 2);
  EXPECT_EQ(Stored(), (std::map<std::string, std::string>{
                          {"a", pairs[0].second}, {"b", pairs[1].second}}));
}

TEST_P(HmaccumTest, StoredFieldsGetTheirDeltaAdded) {
  Accum("float", {{"a", Row<float>({1.5f, -2.0f})}}, std::string(1, '\0'));
  EXPECT_EQ(Count(Accum("float", {{"a", Row<float>({0.25f, 0.5f})}}, "\x01")),
            1);
  EXPECT_EQ(Elements<float>(Stored()["a"]), (std::vector<float>{1.75f, -1.5f}));
}

TEST_P(HmaccumTest, AnyNonZeroExistsByteMeansExistsAsUpstreamReadsIt) {
  Accum("int32", {{"a", Row<int32_t>({1})}}, std::string(1, '\0'));
  EXPECT_EQ(Count(Accum("int32", {{"a", Row<int32_t>({2})}}, "1")), 1);
  EXPECT_EQ(Elements<int32_t>(Stored()["a"]), std::vector<int32_t>{3});
}

TEST_P(HmaccumTest, AStaleExistsFlagChangesNothing) {
  Accum("float", {{"a", Row<float>({1.0f})}}, std::string(1, '\0'));
  // a is stored but the caller thinks not; b is absent but thought stored.
  EXPECT_EQ(Count(Accum("float",
                        {{"a", Row<float>({5.0f})}, {"b", Row<float>({7.0f})}},
                        std::string("\x00\x01", 2))),
            2);
  EXPECT_EQ(Stored(),
            (std::map<std::string, std::string>{{"a", Row<float>({1.0f})}}));
}

TEST_P(HmaccumTest, EveryDtypeAddsItsOwnElementsAndIntegersWrap) {
  Accum("double", {{"d", Row<double>({0.1, 1e300})}}, std::string(1, '\0'));
  Accum("double", {{"d", Row<double>({0.2, -1e300})}}, "\x01");
  EXPECT_EQ(Elements<double>(Stored()["d"]), (std::vector<double>{0.1 + 0.2, 0}));
  const int32_t max32 = INT32_MAX;
  Accum("int32", {{"i", Row<int32_t>({max32, -3})}}, std::string(1, '\0'));
  Accum("int32", {{"i", Row<int32_t>({1, 3})}}, "\x01");
  EXPECT_EQ(Elements<int32_t>(Stored()["i"]),
            (std::vector<int32_t>{INT32_MIN, 0}));
  const int64_t big = (int64_t{1} << 60) + 1;  // beyond a double's integers
  Accum("int64", {{"l", Row<int64_t>({big, INT64_MIN})}}, std::string(1, '\0'));
  Accum("int64", {{"l", Row<int64_t>({big, -1})}}, "\x01");
  EXPECT_EQ(Elements<int64_t>(Stored()["l"]),
            (std::vector<int64_t>{2 * big, INT64_MAX}));
  Accum("int8", {{"b", Row<int8_t>({127, -128, 5})}}, std::string(1, '\0'));
  Accum("int8", {{"b", Row<int8_t>({1, -1, -6})}}, "\x01");
  EXPECT_EQ(Elements<int8_t>(Stored()["b"]), (std::vector<int8_t>{-128, 127, -1}));
}

TEST_P(HmaccumTest, ARepeatedFieldSeesItsEarlierUpdates) {
  EXPECT_EQ(Count(Accum("float",
                        {{"a", Row<float>({1.0f})},
                         {"a", Row<float>({2.0f})},
                         {"a", Row<float>({0.5f})},
                         {"a", Row<float>({100.0f})}},
                        std::string("\x00\x01\x01\x00", 4))),
            4);
  // Set, add, add; the last pair finds a stored row and a zero flag.
  EXPECT_EQ(Elements<float>(Stored()["a"]), std::vector<float>{3.5f});
}

TEST_P(HmaccumTest, NoPairsRepliesZeroAndCreatesNoKey) {
  EXPECT_EQ(Count(Accum("float", {}, "")), 0);
  EXPECT_EQ(Count(Call(Command{"EXISTS", key_})), 0);
}

TEST_P(HmaccumTest, AWrongArgumentCountIsRefused) {
  const std::string arity_error =
      "ERR wrong number of arguments for 'HMACCUM' command";
  Reply three = Call(Command{"hmaccum", key_, "float"});
  ExpectError(three, arity_error);
  Reply five = Call(Command{"hmaccum", key_, "float", "a", "b"});
  ExpectError(five, arity_error);
}

TEST_P(HmaccumTest, UpstreamsErrorsAreRepliedWordForWordAndWriteNothing) {
  const std::string one = Row<float>({1.0f});
  ExpectError(Accum("half", {{"a", one}}, std::string(1, '\0')),
              "Not supported valueType");
  ExpectError(Accum("float", {{"a", one}}, std::string(2, '\0')),
              "Invalid exists length");
  EXPECT_EQ(Count(Call(Command{"EXISTS", key_})), 0);
  ASSERT_EQ(Call(Command{"SET", key_, "text"}).type(), ReplyType::kStatus);
  // A key of another type wins over a bad dtype, as upstream checks it first.
  ExpectError(Accum("half", {{"a", one}}, std::string(1, '\0')),
              "WRONGTYPE Operation against a key holding the wrong kind of "
              "value");
  EXPECT_EQ(*Call(Command{"GET", key_}).AsString(), "text");
}

TEST_P(HmaccumTest, ARowOfTheWrongSizeFailsTheCallAndUndoesItsEarlierWrites) {
  Accum("float", {{"a", Row<float>({1.0f, 2.0f})}}, std::string(1, '\0'));
  const auto before = Stored();
  Reply reply = Accum("float",
                      {{"new", Row<float>({9.0f})},
                       {"a", Row<float>({1.0f, 1.0f})},
                       {"a", Row<float>({1.0f})}},
                      std::string("\x00\x01\x01", 3));
  ExpectError(reply,
              "TFRA accum: field 0x61 stores 8 bytes, the delta has 4 bytes "
              "of 4-byte elements");
  EXPECT_EQ(Stored(), before);
  // A key the failed call created is gone again.
  const std::string fresh = client_util::TestKey("fresh");
  Command command{"HMACCUM", fresh, "int8", "x", "\x01", "x", "\x01\x02"};
  command.Add(std::string_view("\x00\x01", 2));
  auto fresh_reply = client_->Run(fresh, command, Access::kWrite);
  ASSERT_TRUE(fresh_reply.ok());
  EXPECT_TRUE(fresh_reply->is_error());
  EXPECT_EQ(*client_->Run(fresh, Command{"EXISTS", fresh}, Access::kWrite)
                 ->AsInteger(),
            0);
}

TEST_P(HmaccumTest, AFailedCallRestoresRowsOfEverySizeItReplaced) {
  // Rows of three sizes, one of them replaced twice, then a bad pair: every
  // replaced row must come back byte for byte (the undo copies grow past
  // the room the first row made).
  Accum("float",
        {{"a", Row<float>({1.0f})},
         {"b", Row<float>({1, 2, 3, 4, 5, 6, 7, 8})},
         {"c", Row<float>({0.5f, 0.25f})}},
        std::string(3, '\0'));
  const auto before = Stored();
  Reply reply = Accum("float",
                      {{"a", Row<float>({1.0f})},
                       {"b", Row<float>({1, 1, 1, 1, 1, 1, 1, 1})},
                       {"c", Row<float>({2.0f, 2.0f})},
                       {"a", Row<float>({3.0f})},
                       {"d", Row<float>({4.0f})},
                       {"c", Row<float>({1.0f})}},
                      std::string("\x01\x01\x01\x01\x00\x01", 6));
  ExpectError(reply,
              "TFRA accum: field 0x63 stores 8 bytes, the delta has 4 bytes "
              "of 4-byte elements");
  EXPECT_EQ(Stored(), before);
}

TEST_P(HmaccumTest, CommandInfoGivesKeyPositionsArityAndWriteFlags) {
  Reply reply = Call(Command{"COMMAND", "INFO", "hmaccum"});
  auto entry = reply.element(0);
  ASSERT_TRUE(entry.is_array()) << reply.ToStatus().ToString();
  EXPECT_EQ(*entry.element(0).AsString(), "HMACCUM");
  EXPECT_EQ(*entry.element(1).AsInteger(), -4);  // at least 4 arguments
  std::vector<std::string> flags;
  for (size_t i = 0; i < *entry.element(2).ArraySize(); ++i) {
    flags.emplace_back(entry.element(2).element(i).text());
  }
  EXPECT_EQ(flags, (std::vector<std::string>{"write", "denyoom", "module"}));
  // First key, last key, step: argv[1] is the one key.
  EXPECT_EQ(*entry.element(3).AsInteger(), 1);
  EXPECT_EQ(*entry.element(4).AsInteger(), 1);
  EXPECT_EQ(*entry.element(5).AsInteger(), 1);
}

TEST_P(HmaccumTest, AclKeyRulesApplyToTheKeyAsReadAndWritten) {
  const std::string user = "hmaccum-" + std::to_string(int(GetParam()));
  const std::string allowed = client_util::TestKey("allowed");
  const std::string read_only = client_util::TestKey("read-only");
  // Pattern characters in the test keys ({, }, .) match themselves.
  const std::string rw_rule = "~" + allowed;
  const std::string read_rule = "%R~" + read_only;
  ASSERT_EQ(Call(Command{"ACL", "SETUSER", user, "reset", "on", "nopass",
                         rw_rule, read_rule, "+@all"})
                .type(),
            ReplyType::kStatus);
  auto dry_run = [&](const std::string& key) {
    return std::string(Call(Command{"ACL", "DRYRUN", user, "HMACCUM", key,
                                    "float", "f", "1234", "0"})
                           .text());
  };
  EXPECT_EQ(dry_run(allowed), "OK");
  EXPECT_NE(dry_run(read_only).find("no permissions to access the '" +
                                    read_only + "' key"),
            std::string::npos);
  EXPECT_NE(dry_run(key_).find("no permissions"), std::string::npos);
  Call(Command{"ACL", "DELUSER", user});
}

INSTANTIATE_TEST_SUITE_P(AllModes, HmaccumTest, client_util::EveryMode(),
                         client_util::ModeTestName);

// Cluster: Redis finds the key where COMMAND INFO says, so a master that
// does not own its slot redirects instead of running the command.
class HmaccumClusterTest : public HmaccumTest {};

TEST_P(HmaccumClusterTest, OnlyTheMasterOwningTheKeysSlotRunsIt) {
  Command command{"HMACCUM", key_, "int8", "f", "\x05"};
  command.Add(std::string_view("\0", 1));
  int ran = 0, moved = 0, masters = 0;
  const redis_client::Status status =
      client_->ForEachMaster([&](redis_client::NodeSession& node) {
        ++masters;
        auto reply = node.Run(command);
        if (!reply.ok()) return reply.status();
        if (reply->type() == ReplyType::kInteger) ++ran;
        if (reply->is_error() && reply->text().substr(0, 6) == "MOVED ") {
          ++moved;
        }
        return redis_client::Status();
      });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(moved, masters - 1);
  EXPECT_EQ(Stored(), (std::map<std::string, std::string>{{"f", "\x05"}}));
}

INSTANTIATE_TEST_SUITE_P(Cluster, HmaccumClusterTest,
                         ::testing::Values(Mode::kCluster),
                         client_util::ModeTestName);

// Replicas replay HMACCUM (it is a replicated write, unlike upstream's
// "readonly" command), so they hold the same sums as the master.
class HmaccumReplicationTest : public HmaccumTest {};

TEST_P(HmaccumReplicationTest, ReplicasHoldTheSameSums) {
  Accum("float", {{"a", Row<float>({0.1f, 3.0f})}}, std::string(1, '\0'));
  Accum("float", {{"a", Row<float>({0.2f, -1.0f})}}, "\x01");
  const std::string on_master = Stored()["a"];
  Reply acked = Call(Command{"WAIT", "1", "10000"});
  ASSERT_EQ(*acked.AsInteger(), 1) << "no replica acknowledged";
  redis_client::ClientOptions options = client_util::OptionsFor(*servers_);
  options.read_from_replicas = true;
  auto replica_reader = client_util::MakeClient(options);
  ASSERT_NE(replica_reader, nullptr);
  auto role = replica_reader->Run(key_, Command{"ROLE"}, Access::kRead);
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  ASSERT_EQ(*role->element(0).AsString(), "slave");
  auto on_replica =
      replica_reader->Run(key_, Command{"HGET", key_, "a"}, Access::kRead);
  ASSERT_TRUE(on_replica.ok()) << on_replica.status().ToString();
  EXPECT_EQ(*on_replica->AsString(), on_master);
  EXPECT_EQ(Elements<float>(on_master), (std::vector<float>{0.1f + 0.2f, 2.0f}));
}

INSTANTIATE_TEST_SUITE_P(Sentinel, HmaccumReplicationTest,
                         ::testing::Values(Mode::kSentinel),
                         client_util::ModeTestName);

}  // namespace
}  // namespace redis_module
}  // namespace tfra
