// Where and why a config's JSON text is malformed, in words a person can act
// on: line and column, the key whose value is broken, and a hint for the
// usual slips (Python's True/False/None, single quotes, comments, a missing
// comma). json-parser, which builds the values, reports every error at
// column 0 and often with the offending byte missing; this scanner runs
// first and words the error instead.
//
// It accepts the language json-parser 1.1 accepts (a leading UTF-8 byte
// order mark, trailing commas, raw control bytes and unknown escapes such as
// \x inside strings, as TFRA 0.8 did), minus texts json-parser turns into
// values silently: a "-" without digits (read as 0, or -0.0 in "-e5") and
// anything after a NUL byte (ignored). The fuzz test checks that every text
// json-parser rejects is rejected here too. Part of the redis_table_config
// library.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_REDIS_TABLE_CONFIG_JSON_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_REDIS_TABLE_CONFIG_JSON_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tfra {
namespace redis_table {

struct JsonSyntaxError {
  size_t offset = 0;  // byte of the text where it goes wrong (size() at end)
  int line = 1;       // 1-based; lines end at '\n'
  int column = 1;     // 1-based, in bytes
  // Where in the document, e.g. "in the value of redis_host_port[1]";
  // empty at the top level.
  std::string where;
  std::string message;  // e.g. "False is Python, not JSON: use false"
  // json-parser would have accepted the text (see the file comment).
  bool stricter_than_json_parser = false;

  // "line 1, column 95, in the value of x: False is Python, ...".
  std::string ToString() const;
};

// The first syntax error of `text`, or nullopt when it is well-formed JSON.
std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text);

// `text` for an error message: printable ASCII kept, quotes and backslashes
// escaped, every other byte as \xNN, cut after `max_bytes` with "...", all
// between double quotes.
std::string QuoteForMessage(std::string_view text, size_t max_bytes = 64);

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_KERNELS_REDIS_IMPL_REDIS_TABLE_CONFIG_JSON_H_
