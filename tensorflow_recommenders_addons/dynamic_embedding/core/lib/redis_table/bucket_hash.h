// Which bucket of a table holds a key, bit-identical to upstream TFRA
// (spec 4.4) for numeric keys:
//   - int32 keys: (uint32)key mod S (negative keys wrap);
//   - int64 keys: (key & 0xFFFFFFFF) mod S (plain modulo, any S);
//   - with using_hash_storage_slice: TfraBucketCrc32c over the key's raw
//     little-endian bytes, mod S.
// Upstream applies this only in Cluster mode; Standalone and Sentinel send
// every key to bucket 0. That choice belongs to the caller (the store), not
// to these functions.
//
// String keys: upstream hashes the first len bytes of the in-memory TF
// `tstring` object instead of the characters, which is deterministic only
// for strings of at most 22 bytes (and reads a heap pointer or past the
// object otherwise). We deliberately hash the characters instead
// (TfraBucketCrc32c(key) mod S): reproducing a layout-dependent,
// out-of-bounds read is not possible for long keys and would tie stored data
// to TF's private string layout. Cluster tables with string keys and S > 1
// therefore place keys differently from upstream; TfraStringKeyBucket tells
// compatibility tests and migration tools where upstream put a short key.
//
// Precondition everywhere: storage_slice >= 1 (the config parser rejects 0).
// All functions are pure and thread-safe.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_BUCKET_HASH_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_BUCKET_HASH_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tfra {
namespace redis_table {

// One signature per key type, so templated callers can write
// KeyBucket(key, s, hash) for every K. The flag is ignored for strings
// (upstream ignores it too: strings are always CRC-hashed).
uint32_t KeyBucket(int32_t key, uint32_t storage_slice,
                   bool using_hash_storage_slice);
uint32_t KeyBucket(int64_t key, uint32_t storage_slice,
                   bool using_hash_storage_slice);
uint32_t KeyBucket(std::string_view key, uint32_t storage_slice,
                   bool using_hash_storage_slice);

// Longest string TF stores inline in a `tstring` (its "small" layout).
inline constexpr size_t kTfraSmallStringMax = 22;

// The bytes upstream feeds to the CRC for a string key of at most 22 bytes:
// [len << 2, key[0], ..., key[len - 2]] (len bytes in all; empty for "").
// nullopt for longer keys, whose upstream hash is not reproducible.
std::optional<std::string> TfraStringKeyHashedBytes(std::string_view key);

// Upstream's CRC for a short string key ("abc" -> 0x2ad798be,
// "" -> 0xFFFFFFFF); nullopt for keys longer than 22 bytes.
std::optional<uint32_t> TfraStringKeyCrc(std::string_view key);

// The bucket upstream (Cluster mode) would choose for a short string key;
// nullopt for keys longer than 22 bytes.
std::optional<uint32_t> TfraStringKeyBucket(std::string_view key,
                                            uint32_t storage_slice);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_BUCKET_HASH_H_
