// SHA-1 (FIPS 180-4), for the one name Redis gives a cached script: EVALSHA
// names the accum script by the SHA-1 of its body (accum_script.h). Not for
// security. Pure functions, thread-safe.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_SHA1_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_SHA1_H_

#include <string>
#include <string_view>

namespace tfra {
namespace redis_table {

// Lower-case hexadecimal SHA-1 of `bytes` (40 characters), as Redis' SCRIPT
// LOAD returns it.
std::string Sha1Hex(std::string_view bytes);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_SHA1_H_
