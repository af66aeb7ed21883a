#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_element.h"

#include <cstdint>
#include <cstring>

namespace tfra {
namespace redis_table {
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

struct NamedElement {
  const char* name;
  AccumElement element;
};

constexpr NamedElement kNames[] = {
    {"float", AccumElement::kFloat}, {"double", AccumElement::kDouble},
    {"int32", AccumElement::kInt32}, {"int64", AccumElement::kInt64},
    {"int8", AccumElement::kInt8},
};

}  // namespace

bool AccumElementFromName(const char* name, size_t length,
                          AccumElement* element) {
  for (const NamedElement& entry : kNames) {
    if (std::strlen(entry.name) == length &&
        std::memcmp(entry.name, name, length) == 0) {
      *element = entry.element;
      return true;
    }
  }
  return false;
}

const char* AccumElementName(AccumElement element) {
  for (const NamedElement& entry : kNames) {
    if (entry.element == element) return entry.name;
  }
  return "";
}

size_t AccumElementBytes(AccumElement element) {
  switch (element) {
    case AccumElement::kFloat:
    case AccumElement::kInt32:
      return 4;
    case AccumElement::kDouble:
    case AccumElement::kInt64:
      return 8;
    case AccumElement::kInt8:
      return 1;
  }
  return 1;
}

void AddRows(AccumElement element, const char* row, const char* delta,
             char* sum, size_t bytes) {
  const size_t count = bytes / AccumElementBytes(element);
  switch (element) {
    case AccumElement::kFloat:
      return AddElements<float, float>(row, delta, sum, count);
    case AccumElement::kDouble:
      return AddElements<double, double>(row, delta, sum, count);
    case AccumElement::kInt32:
      return AddElements<int32_t, uint32_t>(row, delta, sum, count);
    case AccumElement::kInt64:
      return AddElements<int64_t, uint64_t>(row, delta, sum, count);
    case AccumElement::kInt8:
      return AddElements<int8_t, uint8_t>(row, delta, sum, count);
  }
}

}  // namespace redis_table
}  // namespace tfra
