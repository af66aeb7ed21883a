// JSON text for the answers of the operator's tool binding (c_api.h).
// Strings are bytes (Redis keys may hold any byte, an MD5 prefix does): every
// byte outside printable ASCII is written as \u00XX, so a reader gets the
// exact bytes back by mapping code points 0-255 to bytes (Python:
// text.encode("latin-1")). Doubles keep the digits asked for; NaN and the
// infinities are written as NaN / Infinity / -Infinity, which Python's json
// reads. Not thread-safe; one writer per answer.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_JSON_WRITER_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tfra {
namespace redis_admin {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The next value belongs to member `name` of the open object.
  JsonWriter& Key(std::string_view name);

  JsonWriter& String(std::string_view bytes);
  JsonWriter& Int(int64_t value);
  // `digits` significant digits: 17 round-trips a double, 9 a float.
  JsonWriter& Double(double value, int digits = 17);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  // Key(name) followed by the value.
  JsonWriter& Member(std::string_view name, std::string_view bytes) {
    return Key(name).String(bytes);
  }
  JsonWriter& Member(std::string_view name, const char* bytes) {
    return Key(name).String(bytes);
  }
  JsonWriter& Member(std::string_view name, int64_t value) {
    return Key(name).Int(value);
  }
  JsonWriter& Member(std::string_view name, int value) {
    return Key(name).Int(value);
  }
  JsonWriter& Member(std::string_view name, double value) {
    return Key(name).Double(value);
  }
  JsonWriter& Member(std::string_view name, bool value) {
    return Key(name).Bool(value);
  }

  const std::string& text() const { return out_; }

 private:
  // Writes the comma before a value or key that is not the first of its
  // container (values right after a key need none).
  void BeforeValue();
  void Open(char bracket);
  void Close(char bracket);

  std::string out_;
  std::vector<bool> has_members_;  // one per open container
  bool after_key_ = false;
};

}  // namespace redis_admin
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_JSON_WRITER_H_
