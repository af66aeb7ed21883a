#include "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/row_add.h"

#include <cstdint>
#include <cstring>

namespace tfra {
namespace redis_module {
namespace {

// memcpy in and out, because stored rows have no alignment; the compiler
// turns each into one (vector) load or store. `Wide` is the type the sum
// runs in: unsigned for integers, so that overflow wraps instead of being
// undefined behaviour.
template <typename T, typename Wide>
void AddElements(const char* row, const char* delta, char* sum, size_t count) {
  for (size_t j = 0; j < count; ++j) {
    T a, b;
    std::memcpy(&a, row + j * sizeof(T), sizeof(T));
    std::memcpy(&b, delta + j * sizeof(T), sizeof(T));
    const T s = static_cast<T>(static_cast<Wide>(a) + static_cast<Wide>(b));
    std::memcpy(sum + j * sizeof(T), &s, sizeof(T));
  }
}

struct NamedType {
  const char* name;
  ElementType type;
};

constexpr NamedType kNames[] = {
    {"float", ElementType::kFloat}, {"double", ElementType::kDouble},
    {"int32", ElementType::kInt32}, {"int64", ElementType::kInt64},
    {"int8", ElementType::kInt8},
};

}  // namespace

bool ElementTypeFromName(const char* name, size_t length, ElementType* type) {
  for (const NamedType& entry : kNames) {
    if (std::strlen(entry.name) == length &&
        std::memcmp(entry.name, name, length) == 0) {
      *type = entry.type;
      return true;
    }
  }
  return false;
}

size_t ElementBytes(ElementType type) {
  switch (type) {
    case ElementType::kFloat:
    case ElementType::kInt32:
      return 4;
    case ElementType::kDouble:
    case ElementType::kInt64:
      return 8;
    case ElementType::kInt8:
      return 1;
  }
  return 1;
}

void AddRows(ElementType type, const char* row, const char* delta, char* sum,
             size_t bytes) {
  const size_t count = bytes / ElementBytes(type);
  switch (type) {
    case ElementType::kFloat:
      return AddElements<float, float>(row, delta, sum, count);
    case ElementType::kDouble:
      return AddElements<double, double>(row, delta, sum, count);
    case ElementType::kInt32:
      return AddElements<int32_t, uint32_t>(row, delta, sum, count);
    case ElementType::kInt64:
      return AddElements<int64_t, uint64_t>(row, delta, sum, count);
    case ElementType::kInt8:
      return AddElements<int8_t, uint8_t>(row, delta, sum, count);
  }
}

}  // namespace redis_module
}  // namespace tfra
