#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_cache_sketch.h"

#include <algorithm>

namespace tfra {
namespace redis_table {
namespace {

// The bits that pick a key's 4 counters within its block: a remix of the
// hash, so that they are independent of the bits that pick the block.
uint64_t CounterBits(uint64_t hash) {
  uint64_t h = hash * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

// Counter i of a key: one of the 2 words of row i of the block (bit 0),
// one of its 16 nibbles (bits 1-4); the next counter takes the next 5 bits.
constexpr int kBitsPerCounter = 5;

}  // namespace

FrequencySketch::FrequencySketch(size_t bytes, size_t sample)
    : sample_(std::max<size_t>(sample, 1)) {
  size_t blocks = 1;
  while (2 * blocks * kBlockBytes <= bytes) blocks *= 2;
  words_.assign(blocks * kWordsPerBlock, 0);
  block_mask_ = blocks - 1;
}

void FrequencySketch::Add(uint64_t hash) {
  uint64_t* block = &words_[BlockOf(hash)];
  uint64_t bits = CounterBits(hash);
  bool counted = false;
  for (int i = 0; i < 4; ++i, bits >>= kBitsPerCounter) {
    uint64_t& word = block[2 * i + (bits & 1)];
    const int shift = static_cast<int>((bits >> 1) & 15) * 4;
    if (((word >> shift) & 15) != kMaxCount) {
      word += uint64_t{1} << shift;
      counted = true;
    }
  }
  if (counted && ++counted_ >= sample_) Halve();
}

int FrequencySketch::Estimate(uint64_t hash) const {
  const uint64_t* block = &words_[BlockOf(hash)];
  uint64_t bits = CounterBits(hash);
  int estimate = kMaxCount;
  for (int i = 0; i < 4; ++i, bits >>= kBitsPerCounter) {
    const uint64_t word = block[2 * i + (bits & 1)];
    const int shift = static_cast<int>((bits >> 1) & 15) * 4;
    estimate = std::min(estimate, static_cast<int>((word >> shift) & 15));
  }
  return estimate;
}

void FrequencySketch::Halve() {
  for (uint64_t& word : words_) word = (word >> 1) & 0x7777777777777777ull;
  counted_ /= 2;
}

}  // namespace redis_table
}  // namespace tfra
