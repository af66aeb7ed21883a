// Redis Cluster key -> hash slot mapping (CRC16-XMODEM modulo 16384, with the
// hash-tag rule), as specified in the Redis Cluster specification.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_HASH_SLOT_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_HASH_SLOT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tfra {
namespace redis_client {

// Number of hash slots of a Redis Cluster.
inline constexpr uint16_t kClusterSlots = 16384;

// CRC16 with polynomial 0x1021, initial value 0, no reflection (XMODEM), the
// checksum Redis Cluster uses. Thread-safe; no allocation.
uint16_t Crc16(const char* data, size_t size);

// The part of `key` that Redis hashes: the content between the first '{' and
// the first '}' after it, when that content is non-empty; else the whole key.
std::string_view HashTagOf(std::string_view key);

// The cluster slot of `key`, in [0, kClusterSlots).
uint16_t HashSlot(std::string_view key);

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_HASH_SLOT_H_
