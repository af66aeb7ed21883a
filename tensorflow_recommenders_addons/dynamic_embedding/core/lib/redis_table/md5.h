// MD5 (RFC 1321) and the non-standard variant upstream TFRA computes for
// `using_md5_prefix_name`.
//
// Upstream compiles the RSA reference implementation with its 32-bit word
// type declared `unsigned long`, which is 64 bits on LP64 Linux/macOS. The
// algorithm then runs on 64-bit words: sums are not reduced modulo 2^32,
// `~` sets the upper 32 bits, the rotate `(x << n) | (x >> (32 - n))` keeps
// the bits shifted past bit 31 and pulls bits 32.. back down, and the chaining
// state keeps its upper bits from one 64-byte block to the next. Only the
// output step truncates: each state word contributes its low 32 bits, little
// endian. Message words (read 4 bytes at a time) and the length trailer are
// the same as in standard MD5. The result is a deterministic but different
// digest, e.g. TfraLegacyMd5("test:emb") = de616a84e6038a7e305799743012152c
// (standard MD5: 8da9d5be...). Bucket names of existing data depend on it.
//
// Pure functions, thread-safe.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_MD5_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_MD5_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tfra {
namespace redis_table {

using Md5Digest = std::array<uint8_t, 16>;

// Standard MD5 of `data`.
Md5Digest Md5(std::string_view data);

// Upstream TFRA's 64-bit-word MD5 of `data` (see the file comment). Upstream
// passes the length as `unsigned int`; inputs of 4 GiB or more are outside
// its domain and are hashed here with their full length.
Md5Digest TfraLegacyMd5(std::string_view data);

// Lower-case hexadecimal text of a digest (32 characters).
std::string Md5Hex(const Md5Digest& digest);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_MD5_H_
