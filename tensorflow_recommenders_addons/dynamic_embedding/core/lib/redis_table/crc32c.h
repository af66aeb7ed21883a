// CRC-32C (Castagnoli): reflected, polynomial 0x82F63B78. Two flavours:
// the standard checksum (iSCSI / RFC 3720, what published vectors use) and
// the variant upstream TFRA uses to pick buckets, which starts from
// 0xFFFFFFFF but never inverts the result (it runs the x86 `crc32`/ARM
// `crc32c*` instructions, which do no inversion, on an initial 0xFFFFFFFF).
// All functions are pure, thread-safe and allocation-free.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_CRC32C_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tfra {
namespace redis_table {

// Feeds `size` bytes into a raw CRC-32C register `crc` (no inversion on
// either side) and returns the new register value. Extending in pieces gives
// the same result as extending once over the concatenation.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size);

// Standard CRC-32C: register starts at 0xFFFFFFFF, result is inverted.
// Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(std::string_view data);

// Upstream TFRA's bucket hash: register starts at 0xFFFFFFFF, result is NOT
// inverted, so TfraBucketCrc32c(x) == ~Crc32c(x) and the empty input gives
// 0xFFFFFFFF.
uint32_t TfraBucketCrc32c(std::string_view data);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_CRC32C_H_
