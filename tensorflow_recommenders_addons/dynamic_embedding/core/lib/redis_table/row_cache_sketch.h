// How often keys were looked up lately, approximately: a count-min sketch of
// 4-bit counters, all halved once it has counted `sample` lookups, so that
// past popularity fades. The read cache (row_cache_shard.h) admits a row
// into a full shard only when its key is asked for at least as often as
// that of the row it would evict: under skewed serving traffic, rows asked
// for once no longer push out rows asked for again and again (the admission
// rule of TinyLFU, Einziger et al.).
//
// A key's four counters lie in one 64-byte block, so counting or estimating
// reads one cache line. Not thread-safe (a shard's lock guards it).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_CACHE_SKETCH_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_CACHE_SKETCH_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tfra {
namespace redis_table {

class FrequencySketch {
 public:
  static constexpr size_t kBlockBytes = 64;
  static constexpr int kMaxCount = 15;

  // At most `bytes` of counters (at least one block), halved every
  // `sample` counts.
  FrequencySketch(size_t bytes, size_t sample);

  // Hints the CPU to load the counters of `hash`.
  void Prefetch(uint64_t hash) const {
    __builtin_prefetch(&words_[BlockOf(hash)]);
  }
  // Counts one lookup of the key of `hash` (a well-mixed 64-bit hash).
  void Add(uint64_t hash);
  // The lookups of the key counted lately, over-estimated by collisions
  // (never under), at most kMaxCount.
  int Estimate(uint64_t hash) const;

  size_t bytes() const { return words_.size() * sizeof(uint64_t); }

 private:
  static constexpr size_t kWordsPerBlock = kBlockBytes / sizeof(uint64_t);
  size_t BlockOf(uint64_t hash) const {
    return (hash & block_mask_) * kWordsPerBlock;
  }
  void Halve();

  std::vector<uint64_t> words_;  // 16 counters each
  size_t block_mask_;
  size_t sample_;
  size_t counted_ = 0;
};

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_CACHE_SKETCH_H_
