#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/row_cache_shard.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace tfra {
namespace redis_table {

// One allocation: this header, then the key bytes (bucket id, field), then
// the value bytes.
struct RowCacheShard::Entry {
  uint64_t hash;
  int64_t read_at_ns;
  uint32_t key_size;
  uint32_t value_size;
  size_t ring_pos;

  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view value() const {
    return std::string_view(bytes() + key_size, value_size);
  }
  char* mutable_value() { return reinterpret_cast<char*>(this + 1) + key_size; }
  size_t size() const { return sizeof(Entry) + key_size + value_size; }
  size_t charge() const {
    return key_size + value_size + RowCacheShard::kEntryOverheadBytes;
  }
  uint32_t bucket_id() const {
    uint32_t id;
    std::memcpy(&id, bytes(), sizeof(id));
    return id;
  }
  bool Holds(const RowKey& key) const {
    if (key_size != key.size() || bucket_id() != key.bucket_id) return false;
    const char* field = bytes() + sizeof(uint32_t);
    if (key.field.size() == sizeof(uint64_t)) {  // an int64 key: one load
      uint64_t stored, wanted;
      std::memcpy(&stored, field, sizeof(stored));
      std::memcpy(&wanted, key.field.data(), sizeof(wanted));
      return stored == wanted;
    }
    return std::memcmp(field, key.field.data(), key.field.size()) == 0;
  }

  static Entry* Make(uint64_t hash, const RowKey& key, std::string_view value,
                     int64_t read_at_ns) {
    void* memory = std::malloc(sizeof(Entry) + key.size() + value.size());
    if (memory == nullptr) throw std::bad_alloc();
    Entry* entry = new (memory)
        Entry{hash, read_at_ns, static_cast<uint32_t>(key.size()),
              static_cast<uint32_t>(value.size()), 0};
    char* bytes = reinterpret_cast<char*>(entry + 1);
    std::memcpy(bytes, &key.bucket_id, sizeof(key.bucket_id));
    std::memcpy(bytes + sizeof(key.bucket_id), key.field.data(),
                key.field.size());
    std::memcpy(bytes + key.size(), value.data(), value.size());
    return entry;
  }
  static void Free(Entry* entry) { std::free(entry); }
};

namespace {
// A ring position: the entry's address, its lowest bit set while the entry
// was used since the hand last passed (entries are malloc-aligned, so the
// bit is free). The flag lives here, not in the entry, so that the hand
// passes used entries without loading them.
constexpr uintptr_t kUsedBit = 1;
static_assert(alignof(RowCacheShard::Entry) > kUsedBit);

RowCacheShard::Entry* RingEntry(uintptr_t position) {
  return reinterpret_cast<RowCacheShard::Entry*>(position & ~kUsedBit);
}

constexpr size_t kFirstSlots = 16;
constexpr size_t kCacheLine = 64;
// Prefetched lines of one entry at most (a row of 128 floats and more is
// copied while its tail is still on the way).
constexpr size_t kMaxPrefetchBytes = 8 * kCacheLine;
}  // namespace

RowCacheShard::RowCacheShard(size_t capacity_bytes)
    : capacity_(capacity_bytes), slots_(kFirstSlots) {}

RowCacheShard::~RowCacheShard() {
  for (uintptr_t position : ring_) {
    if (position != 0) Entry::Free(RingEntry(position));
  }
}

void RowCacheShard::PrefetchSlot(uint64_t hash) const {
  __builtin_prefetch(&slots_[SlotOf(hash)]);
}

void RowCacheShard::PrefetchEntry(uint64_t hash) const {
  const Slot& slot = slots_[SlotOf(hash)];
  if (slot.entry == nullptr) return;
  const char* bytes = reinterpret_cast<const char*>(slot.entry);
  for (size_t line = 0; line < prefetch_bytes_; line += kCacheLine) {
    __builtin_prefetch(bytes + line);
  }
}

void RowCacheShard::PrefetchEntryHead(uint64_t hash) const {
  const Slot& slot = slots_[SlotOf(hash)];
  if (slot.entry != nullptr) __builtin_prefetch(slot.entry);
}

size_t RowCacheShard::Locate(uint64_t hash, const RowKey& key) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = SlotOf(hash);; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.hash == 0) return slots_.size();
    if (slot.hash == hash && slot.entry->Holds(key)) return i;
  }
}

size_t RowCacheShard::LocateEntry(const Entry* entry) const {
  const size_t mask = slots_.size() - 1;
  size_t i = SlotOf(entry->hash);
  while (slots_[i].entry != entry) i = (i + 1) & mask;
  return i;
}

void RowCacheShard::MarkUsed(const Entry* entry) {
  uintptr_t& position = ring_[entry->ring_pos];
  // Written only when it changes: a hot entry's line stays clean.
  if ((position & kUsedBit) == 0) position |= kUsedBit;
}

bool RowCacheShard::Find(uint64_t hash, const RowKey& key, Found* found) {
  const size_t slot = Locate(hash, key);
  if (slot == slots_.size()) return false;
  Entry* entry = slots_[slot].entry;
  MarkUsed(entry);
  *found = Found{entry->value(), entry->read_at_ns};
  return true;
}

