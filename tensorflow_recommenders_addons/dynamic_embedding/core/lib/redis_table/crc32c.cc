#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/crc32c.h"

#include <array>

namespace tfra {
namespace redis_table {
namespace {

constexpr uint32_t kCastagnoliReflected = 0x82F63B78u;

// Byte-at-a-time table, computed at compile time: entry b is the register
// after shifting the single byte b through eight reflected polynomial steps.
constexpr std::array<uint32_t, 256> MakeCrc32cTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1u) ? (crc >> 1) ^ kCastagnoliReflected : crc >> 1;
    }
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrc32cTable = MakeCrc32cTable();

// Spot checks that the compile-time table is the Castagnoli one.
static_assert(kCrc32cTable[1] == 0xF26B8303u, "CRC-32C table entry 1");
static_assert(kCrc32cTable[128] == 0x82F63B78u, "CRC-32C table entry 128");

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t size) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) {
    crc = (crc >> 8) ^ kCrc32cTable[(crc ^ bytes[i]) & 0xFFu];
  }
  return crc;
}

uint32_t Crc32c(std::string_view data) {
  return ~Crc32cExtend(0xFFFFFFFFu, data.data(), data.size());
}

uint32_t TfraBucketCrc32c(std::string_view data) {
  return Crc32cExtend(0xFFFFFFFFu, data.data(), data.size());
}

}  // namespace redis_table
}  // namespace tfra
