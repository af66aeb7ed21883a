#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/md5.h"

#include <cstring>

namespace tfra {
namespace redis_table {
namespace {

// Per-step additive constants, floor(|sin(i + 1)| * 2^32) (RFC 1321 3.4).
constexpr uint32_t kSineTable[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
    0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
    0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
    0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
    0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
    0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
    0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

// Left-rotation amounts, four per round.
constexpr int kShifts[4][4] = {
    {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

// MD5 over a configurable word type. With uint32_t every operation wraps at
// 2^32 and the rotate is a true rotation: standard MD5. With uint64_t it
// reproduces the reference code built with a 64-bit `unsigned long`.
template <typename Word>
class Md5Engine {
 public:
  Md5Digest Digest(std::string_view data) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
    size_t offset = 0;
    for (; offset + 64 <= data.size(); offset += 64) Transform(bytes + offset);
    FinishWithPadding(bytes + offset, data.size() - offset, data.size());
    Md5Digest digest{};
    for (int i = 0; i < 4; ++i) {
      for (int b = 0; b < 4; ++b) {
        digest[4 * i + b] = static_cast<uint8_t>(state_[i] >> (8 * b));
      }
    }
    return digest;
  }

 private:
  // Pads the last partial block with 0x80, zeros and the 64-bit bit length
  // (little endian), as RFC 1321 3.1-3.2.
  void FinishWithPadding(const uint8_t* tail, size_t tail_size,
                         uint64_t total_size) {
    uint8_t block[128] = {};
    std::memcpy(block, tail, tail_size);
    block[tail_size] = 0x80;
    const size_t padded = tail_size < 56 ? 64 : 128;
    const uint64_t bit_length = total_size * 8;
    for (int b = 0; b < 8; ++b) {
      block[padded - 8 + b] = static_cast<uint8_t>(bit_length >> (8 * b));
    }
    Transform(block);
    if (padded == 128) Transform(block + 64);
  }

  static Word Rotate(Word x, int n) { return (x << n) | (x >> (32 - n)); }

  static Word RoundFunction(int round, Word b, Word c, Word d) {
    switch (round) {
      case 0:
        return (b & c) | (~b & d);
      case 1:
        return (b & d) | (c & ~d);
      case 2:
        return b ^ c ^ d;
      default:
        return c ^ (b | ~d);
    }
  }

  static int MessageIndex(int round, int step) {
    switch (round) {
      case 0:
        return step;
      case 1:
        return (5 * step + 1) % 16;
      case 2:
        return (3 * step + 5) % 16;
      default:
        return (7 * step) % 16;
    }
  }

  void Transform(const uint8_t* block) {
    Word x[16];
    for (int i = 0; i < 16; ++i) {
      x[i] = static_cast<Word>(block[4 * i]) |
             static_cast<Word>(block[4 * i + 1]) << 8 |
             static_cast<Word>(block[4 * i + 2]) << 16 |
             static_cast<Word>(block[4 * i + 3]) << 24;
    }
    Word a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    for (int step = 0; step < 64; ++step) {
      const int round = step / 16;
      const Word sum = a + RoundFunction(round, b, c, d) +
                       x[MessageIndex(round, step)] +
                       static_cast<Word>(kSineTable[step]);
      const Word rotated = Rotate(sum, kShifts[round][step % 4]);
      a = d;
      d = c;
      c = b;
      b = b + rotated;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
  }

  Word state_[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
};

}  // namespace

Md5Digest Md5(std::string_view data) {
  return Md5Engine<uint32_t>().Digest(data);
}

Md5Digest TfraLegacyMd5(std::string_view data) {
  return Md5Engine<uint64_t>().Digest(data);
}

std::string Md5Hex(const Md5Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(32);
  for (uint8_t byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xF]);
  }
  return hex;
}

}  // namespace redis_table
}  // namespace tfra