const RowCacheShard::Entry* RowCacheShard::FindEntry(uint64_t hash,
                                                     const RowKey& key) {
  const size_t slot = Locate(hash, key);
  if (slot == slots_.size()) return nullptr;
  Entry* entry = slots_[slot].entry;
  MarkUsed(entry);
  return entry;
}

RowCacheShard::Found RowCacheShard::Read(const Entry* entry) {
  return Found{entry->value(), entry->read_at_ns};
}

void RowCacheShard::PrefetchEntryAt(const Entry* entry) const {
  // The latest entry's size stands for this one's (reading the entry's own
  // would wait for the line being prefetched).
  const char* bytes = reinterpret_cast<const char*>(entry);
  for (size_t line = 0; line < prefetch_bytes_; line += kCacheLine) {
    __builtin_prefetch(bytes + line);
  }
}

bool RowCacheShard::Insert(uint64_t hash, const RowKey& key,
                           std::string_view value, int64_t read_at_ns,
                           int64_t* evicted) {
  const size_t charge = key.size() + value.size() + kEntryOverheadBytes;
  if (charge > capacity_) return false;
  const size_t slot = Locate(hash, key);
  if (slot != slots_.size()) {
    Entry* entry = slots_[slot].entry;
    if (entry->value_size == value.size()) {
      // A refresh (the entry had expired): in place, nothing to evict.
      std::memcpy(entry->mutable_value(), value.data(), value.size());
      entry->read_at_ns = read_at_ns;
      return true;
    }
    RemoveAt(slot);
  }
  if (2 * (entries_ + 1) > slots_.size()) Grow();
  Entry* entry = Entry::Make(hash, key, value, read_at_ns);
  const size_t mask = slots_.size() - 1;
  size_t i = SlotOf(hash);
  while (slots_[i].hash != 0) i = (i + 1) & mask;
  slots_[i] = Slot{hash, entry};
  entry->ring_pos = ring_.size();
  ring_.push_back(reinterpret_cast<uintptr_t>(entry));
  ++entries_;
  bytes_ += entry->charge();
  prefetch_bytes_ = std::min(entry->size(), kMaxPrefetchBytes);
  while (bytes_ > capacity_) {
    EvictOne();
    ++*evicted;
  }
  if (holes_ > ring_.size() / 2) CompactRing();
  return true;
}

void RowCacheShard::Erase(uint64_t hash, const RowKey& key) {
  const size_t slot = Locate(hash, key);
  if (slot != slots_.size()) RemoveAt(slot);
  if (holes_ > ring_.size() / 2) CompactRing();
}

void RowCacheShard::EraseWithPrefixes(const std::vector<uint32_t>& prefixes) {
  for (size_t r = 0; r < ring_.size(); ++r) {
    if (ring_[r] == 0) continue;
    Entry* entry = RingEntry(ring_[r]);
    const uint32_t prefix = entry->bucket_id();
    for (uint32_t wanted : prefixes) {
      if (prefix == wanted) {
        RemoveAt(LocateEntry(entry));
        break;
      }
    }
  }
  CompactRing();
}

// Frees the entry at `slot` and closes the gap in its probe run (backward
// shift: an entry further along moves back unless its own home slot lies in
// between), so no tombstones are needed.
void RowCacheShard::RemoveAt(size_t slot) {
  Entry* entry = slots_[slot].entry;
  ++removals_;
  ring_[entry->ring_pos] = 0;
  ++holes_;
  --entries_;
  bytes_ -= entry->charge();
  Entry::Free(entry);
  const size_t mask = slots_.size() - 1;
  size_t gap = slot;
  for (size_t j = (gap + 1) & mask; slots_[j].hash != 0; j = (j + 1) & mask) {
    const size_t home = SlotOf(slots_[j].hash);
    // `home` cyclically in (gap, j]: slot j is where it must be.
    const bool stays = gap < j ? (home > gap && home <= j)
                               : (home > gap || home <= j);
    if (!stays) {
      slots_[gap] = slots_[j];
      gap = j;
    }
  }
  slots_[gap] = Slot{};
}

void RowCacheShard::Grow() {
  std::vector<Slot> old(2 * slots_.size());
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.hash == 0) continue;
    size_t i = SlotOf(slot.hash);
    while (slots_[i].hash != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

// CLOCK: a used entry loses its flag and stays; the first unused one goes.
void RowCacheShard::EvictOne() {
  while (entries_ > 0) {
    if (hand_ >= ring_.size()) hand_ = 0;
    uintptr_t& position = ring_[hand_++];
    if (position == 0) continue;
    if ((position & kUsedBit) != 0) {
      position &= ~kUsedBit;
      continue;
    }
    RemoveAt(LocateEntry(RingEntry(position)));
    return;
  }
}

void RowCacheShard::CompactRing() {
  std::vector<uintptr_t> kept;
  kept.reserve(entries_);
  size_t hand = 0;
  for (size_t r = 0; r < ring_.size(); ++r) {
    if (r == hand_) hand = kept.size();
    if (ring_[r] == 0) continue;
    RingEntry(ring_[r])->ring_pos = kept.size();
    kept.push_back(ring_[r]);
  }
  ring_.swap(kept);
  hand_ = hand;
  holes_ = 0;
}

}  // namespace redis_table
}  // namespace tfra
