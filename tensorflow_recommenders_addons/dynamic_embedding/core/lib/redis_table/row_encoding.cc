#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_encoding.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace tfra {
namespace redis_table {
namespace {

struct NamedEncoding {
  std::string_view name;
  RowEncoding encoding;
};

constexpr NamedEncoding kEncodings[] = {
    {"raw", RowEncoding::kRaw},
    {"float16", RowEncoding::kFloat16},
    {"bfloat16", RowEncoding::kBfloat16},
    {"int8", RowEncoding::kInt8},
};

uint32_t BitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

float FloatOf(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// Stored rows have no alignment: elements go in and out through memcpy.
template <typename T>
void Store(T value, char* out) {
  std::memcpy(out, &value, sizeof(T));
}

template <typename T>
T Load(const char* in) {
  T value;
  std::memcpy(&value, in, sizeof(T));
  return value;
}

// Rounds the float32 bits `abs` (no sign, a value below half's smallest
// normal 2^-14) to a half subnormal: a multiple of 2^-24, ties to even.
uint16_t HalfSubnormal(uint32_t abs) {
  if (abs <= 0x33000000u) return 0;  // <= 2^-25: rounds to zero
  const uint32_t exponent = abs >> 23;  // biased, 102..112 here
  const uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
  // value = mantissa * 2^(exponent - 150) = mantissa / 2^shift units of 2^-24
  const uint32_t shift = 126 - exponent;
  uint32_t units = mantissa >> shift;
  const uint32_t rest = mantissa & ((1u << shift) - 1);
  const uint32_t half_unit = 1u << (shift - 1);
  if (rest > half_unit || (rest == half_unit && (units & 1) != 0)) ++units;
  return static_cast<uint16_t>(units);  // 0x400 is the smallest normal
}

void EncodeInt8(const float* row, size_t dim, char* out) {
  float largest = 0;
  for (size_t j = 0; j < dim; ++j) {
    if (std::isfinite(row[j])) largest = std::max(largest, std::fabs(row[j]));
  }
  const float scale = largest / 127.0f;
  Store(scale, out);
  for (size_t j = 0; j < dim; ++j) {
    const float x = row[j];
    long q = 0;
    if (std::isinf(x)) {
      q = x > 0 ? 127 : -127;
    } else if (scale > 0 && !std::isnan(x)) {
      q = std::lrint(x / scale);  // to nearest, ties to even
      q = std::min(127L, std::max(-127L, q));
    }
    out[4 + j] = static_cast<char>(static_cast<int8_t>(q));
  }
}

}  // namespace

std::string_view RowEncodingName(RowEncoding encoding) {
  for (const NamedEncoding& entry : kEncodings) {
    if (entry.encoding == encoding) return entry.name;
  }
  return "";
}

bool RowEncodingFromName(std::string_view name, RowEncoding* encoding) {
  for (const NamedEncoding& entry : kEncodings) {
    if (entry.name == name) {
      *encoding = entry.encoding;
      return true;
    }
  }
  return false;
}

std::string_view RowEncodingNames() { return "raw, float16, bfloat16, int8"; }

size_t EncodedRowBytes(RowEncoding encoding, size_t dim) {
  switch (encoding) {
    case RowEncoding::kRaw:
      return dim * sizeof(float);
    case RowEncoding::kFloat16:
    case RowEncoding::kBfloat16:
      return dim * sizeof(uint16_t);
    case RowEncoding::kInt8:
      return sizeof(float) + dim;
  }
  return dim * sizeof(float);
}

uint16_t FloatToHalf(float value) {
  const uint32_t bits = BitsOf(value);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u;  // NaN stays a (quiet) NaN
  // From 65520 (half-way between half's largest, 65504, and 2^16) on.
  if (abs >= 0x477ff000u) return sign | 0x7c00u;
  if (abs < 0x38800000u) return sign | HalfSubnormal(abs);
  // Re-bias the exponent (127 -> 15), then round the mantissa's 13 dropped
  // bits to nearest even; a carry moves into the exponent as it should.
  uint32_t rebased = abs - 0x38000000u;
  rebased += 0xfffu + ((rebased >> 13) & 1u);
  return static_cast<uint16_t>(sign | (rebased >> 13));
}

float HalfToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  const uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0x1f) return FloatOf(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    // Zero or subnormal: mantissa x 2^-24, exact in a float.
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign != 0 ? -magnitude : magnitude;
  }
  return FloatOf(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t FloatToBfloat16(float value) {
  uint32_t bits = BitsOf(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    return static_cast<uint16_t>((bits >> 16) | 0x40u);  // a quiet NaN
  }
  bits += 0x7fffu + ((bits >> 16) & 1u);  // to nearest even
  return static_cast<uint16_t>(bits >> 16);
}

float Bfloat16ToFloat(uint16_t bits) {
  return FloatOf(static_cast<uint32_t>(bits) << 16);
}

void EncodeFloatRow(RowEncoding encoding, const float* row, size_t dim,
                    char* out) {
  switch (encoding) {
    case RowEncoding::kRaw:
      std::memcpy(out, row, dim * sizeof(float));
      return;
    case RowEncoding::kFloat16:
      for (size_t j = 0; j < dim; ++j) Store(FloatToHalf(row[j]), out + 2 * j);
      return;
    case RowEncoding::kBfloat16:
      for (size_t j = 0; j < dim; ++j) {
        Store(FloatToBfloat16(row[j]), out + 2 * j);
      }
      return;
    case RowEncoding::kInt8:
      EncodeInt8(row, dim, out);
      return;
  }
}

Status DecodeFloatRow(RowEncoding encoding, std::string_view stored,
                      size_t dim, float* out) {
  const size_t expected = EncodedRowBytes(encoding, dim);
  if (stored.size() != expected) {
    return InvalidArgumentError(
        "stored value has " + std::to_string(stored.size()) +
        " bytes, expected " + std::to_string(expected) + " (" +
        std::to_string(dim) + " elements, redis_value_encoding " +
        std::string(RowEncodingName(encoding)) + ")");
  }
  const char* in = stored.data();
  switch (encoding) {
    case RowEncoding::kRaw:
      std::memcpy(out, in, expected);
      break;
    case RowEncoding::kFloat16:
      for (size_t j = 0; j < dim; ++j) {
        out[j] = HalfToFloat(Load<uint16_t>(in + 2 * j));
      }
      break;
    case RowEncoding::kBfloat16:
      for (size_t j = 0; j < dim; ++j) {
        out[j] = Bfloat16ToFloat(Load<uint16_t>(in + 2 * j));
      }
      break;
    case RowEncoding::kInt8: {
      const float scale = Load<float>(in);
      for (size_t j = 0; j < dim; ++j) {
        out[j] = static_cast<float>(static_cast<int8_t>(in[4 + j])) * scale;
      }
      break;
    }
  }
  return Status::Ok();
}

}  // namespace redis_table
}  // namespace tfra
