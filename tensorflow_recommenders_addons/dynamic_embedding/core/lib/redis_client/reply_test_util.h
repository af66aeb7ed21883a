// Test-only: replies built from RESP text, without a server.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLY_TEST_UTIL_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLY_TEST_UTIL_H_

#include <string_view>
#include <utility>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"

namespace tfra {
namespace redis_client {
namespace test_util {

// The reply `bytes` spell (e.g. "-NOSCRIPT ...\r\n"); a malformed input is
// a test failure and an empty Reply.
inline Reply Parsed(std::string_view bytes) {
  Result<Reply> reply = ParseReply(bytes);
  EXPECT_TRUE(reply.ok()) << reply.status().ToString();
  return reply.ok() ? std::move(reply).value() : Reply();
}

}  // namespace test_util
}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_REPLY_TEST_UTIL_H_
