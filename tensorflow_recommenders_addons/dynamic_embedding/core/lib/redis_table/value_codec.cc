#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/value_codec.h"

#include <cstring>
#include <vector>

namespace tfra {
namespace redis_table {
namespace {

constexpr size_t kLengthPrefixSize = 4;

uint32_t ReadLengthPrefix(const char* bytes) {
  uint32_t length;
  std::memcpy(&length, bytes, kLengthPrefixSize);  // little-endian host
  return length;
}

}  // namespace

Status DecodeKeyBytes(std::string_view field, size_t key_size, void* key) {
  if (field.size() != key_size) {
    return InvalidArgumentError(
        "stored key has " + std::to_string(field.size()) +
        " bytes, expected " + std::to_string(key_size) +
        " (the table's key dtype)");
  }
  std::memcpy(key, field.data(), key_size);
  return Status::Ok();
}

Status DecodePodRowBytes(std::string_view stored, size_t row_bytes,
                         size_t element_size, void* out) {
  if (stored.size() != row_bytes) {
    return InvalidArgumentError(
        "stored value has " + std::to_string(stored.size()) +
        " bytes, expected " + std::to_string(row_bytes) + " (dim " +
        std::to_string(element_size == 0 ? 0 : row_bytes / element_size) +
        " x " + std::to_string(element_size) +
        "-byte elements); the table's dim or value dtype differs from the "
        "data in Redis");
  }
  std::memcpy(out, stored.data(), row_bytes);
  return Status::Ok();
}

size_t StringRowEncodedSize(const std::string_view* elements, size_t dim) {
  size_t total = 0;
  for (size_t i = 0; i < dim; ++i) {
    total += kLengthPrefixSize + elements[i].size();
  }
  return total;
}

Status AppendStringRow(const std::string_view* elements, size_t dim,
                       std::string* out) {
  for (size_t i = 0; i < dim; ++i) {
    if (elements[i].size() > UINT32_MAX) {
      return InvalidArgumentError(
          "string value element " + std::to_string(i) + " has " +
          std::to_string(elements[i].size()) +
          " bytes; the stored layout allows at most 4294967295");
    }
  }
  out->reserve(out->size() + StringRowEncodedSize(elements, dim));
  for (size_t i = 0; i < dim; ++i) {
    const uint32_t length = static_cast<uint32_t>(elements[i].size());
    char prefix[kLengthPrefixSize];
    std::memcpy(prefix, &length, kLengthPrefixSize);  // little-endian host
    out->append(prefix, kLengthPrefixSize);
    out->append(elements[i].data(), elements[i].size());
  }
  return Status::Ok();
}

Status DecodeStringRow(std::string_view stored, size_t dim,
                       const StringElementWriter& write) {
  std::vector<std::string_view> elements;
  elements.reserve(dim);
  size_t offset = 0;
  for (size_t i = 0; i < dim; ++i) {
    const size_t remaining = stored.size() - offset;
    if (remaining < kLengthPrefixSize) {
      return InvalidArgumentError(
          "stored string value is truncated: element " + std::to_string(i) +
          " of " + std::to_string(dim) + " needs a 4-byte length, " +
          std::to_string(remaining) + " bytes left (value has " +
          std::to_string(stored.size()) + " bytes)");
    }
    const uint32_t length = ReadLengthPrefix(stored.data() + offset);
    offset += kLengthPrefixSize;
    if (length > stored.size() - offset) {
      return InvalidArgumentError(
          "stored string value is truncated: element " + std::to_string(i) +
          " of " + std::to_string(dim) + " declares " +
          std::to_string(length) + " bytes, " +
          std::to_string(stored.size() - offset) + " bytes left");
    }
    elements.push_back(stored.substr(offset, length));
    offset += length;
  }
  if (offset != stored.size()) {
    return InvalidArgumentError(
        "stored string value has " + std::to_string(stored.size() - offset) +
        " bytes after its " + std::to_string(dim) +
        " elements; the table's dim differs from the data in Redis");
  }
  for (size_t i = 0; i < dim; ++i) write(i, elements[i]);
  return Status::Ok();
}

}  // namespace redis_table
}  // namespace tfra
