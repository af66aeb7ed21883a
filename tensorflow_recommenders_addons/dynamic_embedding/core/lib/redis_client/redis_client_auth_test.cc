// Credentials in every mode: the right password or ACL user works, a wrong
// one fails with a kAuth error that names the user but never a password.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_factory.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_client {
namespace {

constexpr char kPassword[] = "default-user-secret";
constexpr char kAclUser[] = "trainer";
constexpr char kAclPassword[] = "trainer-secret";

class RedisClientAuthTest : public test_util::AllModesServersTest {
 protected:
  test_util::DeploymentSpec Spec() const override {
    test_util::DeploymentSpec spec{GetParam()};
    spec.options.password = kPassword;
    spec.options.acl_user = kAclUser;
    spec.options.acl_password = kAclPassword;
    return spec;
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SharedServersTest::SetUp());
    options_ = test_util::OptionsFor(*servers_);  // the ACL user
    options_.cluster.max_attempts = 2;
  }

  // PING through a fresh client with `user` / `password`.
  Status PingAs(const std::string& user, const std::string& password) {
    ClientOptions options = options_;
    options.connection.user = user;
    options.connection.password = password;
    Result<std::unique_ptr<RedisClient>> client = CreateClient(options);
    if (!client.ok()) return client.status();
    Result<Reply> reply = (*client)->Run("any-key", Ping(), Access::kWrite);
    if (!reply.ok()) return reply.status();
    return reply->ToStatus();
  }

  ClientOptions options_;
};

TEST_P(RedisClientAuthTest, AclUserAndDefaultUserAuthenticate) {
  EXPECT_TRUE(PingAs(kAclUser, kAclPassword).ok())
      << PingAs(kAclUser, kAclPassword).ToString();
  EXPECT_TRUE(PingAs("default", kPassword).ok())
      << PingAs("default", kPassword).ToString();
}

TEST_P(RedisClientAuthTest, WrongPasswordIsAClearAuthError) {
  const Status status = PingAs("default", "guessed-wrong");
  EXPECT_EQ(status.code(), ErrorCode::kAuth) << status.ToString();
  EXPECT_NE(status.message().find("AUTH"), std::string::npos)
      << status.message();
  EXPECT_EQ(status.message().find("guessed-wrong"), std::string::npos)
      << status.message();
}

TEST_P(RedisClientAuthTest, WrongAclUserIsAClearAuthErrorNamingTheUser) {
  const Status status = PingAs("intruder", kAclPassword);
  EXPECT_EQ(status.code(), ErrorCode::kAuth) << status.ToString();
  EXPECT_NE(status.message().find("'intruder'"), std::string::npos)
      << status.message();
  EXPECT_EQ(status.message().find(kAclPassword), std::string::npos)
      << status.message();
}

TEST_P(RedisClientAuthTest, MissingPasswordIsAnAuthError) {
  const Status status = PingAs("default", "");
  EXPECT_EQ(status.code(), ErrorCode::kAuth) << status.ToString();
}

INSTANTIATE_TEST_SUITE_P(AllModes, RedisClientAuthTest,
                         test_util::EveryMode(),
                         test_util::ModeTestName);

}  // namespace
}  // namespace redis_client
}  // namespace tfra
