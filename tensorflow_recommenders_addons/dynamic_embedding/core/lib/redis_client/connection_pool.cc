#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/connection_pool.h"

#include <chrono>
#include <utility>

namespace tfra {
namespace redis_client {

PooledConnection::PooledConnection(ConnectionPool* pool,
                                   std::unique_ptr<Connection> connection,
                                   uint64_t generation)
    : pool_(pool),
      connection_(std::move(connection)),
      generation_(generation) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::move(other.connection_)),
      generation_(other.generation_) {}

PooledConnection& PooledConnection::operator=(
    PooledConnection&& other) noexcept {
  if (this != &other) {
    Return();
    pool_ = std::exchange(other.pool_, nullptr);
    connection_ = std::move(other.connection_);
    generation_ = other.generation_;
  }
  return *this;
}

PooledConnection::~PooledConnection() { Return(); }

void PooledConnection::Return() {
  if (pool_ != nullptr && connection_ != nullptr) {
    pool_->Release(std::move(connection_), generation_);
  }
  pool_ = nullptr;
}

ConnectionPool::ConnectionPool(std::shared_ptr<EndpointProvider> provider,
                               ConnectionOptions connection_options,
                               PoolOptions pool_options)
    : provider_(std::move(provider)),
      connection_options_(std::move(connection_options)),
      pool_options_(pool_options) {}

ConnectionPool::~ConnectionPool() = default;

bool ConnectionPool::ReusableLocked(const Connection& connection,
                                    uint64_t generation) const {
  if (connection.broken() || connection.pending_replies() != 0) return false;
  if (generation != generation_) return false;
  const auto lifetime = pool_options_.connection_lifetime;
  if (lifetime.count() > 0 &&
      std::chrono::steady_clock::now() - connection.created_at() >= lifetime) {
    return false;
  }
  return true;
}

std::unique_ptr<Connection> ConnectionPool::TakeIdleLocked(
    uint64_t* generation, std::vector<std::unique_ptr<Connection>>* to_close) {
  while (!idle_.empty()) {
    Idle item = std::move(idle_.back());  // most recently used first
    idle_.pop_back();
    if (ReusableLocked(*item.connection, item.generation)) {
      *generation = item.generation;
      return std::move(item.connection);
    }
    --open_;
    to_close->push_back(std::move(item.connection));
  }
  return nullptr;
}

Status ConnectionPool::ExhaustedError() const {
  return Status(ErrorCode::kUnavailable,
                Describe() + ": all " + std::to_string(pool_options_.size) +
                    " pooled connections stayed busy for " +
                    std::to_string(pool_options_.wait_timeout.count()) + " ms");
}

Result<PooledConnection> ConnectionPool::Acquire() {
  std::vector<std::unique_ptr<Connection>> to_close;  // closed unlocked
  const bool waits_forever = pool_options_.wait_timeout.count() == 0;
  const auto deadline =
      std::chrono::steady_clock::now() + pool_options_.wait_timeout;
  uint64_t generation = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    std::unique_ptr<Connection> idle = TakeIdleLocked(&generation, &to_close);
    if (idle != nullptr)
      return PooledConnection(this, std::move(idle), generation);
    if (open_ < pool_options_.size) break;
    if (waits_forever) {
      returned_.wait(lock);
    } else if (returned_.wait_until(lock, deadline) ==
                   std::cv_status::timeout &&
               idle_.empty() && open_ >= pool_options_.size) {
      return ExhaustedError();
    }
  }
  ++open_;  // reserve a slot, then connect without holding the lock
  generation = generation_;
  lock.unlock();
  to_close.clear();
  Result<std::unique_ptr<Connection>> opened =
      provider_->Connect(connection_options_);
  if (!opened.ok()) {
    lock.lock();
    --open_;
    lock.unlock();
    returned_.notify_one();
    return opened.status();
  }
  return PooledConnection(this, std::move(opened).value(), generation);
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection,
                             uint64_t generation) {
  std::vector<Idle> to_close;  // closed after unlocking
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ReusableLocked(*connection, generation)) {
      idle_.push_back(Idle{std::move(connection), generation});
    } else {
      --open_;
      if (connection->broken() && connection->died_of_transport_error()) {
        ++generation_;
        open_ -= static_cast<int>(idle_.size());
        to_close.swap(idle_);
      }
    }
  }
  returned_.notify_all();
  // `connection` (if not pooled) and `to_close` are closed here, unlocked.
}

void ConnectionPool::DiscardAll() {
  std::vector<Idle> to_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
    open_ -= static_cast<int>(idle_.size());
    to_close.swap(idle_);
  }
  returned_.notify_all();
}

int ConnectionPool::open_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

int ConnectionPool::idle_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(idle_.size());
}

}  // namespace redis_client
}  // namespace tfra
