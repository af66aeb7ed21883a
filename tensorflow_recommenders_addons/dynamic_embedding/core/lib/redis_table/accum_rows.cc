#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_rows.h"

#include <cstdint>
#include <cstring>

namespace tfra {
namespace redis_table {
namespace {

// memcpy in and out: rows inside Redis replies have no alignment. `Sum` is
// the type the addition runs in (unsigned for integers, so overflow wraps
// instead of being undefined).
template <typename T, typename Sum>
void AddElements(std::string_view delta, char* row) {
  const size_t count = delta.size() / sizeof(T);
  for (size_t j = 0; j < count; ++j) {
    T a, b;
    std::memcpy(&a, row + j * sizeof(T), sizeof(T));
    std::memcpy(&b, delta.data() + j * sizeof(T), sizeof(T));
    const T sum = static_cast<T>(static_cast<Sum>(a) + static_cast<Sum>(b));
    std::memcpy(row + j * sizeof(T), &sum, sizeof(T));
  }
}

}  // namespace

void AddRowInPlace(AccumElement element, std::string_view delta, char* row) {
  // Stored rows are little-endian, as the hosts TensorFlow runs on.
  switch (element) {
    case AccumElement::kFloat:
      return AddElements<float, float>(delta, row);
    case AccumElement::kDouble:
      return AddElements<double, double>(delta, row);
    case AccumElement::kInt32:
      return AddElements<int32_t, uint32_t>(delta, row);
    case AccumElement::kInt64:
      return AddElements<int64_t, uint64_t>(delta, row);
    case AccumElement::kInt8:
      return AddElements<int8_t, uint8_t>(delta, row);
  }
}

}  // namespace redis_table
}  // namespace tfra
