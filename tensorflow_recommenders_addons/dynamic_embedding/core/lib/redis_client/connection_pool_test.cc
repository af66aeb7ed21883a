#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection_pool.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_client {
namespace {

using std::chrono::milliseconds;

class ConnectionPoolTest : public test_util::ServersTest {
 protected:
  test_util::DeploymentSpec Spec() const override { return {}; }

  std::unique_ptr<ConnectionPool> MakePool(PoolOptions options,
                                           int port = 0) const {
    auto provider = std::make_shared<FixedEndpointProvider>(
        Endpoint{"127.0.0.1", port != 0 ? port : servers_->nodes()[0].port});
    return std::make_unique<ConnectionPool>(provider, ConnectionOptions(),
                                            options);
  }

  static PoolOptions Sized(int size, milliseconds wait = milliseconds(2000)) {
    PoolOptions options;
    options.size = size;
    options.wait_timeout = wait;
    return options;
  }

  // The server-side id of the leased connection.
  static int64_t ClientId(PooledConnection& lease) {
    Result<Reply> reply = lease->Run(Command{"CLIENT", "ID"});
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? reply->AsInteger().value() : -1;
  }
};

TEST_F(ConnectionPoolTest, OpensLazilyAndReusesReturnedConnections) {
  std::unique_ptr<ConnectionPool> pool = MakePool(Sized(4));
  EXPECT_EQ(pool->open_connections(), 0);
  int64_t first_id = 0;
  {
    Result<PooledConnection> lease = pool->Acquire();
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    first_id = ClientId(*lease);
    EXPECT_EQ(pool->open_connections(), 1);
    EXPECT_EQ(pool->idle_connections(), 0);
  }
  EXPECT_EQ(pool->idle_connections(), 1);
  Result<PooledConnection> again = pool->Acquire();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ClientId(*again), first_id);
  EXPECT_EQ(pool->open_connections(), 1);
}

