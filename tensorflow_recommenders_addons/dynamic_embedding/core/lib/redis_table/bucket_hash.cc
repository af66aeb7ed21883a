#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/bucket_hash.h"

#include <cassert>
#include <cstring>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/crc32c.h"

namespace tfra {
namespace redis_table {
namespace {

// Reduces `value` to a bucket. A zero slice count is a caller bug; in
// release builds it degrades to bucket 0 instead of dividing by zero.
uint32_t Reduce(uint32_t value, uint32_t storage_slice) {
  assert(storage_slice >= 1 && "storage_slice must be validated as >= 1");
  if (storage_slice <= 1) return 0;
  return value % storage_slice;
}

// CRC of the key's in-memory bytes: two's complement, little endian (the
// byte order of every platform upstream supports and we build for).
template <typename Int>
uint32_t RawBytesCrc(Int key) {
  unsigned char bytes[sizeof(Int)];
  std::memcpy(bytes, &key, sizeof(Int));
  return Crc32cExtend(0xFFFFFFFFu, bytes, sizeof(Int));
}

}  // namespace

uint32_t KeyBucket(int32_t key, uint32_t storage_slice,
                   bool using_hash_storage_slice) {
  const uint32_t value = using_hash_storage_slice
                             ? RawBytesCrc(key)
                             : static_cast<uint32_t>(key);
  return Reduce(value, storage_slice);
}

uint32_t KeyBucket(int64_t key, uint32_t storage_slice,
                   bool using_hash_storage_slice) {
  const uint32_t value =
      using_hash_storage_slice
          ? RawBytesCrc(key)
          : static_cast<uint32_t>(static_cast<uint64_t>(key) & 0xFFFFFFFFu);
  return Reduce(value, storage_slice);
}

uint32_t KeyBucket(std::string_view key, uint32_t storage_slice,
                   bool /*using_hash_storage_slice*/) {
  return Reduce(TfraBucketCrc32c(key), storage_slice);
}

std::optional<std::string> TfraStringKeyHashedBytes(std::string_view key) {
  if (key.size() > kTfraSmallStringMax) return std::nullopt;
  if (key.empty()) return std::string();
  // TF's small tstring: one header byte (size << 2 | type 0), then the
  // characters inline. Upstream hashes `size` bytes from the header on.
  std::string bytes;
  bytes.reserve(key.size());
  bytes.push_back(static_cast<char>(key.size() << 2));
  bytes.append(key.substr(0, key.size() - 1));
  return bytes;
}

std::optional<uint32_t> TfraStringKeyCrc(std::string_view key) {
  const std::optional<std::string> bytes = TfraStringKeyHashedBytes(key);
  if (!bytes.has_value()) return std::nullopt;
  return TfraBucketCrc32c(*bytes);
}

std::optional<uint32_t> TfraStringKeyBucket(std::string_view key,
                                            uint32_t storage_slice) {
  const std::optional<uint32_t> crc = TfraStringKeyCrc(key);
  if (!crc.has_value()) return std::nullopt;
  return Reduce(*crc, storage_slice);
}

}  // namespace redis_table
}  // namespace tfra
