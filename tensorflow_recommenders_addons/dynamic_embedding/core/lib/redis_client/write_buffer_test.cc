#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/write_buffer.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace tfra {
namespace redis_client {
namespace {

TEST(WriteBufferTest, ExtendKeepsEarlierBytesAcrossGrowth) {
  WriteBuffer buffer;
  std::string expected;
  for (size_t n : {1, 0, 7, 100, 5000}) {
    char* room = buffer.Extend(n);
    for (size_t i = 0; i < n; ++i) {
      room[i] = static_cast<char>('a' + (n + i) % 26);
      expected.push_back(room[i]);
    }
    ASSERT_EQ(buffer.size(), expected.size());
    ASSERT_GE(buffer.capacity(), buffer.size());
    EXPECT_EQ(std::string(buffer.data(), buffer.size()), expected);
  }
}

TEST(WriteBufferTest, ClearKeepsMemoryUpToTheLimitOnly) {
  WriteBuffer buffer;
  buffer.Extend(1000);
  const size_t capacity = buffer.capacity();
  buffer.Clear(/*keep=*/capacity);
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.capacity(), capacity);
  std::memset(buffer.Extend(10), 'x', 10);
  EXPECT_EQ(std::string(buffer.data(), buffer.size()), std::string(10, 'x'));
  buffer.Clear(/*keep=*/capacity - 1);
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.capacity(), 0u);
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra
