#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/hash_slot.h"

#include <array>

namespace tfra {
namespace redis_client {
namespace {

// Byte-at-a-time lookup table for CRC16-XMODEM, computed at compile time so
// there is no pasted table to get wrong.
constexpr std::array<uint16_t, 256> MakeCrc16Table() {
  std::array<uint16_t, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    uint16_t crc = static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrc16Table = MakeCrc16Table();

}  // namespace

uint16_t Crc16(const char* data, size_t size) {
  uint16_t crc = 0;
  for (size_t i = 0; i < size; ++i) {
    const uint8_t index =
        static_cast<uint8_t>((crc >> 8) ^ static_cast<uint8_t>(data[i]));
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[index]);
  }
  return crc;
}

std::string_view HashTagOf(std::string_view key) {
  const size_t open = key.find('{');
  if (open == std::string_view::npos) return key;
  const size_t close = key.find('}', open + 1);
  // "{}" (empty tag) or no closing brace: Redis hashes the whole key.
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

uint16_t HashSlot(std::string_view key) {
  const std::string_view tag = HashTagOf(key);
  return Crc16(tag.data(), tag.size()) % kClusterSlots;
}

}  // namespace redis_client
}  // namespace tfra
