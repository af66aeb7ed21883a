#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_admin/sizing.h"

#include "gtest/gtest.h"

namespace tfra {
namespace redis_admin {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

TEST(SuggestedStorageSliceTest, KeepsEveryBucketUnderTheLimit) {
  EXPECT_EQ(SuggestedStorageSlice(1000 * kMiB, 256 * kMiB, 1, 1), 4);
  EXPECT_EQ(SuggestedStorageSlice(1024 * kMiB, 256 * kMiB, 1, 1), 4);
  EXPECT_EQ(SuggestedStorageSlice(1025 * kMiB, 256 * kMiB, 1, 1), 5);
}

TEST(SuggestedStorageSliceTest, SpreadsEvenlyOverTheMasters) {
  EXPECT_EQ(SuggestedStorageSlice(1, 256 * kMiB, 3, 1), 3);
  EXPECT_EQ(SuggestedStorageSlice(1025 * kMiB, 256 * kMiB, 3, 1), 6);
}

TEST(SuggestedStorageSliceTest, NeverSuggestsFewerBucketsThanAsked) {
  EXPECT_EQ(SuggestedStorageSlice(0, 256 * kMiB, 1, 8), 8);
  EXPECT_EQ(SuggestedStorageSlice(0, 256 * kMiB, 3, 8), 9);
}

}  // namespace
}  // namespace redis_admin
}  // namespace tfra