TEST_F(ConnectionPoolTest, ExhaustedPoolFailsAfterTheWaitTimeout) {
  std::unique_ptr<ConnectionPool> pool = MakePool(Sized(1, milliseconds(200)));
  Result<PooledConnection> held = pool->Acquire();
  ASSERT_TRUE(held.ok());
  const auto start = std::chrono::steady_clock::now();
  Result<PooledConnection> second = pool->Acquire();
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(second.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(
      second.status().message().find("all 1 pooled connections stayed busy"),
      std::string::npos)
      << second.status().message();
  EXPECT_GE(waited, milliseconds(190));
  EXPECT_LT(waited, milliseconds(2000));
}

TEST_F(ConnectionPoolTest, WaiterGetsTheConnectionReturnedByAnotherThread) {
  std::unique_ptr<ConnectionPool> pool = MakePool(Sized(1, milliseconds(5000)));
  Result<PooledConnection> held = pool->Acquire();
  ASSERT_TRUE(held.ok());
  std::thread returner([&held] {
    std::this_thread::sleep_for(milliseconds(100));
    PooledConnection released =
        std::move(held).value();  // returns at scope end
  });
  Result<PooledConnection> waited = pool->Acquire();
  returner.join();
  ASSERT_TRUE(waited.ok()) << waited.status().ToString();
  EXPECT_EQ(pool->open_connections(), 1);
}

TEST_F(ConnectionPoolTest, BrokenConnectionIsClosedNotReused) {
  std::unique_ptr<ConnectionPool> pool = MakePool(Sized(2));
  int64_t broken_id = 0;
  {
    Result<PooledConnection> lease = pool->Acquire();
    ASSERT_TRUE(lease.ok());
    broken_id = ClientId(*lease);
    ASSERT_TRUE((*lease)->Run(Command{"QUIT"}).ok());
    EXPECT_FALSE((*lease)->Run(Ping()).ok());
  }
  EXPECT_EQ(pool->open_connections(), 0);
  Result<PooledConnection> fresh = pool->Acquire();
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(ClientId(*fresh), broken_id);
}

TEST_F(ConnectionPoolTest, ConnectionWithUnreadRepliesIsNotReused) {
  std::unique_ptr<ConnectionPool> pool = MakePool(Sized(2));
  {
    Result<PooledConnection> lease = pool->Acquire();
    ASSERT_TRUE(lease.ok());
    ASSERT_TRUE((*lease)->Append(Ping()).ok());  // abandoned mid-pipeline
  }
  EXPECT_EQ(pool->idle_connections(), 0);
  EXPECT_EQ(pool->open_connections(), 0);
}

TEST_F(ConnectionPoolTest, ConnectionsOlderThanTheLifetimeAreReplaced) {
  PoolOptions options = Sized(2);
  options.connection_lifetime = milliseconds(100);
  std::unique_ptr<ConnectionPool> pool = MakePool(options);
  int64_t old_id = 0;
  {
    Result<PooledConnection> lease = pool->Acquire();
    ASSERT_TRUE(lease.ok());
    old_id = ClientId(*lease);
  }
  std::this_thread::sleep_for(milliseconds(150));
  Result<PooledConnection> lease = pool->Acquire();
  ASSERT_TRUE(lease.ok());
  EXPECT_NE(ClientId(*lease), old_id);
  EXPECT_EQ(pool->open_connections(), 1);
}

TEST_F(ConnectionPoolTest, PeerDeathDiscardsTheIdleSiblings) {
  std::unique_ptr<ConnectionPool> pool = MakePool(Sized(3));
  std::vector<PooledConnection> leases;
  for (int i = 0; i < 3; ++i) {
    Result<PooledConnection> lease = pool->Acquire();
    ASSERT_TRUE(lease.ok());
    leases.push_back(std::move(lease).value());
  }
  const int64_t victim = ClientId(leases[0]);
  Result<Reply> killed =
      leases[1]->Run(Command{"CLIENT", "KILL", "ID", std::to_string(victim)});
  ASSERT_TRUE(killed.ok());
  ASSERT_EQ(*killed->AsInteger(), 1);
  leases.pop_back();  // two siblings go idle
  EXPECT_EQ(pool->idle_connections(), 1);
  EXPECT_FALSE(leases[0]->Run(Ping()).ok());  // the victim notices EOF
  leases.clear();
  // The victim's death bumps the generation: no idle connection survives.
  EXPECT_EQ(pool->idle_connections(), 0);
  EXPECT_EQ(pool->open_connections(), 0);
}

TEST_F(ConnectionPoolTest, FailedConnectFreesItsSlot) {
  std::unique_ptr<ConnectionPool> pool =
      MakePool(Sized(1), test_util::UnusedPort());
  for (int i = 0; i < 3; ++i) {
    Result<PooledConnection> lease = pool->Acquire();
    EXPECT_EQ(lease.status().code(), ErrorCode::kIo)
        << lease.status().ToString();
  }
  EXPECT_EQ(pool->open_connections(), 0);
}

TEST_F(ConnectionPoolTest, ManyThreadsNeverExceedTheBound) {
  constexpr int kSize = 3;
  std::unique_ptr<ConnectionPool> pool =
      MakePool(Sized(kSize, milliseconds(10000)));
  std::atomic<int> failures{0};
  std::atomic<int> over_bound{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        Result<PooledConnection> lease = pool->Acquire();
        if (!lease.ok() || !(*lease)->Run(Ping()).ok()) failures.fetch_add(1);
        if (pool->open_connections() > kSize) over_bound.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(over_bound.load(), 0);
  EXPECT_LE(pool->idle_connections(), kSize);
}

TEST_F(ConnectionPoolTest, DiscardAllClosesIdleConnections) {
  std::unique_ptr<ConnectionPool> pool = MakePool(Sized(2));
  {
    ASSERT_TRUE(pool->Acquire().ok());
  }
  ASSERT_EQ(pool->idle_connections(), 1);
  pool->DiscardAll();
  EXPECT_EQ(pool->idle_connections(), 0);
  EXPECT_EQ(pool->open_connections(), 0);
}

}  // namespace
}  // namespace redis_client
}  // namespace tfra
