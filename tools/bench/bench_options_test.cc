#include "tools/bench/bench_options.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace tfra {
namespace bench {
namespace {

std::string Parse(BenchTool tool, std::vector<std::string> flags,
                  BenchOptions* options) {
  std::vector<const char*> argv = {"bench"};
  for (const std::string& flag : flags) argv.push_back(flag.c_str());
  return ParseBenchOptions(tool, static_cast<int>(argv.size()), argv.data(),
                           options);
}

const std::vector<std::string> kRaw = {
    "--buckets=bench:emb{22179}@7001,a@b{450}@7002", "--keys=4096", "--dim=8",
    "--batch=1024", "--op=hset"};
const std::vector<std::string> kStore = {
    "--config=/tmp/c.json", "--embedding_name=emb8", "--keys=4096", "--dim=8",
    "--batch=1024", "--op=accum"};

std::vector<std::string> With(std::vector<std::string> flags,
                              const std::string& flag) {
  flags.push_back(flag);
  return flags;
}

TEST(BenchOptionsTest, RawReadsBucketsInOrderSplittingAtTheLastAt) {
  BenchOptions options;
  ASSERT_EQ(Parse(BenchTool::kRawHash, kRaw, &options), "");
  ASSERT_EQ(options.buckets.size(), 2u);
  EXPECT_EQ(options.buckets[0].key, "bench:emb{22179}");
  EXPECT_EQ(options.buckets[0].port, 7001);
  EXPECT_EQ(options.buckets[1].key, "a@b{450}");
  EXPECT_EQ(options.buckets[1].port, 7002);
  EXPECT_EQ(options.keys, 4096);
  EXPECT_EQ(options.dim, 8);
  EXPECT_EQ(options.batch, 1024);
  EXPECT_EQ(options.op, "hset");
  EXPECT_EQ(options.keys_per_command, 1024);
  EXPECT_EQ(options.strategies,
            (std::vector<std::string>{"serial", "pipelined", "two_clients"}));
}

TEST(BenchOptionsTest, RawTakesAKeysFileAndAValueSize) {
  BenchOptions options;
  ASSERT_EQ(Parse(BenchTool::kRawHash,
                  With(With(kRaw, "--keys_file=/tmp/zipf.keys"),
                       "--value_bytes=68"),
                  &options),
            "");
  EXPECT_EQ(options.keys_file, "/tmp/zipf.keys");
  EXPECT_EQ(options.value_bytes, 68);
  EXPECT_NE(Parse(BenchTool::kRawHash, With(kRaw, "--value_bytes=-1"),
                  &options),
            "");
}

TEST(BenchOptionsTest, StoreReadsConfigAndRunsOneStrategy) {
  BenchOptions options;
  ASSERT_EQ(Parse(BenchTool::kStore, kStore, &options), "");
  EXPECT_EQ(options.config, "/tmp/c.json");
  EXPECT_EQ(options.embedding_name, "emb8");
  EXPECT_EQ(options.op, "accum");
  EXPECT_EQ(options.strategies, std::vector<std::string>{"store"});
}

TEST(BenchOptionsTest, RawToolAlsoTimesHmaccum) {
  BenchOptions options;
  ASSERT_EQ(Parse(BenchTool::kRawHash, With(kRaw, "--op=hmaccum"), &options),
            "");
  EXPECT_EQ(options.op, "hmaccum");
}

TEST(BenchOptionsTest, ReadsTimingAndStrategyFlags) {
  BenchOptions options;
  std::vector<std::string> flags = kRaw;
  flags.insert(flags.end(), {"--min_seconds=0.5", "--max_seconds=3",
                             "--min_batches=4", "--strategies=pipelined"});
  ASSERT_EQ(Parse(BenchTool::kRawHash, flags, &options), "");
  EXPECT_DOUBLE_EQ(options.min_seconds, 0.5);
  EXPECT_DOUBLE_EQ(options.max_seconds, 3.0);
  EXPECT_EQ(options.min_batches, 4);
  EXPECT_EQ(options.strategies, std::vector<std::string>{"pipelined"});
}

TEST(BenchOptionsTest, RejectsWhatItCannotMeasure) {
  const std::vector<std::pair<std::string, std::string>> raw_cases = {
      {"--color=red", "--color: unknown flag"},
      {"--op=find", "unknown --op 'find'"},
      {"--batch=8192", "--batch exceeds --keys"},
      {"--keys=12x", "--keys: not an integer"},
      {"--buckets=nokey", "expected KEY@PORT"},
      {"--buckets=k@70000", "expected KEY@PORT"},
      {"--strategies=store", "unknown strategy 'store'"},
      {"--min_seconds=9", "--max_seconds >= --min_seconds"},
      {"positional", "expected --name=value"},
  };
  for (const auto& [flag, message] : raw_cases) {
    BenchOptions options;
    const std::string error =
        Parse(BenchTool::kRawHash, With(kRaw, flag), &options);
    EXPECT_NE(error.find(message), std::string::npos) << flag << ": " << error;
  }
  BenchOptions options;
  EXPECT_EQ(Parse(BenchTool::kStore, With(kStore, "--op=hmget"), &options),
            "unknown --op 'hmget'");
}

TEST(BenchOptionsTest, RequiresWhereTheTableIs) {
  BenchOptions raw;
  EXPECT_EQ(Parse(BenchTool::kRawHash,
                  {"--keys=1", "--dim=1", "--batch=1", "--op=hmget"}, &raw),
            "--buckets is required");
  BenchOptions store;
  EXPECT_EQ(Parse(BenchTool::kStore,
                  {"--keys=1", "--dim=1", "--batch=1", "--op=find"}, &store),
            "--config and --embedding_name are required");
}

TEST(BenchOptionsTest, BatchesWalkTheKeyWindows) {
  BenchOptions options;
  ASSERT_EQ(Parse(BenchTool::kRawHash, kRaw, &options), "");
  EXPECT_EQ(FirstKeyOfBatch(options, 0), 0);
  EXPECT_EQ(FirstKeyOfBatch(options, 3), 3072);
  EXPECT_EQ(FirstKeyOfBatch(options, 4), 0);
}

}  // namespace
}  // namespace bench
}  // namespace tfra
