#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/testing/child_process.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace tfra {
namespace redis_client {
namespace testing {
namespace {

using std::chrono::seconds;

TEST(ChildProcessTest, LinesGoInAndComeBackOut) {
  std::string error;
  std::unique_ptr<ChildProcess> child = ChildProcess::Spawn({"cat"}, &error);
  ASSERT_NE(child, nullptr) << error;
  ASSERT_TRUE(child->WriteLine("one", &error)) << error;
  ASSERT_TRUE(child->WriteLine("two", &error)) << error;
  std::string line;
  ASSERT_TRUE(child->ReadLine(seconds(10), &line, &error)) << error;
  EXPECT_EQ(line, "one");
  ASSERT_TRUE(child->ReadLine(seconds(10), &line, &error)) << error;
  EXPECT_EQ(line, "two");
  // Closing its stdin (EOF) ends cat.
  EXPECT_TRUE(child->CloseAndWait(seconds(10), &error)) << error;
  EXPECT_TRUE(child->CloseAndWait(seconds(10), &error)) << "idempotent";
}

TEST(ChildProcessTest, NonZeroExitIsReported) {
  std::string error;
  std::unique_ptr<ChildProcess> child =
      ChildProcess::Spawn({"sh", "-c", "exit 3"}, &error);
  ASSERT_NE(child, nullptr) << error;
  std::string line;
  EXPECT_FALSE(child->ReadLine(seconds(10), &line, &error));
  EXPECT_NE(error.find("closed its stdout"), std::string::npos) << error;
  EXPECT_FALSE(child->CloseAndWait(seconds(10), &error));
  EXPECT_NE(error.find("ended abnormally"), std::string::npos) << error;
}

TEST(ChildProcessTest, SilentChildTimesOutAndIsKilledAfterTheExitTimeout) {
  std::string error;
  // Ignores EOF on stdin: only SIGKILL ends it within the test.
  std::unique_ptr<ChildProcess> child =
      ChildProcess::Spawn({"sleep", "30"}, &error);
  ASSERT_NE(child, nullptr) << error;
  std::string line;
  EXPECT_FALSE(child->ReadLine(seconds(1), &line, &error));
  EXPECT_NE(error.find("no answer"), std::string::npos) << error;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(child->CloseAndWait(seconds(1), &error));
  EXPECT_NE(error.find("killed it"), std::string::npos) << error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(10));
}

TEST(ChildProcessTest, MissingProgramIsAnError) {
  std::string error;
  EXPECT_EQ(ChildProcess::Spawn({"/nonexistent/program"}, &error), nullptr);
  EXPECT_NE(error.find("/nonexistent/program"), std::string::npos) << error;
}

TEST(ChildProcessTest, WritingToAnExitedChildFailsWithoutSigpipe) {
  std::string error;
  std::unique_ptr<ChildProcess> child = ChildProcess::Spawn({"true"}, &error);
  ASSERT_NE(child, nullptr) << error;
  std::string line;
  EXPECT_FALSE(child->ReadLine(seconds(10), &line, &error));  // Waits for EOF.
  bool failed = false;
  for (int i = 0; i < 100 && !failed; ++i) {  // The first writes may buffer.
    failed = !child->WriteLine(std::string(4096, 'x'), &error);
  }
  EXPECT_TRUE(failed);
}

}  // namespace
}  // namespace testing
}  // namespace redis_client
}  // namespace tfra
