// One accum call as the paths that run it see it (HMACCUM module,
// transaction, script): the keys, deltas and exists flags, and where the
// commands go. Everything is borrowed.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_REQUEST_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_REQUEST_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_element.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_batch.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/redis_client.h"

namespace tfra {
namespace redis_table {

// One accum call, indexed by key.
struct AccumRequest {
  const KeyBatch* keys;
  const std::vector<std::string_view>* deltas;
  const std::vector<uint8_t>* exists;
  AccumElement element;
};

// Where the commands run and how they are cut.
struct AccumTarget {
  redis_client::RedisClient* client;
  const std::vector<std::string>* bucket_keys;  // Redis key of each bucket
  size_t keys_per_command;                       // >= 1
  std::string context;                           // "accum in table 'emb'"
  // Send HMACCUM to the nodes that load our module (accum_module.h).
  bool use_module = true;
};

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_REQUEST_H_
