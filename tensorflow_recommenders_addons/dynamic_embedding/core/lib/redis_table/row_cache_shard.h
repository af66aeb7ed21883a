// One shard of the read cache (row_cache.h): cached rows keyed by a 64-bit
// hash plus the exact key, bounded in charged bytes, evicting by CLOCK (a
// hit sets a flag; the hand gives flagged entries a second chance).
//
// Laid out for lookups that are bound by memory latency: an entry is one
// allocation holding its header, key and value; the index is an open-
// addressed array of (hash, entry) slots, so a probe reads one slot and,
// when the hash matches, one entry; a hit touches nothing else (no list to
// relink), and callers can prefetch both (Prefetch*).
//
// Not thread-safe: RowCache guards each shard with its own mutex.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_CACHE_SHARD_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_CACHE_SHARD_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tfra {
namespace redis_table {

// A cached row's key: the id of its Redis hash (RowCache::BucketId) and its
// field. Stored as the id's 4 bytes followed by the field's.
struct RowKey {
  uint32_t bucket_id;
  std::string_view field;

  size_t size() const { return sizeof(bucket_id) + field.size(); }
};

class RowCacheShard {
 public:
  // What an entry costs besides its key and value bytes: its header, the
  // allocator's words, its index slots (at most half full, so up to four
  // 16-byte slots after a growth) and its ring pointers. The heap test in
  // row_cache_test checks it against glibc's own count.
  static constexpr size_t kEntryOverheadBytes = 128;

  explicit RowCacheShard(size_t capacity_bytes);
  ~RowCacheShard();
  RowCacheShard(const RowCacheShard&) = delete;
  RowCacheShard& operator=(const RowCacheShard&) = delete;

  struct Found {
    std::string_view value;
    int64_t read_at_ns;
  };
  // A stored entry. A pointer to one stays valid while removals() stays
  // the same (only a removal frees an entry; a refresh rewrites its value
  // in place).
  struct Entry;

  // Hints the CPU to load the index slot of `hash`, and, once that slot is
  // in cache, the entry it names (all of its lines): a batch's probes then
  // overlap their memory waits.
  void PrefetchSlot(uint64_t hash) const;
  void PrefetchEntry(uint64_t hash) const;
  // The entry's first line only (its header and key).
  void PrefetchEntryHead(uint64_t hash) const;

  // The entry for (hash, key), marked as used; false when absent.
  bool Find(uint64_t hash, const RowKey& key, Found* found);
  // The same, as the entry itself (null when absent), for Read later.
  const Entry* FindEntry(uint64_t hash, const RowKey& key);
  // What `entry` holds (valid as said at Entry).
  static Found Read(const Entry* entry);
  // Hints the CPU to load the entry's lines (as many as PrefetchEntry).
  void PrefetchEntryAt(const Entry* entry) const;

  // Stores `value` for (hash, key), replacing an entry of the key; evicts
  // until the charges fit. False (nothing stored) when one entry alone
  // exceeds the capacity. An entry of the key with a value of the same size
  // is refreshed in place. `*evicted` counts the entries evicted.
  bool Insert(uint64_t hash, const RowKey& key, std::string_view value,
              int64_t read_at_ns, int64_t* evicted);

  // Removes the entry of (hash, key), if any.
  void Erase(uint64_t hash, const RowKey& key);

  // Removes every entry whose key starts with one of `prefixes` (the 4
  // bytes of a bucket id).
  void EraseWithPrefixes(const std::vector<uint32_t>& prefixes);

  size_t entries() const { return entries_; }
  size_t bytes() const { return bytes_; }
  size_t capacity_bytes() const { return capacity_; }
  // A write touched the shard: reads that missed before may be older.
  uint64_t writes() const { return writes_; }
  void CountWrite() { ++writes_; }
  // Entries removed (erased, evicted or replaced) so far.
  uint64_t removals() const { return removals_; }

 private:
  struct Slot {
    uint64_t hash = 0;  // 0: empty (real hashes are made non-zero)
    Entry* entry = nullptr;
  };

  size_t SlotOf(uint64_t hash) const { return hash & (slots_.size() - 1); }
  // The slot holding (hash, key), or slots_.size().
  size_t Locate(uint64_t hash, const RowKey& key) const;
  size_t LocateEntry(const Entry* entry) const;
  void RemoveAt(size_t slot);
  // Flags the entry as used (the hand gives it a second chance).
  void MarkUsed(const Entry* entry);
  void Grow();
  void EvictOne();
  void CompactRing();

  const size_t capacity_;
  size_t prefetch_bytes_ = 64;  // the bytes of the latest entry stored
  std::vector<Slot> slots_;    // power-of-two size, at most half full
  // CLOCK order: entry addresses with a used bit (row_cache_shard.cc); 0
  // where removed.
  std::vector<uintptr_t> ring_;
  size_t hand_ = 0;
  size_t holes_ = 0;           // zeros in ring_
  size_t entries_ = 0;
  size_t bytes_ = 0;
  uint64_t writes_ = 0;
  uint64_t removals_ = 0;
};

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ROW_CACHE_SHARD_H_
