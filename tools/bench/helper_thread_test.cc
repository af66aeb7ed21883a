#include "tools/bench/helper_thread.h"

#include <atomic>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace tfra {
namespace bench {
namespace {

TEST(HelperThreadTest, RunsEachJobOnItsOwnThreadAndReturnsItsResult) {
  HelperThread helper;
  const std::thread::id owner = std::this_thread::get_id();
  for (int round = 0; round < 100; ++round) {
    std::thread::id ran_on;
    helper.Start([&ran_on, round] {
      ran_on = std::this_thread::get_id();
      return round % 2 == 0 ? std::string() : "odd " + std::to_string(round);
    });
    const std::string result = helper.Wait();
    EXPECT_NE(ran_on, owner);
    EXPECT_EQ(result, round % 2 == 0 ? "" : "odd " + std::to_string(round));
  }
}

TEST(HelperThreadTest, JobRunsWhileTheOwnerWorks) {
  HelperThread helper;
  std::atomic<bool> owner_done{false};
  std::atomic<bool> helper_saw_owner{false};
  helper.Start([&] {
    while (!owner_done.load()) std::this_thread::yield();
    helper_saw_owner = true;
    return std::string();
  });
  owner_done = true;  // The job can only finish after this line.
  EXPECT_EQ(helper.Wait(), "");
  EXPECT_TRUE(helper_saw_owner.load());
}

TEST(HelperThreadTest, DestroysCleanlyWithoutAJob) { HelperThread helper; }

}  // namespace
}  // namespace bench
}  // namespace tfra
