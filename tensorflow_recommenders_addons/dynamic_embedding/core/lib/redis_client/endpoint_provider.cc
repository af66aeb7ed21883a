#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/endpoint_provider.h"

#include <utility>

namespace tfra {
namespace redis_client {

FixedEndpointProvider::FixedEndpointProvider(Endpoint endpoint, bool readonly)
    : endpoint_(std::move(endpoint)), readonly_(readonly) {}

Result<std::unique_ptr<Connection>> FixedEndpointProvider::Connect(
    const ConnectionOptions& options) {
  return Connection::Open(endpoint_, options, readonly_);
}

std::string FixedEndpointProvider::Describe() const {
  return endpoint_.ToString() + (readonly_ ? " (replica reads)" : "");
}

SentinelEndpointProvider::SentinelEndpointProvider(
    std::vector<Endpoint> sentinels, SentinelOptions options, NodeRole role)
    : sentinels_(std::move(sentinels)),
      options_(std::move(options)),
      role_(role) {}

Result<std::unique_ptr<Connection>> SentinelEndpointProvider::Connect(
    const ConnectionOptions& options) {
  return ConnectThroughSentinels(sentinels_, options_, role_, options);
}

std::string SentinelEndpointProvider::Describe() const {
  std::string text = role_ == NodeRole::kMaster ? "master" : "replica";
  text += " of '" + options_.master_name + "' via Sentinels";
  for (size_t i = 0; i < sentinels_.size(); ++i) {
    text += (i == 0 ? " " : ",") + sentinels_[i].ToString();
  }
  return text;
}

}  // namespace redis_client
}  // namespace tfra
