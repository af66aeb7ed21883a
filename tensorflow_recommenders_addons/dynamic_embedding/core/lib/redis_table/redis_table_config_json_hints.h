// The wording of config syntax errors (redis_table_config_json.cc): what to
// tell a person about a byte or a word where JSON wants something else,
// with a hint for the usual slips. Private to the redis_table_config
// library.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_REDIS_TABLE_CONFIG_JSON_HINTS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_REDIS_TABLE_CONFIG_JSON_HINTS_H_

#include <string>
#include <string_view>

namespace tfra {
namespace redis_table {
namespace json_hints {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
// The bytes of a bare word such as True or None.
inline bool IsWordByte(char c) { return IsLetter(c) || IsDigit(c); }

// One byte: 'x' when printable, else byte 0xNN.
std::string Shown(char c);

// Where a value should start but `c` does.
std::string NotAValue(char c);

// Where a value should start but a bare word does; empty for true, false
// and null.
std::string NotALiteral(std::string_view word);

// Where a key or '}' should come but `rest` (non-empty) starts with
// neither; `rest` runs to the end of the text.
std::string NotAKey(std::string_view rest);

}  // namespace json_hints
}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_REDIS_TABLE_CONFIG_JSON_HINTS_H_
