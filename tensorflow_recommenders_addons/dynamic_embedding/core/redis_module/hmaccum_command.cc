#include "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/hmaccum_command.h"

#include <cstdio>
#include <cstring>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_element.h"

namespace tfra {
namespace redis_module {
namespace {

using redis_table::AccumElement;
using redis_table::AccumElementBytes;
using redis_table::AccumElementFromName;
using redis_table::AddRows;

// Upstream's error texts, word for word: its clients may match them.
constexpr char kWrongType[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr char kUnsupportedType[] = "Not supported valueType";
constexpr char kBadExistsLength[] = "Invalid exists length";

// The bytes of the rows one call replaced, for Undo(). Each row is copied
// here and the server's copy of it (HashGet's string) freed at once, so the
// allocator hands the same memory to the next row. Holding those strings
// until the call ended cost 0.04-0.12 of HSET's server instructions per row
// more (callgrind, dims 8-256) and, in noisy CPU-time A/Bs, up to 0.1-0.3 of
// its CPU at 16k-row calls (allocator refills, cold memory).
//
// Rows go into blocks that never move (a row's copy stays where it was
// put), each sized for the rows left in the call at the size of the row
// that opens it, but at most kBlockBytes (or one row, if larger): a call of
// uniform rows (a table's) allocates once up to that size, and a guess made
// from one big row can never ask for more than one block's worth of memory
// the rest of the call may not need.
class UndoArena {
 public:
  UndoArena() = default;
  ~UndoArena() {
    while (last_ != nullptr) {
      Block* previous = last_->previous;
      Api().Free(last_);
      last_ = previous;
    }
  }
  UndoArena(const UndoArena&) = delete;
  UndoArena& operator=(const UndoArena&) = delete;

  // Copies `row` in; returns where the copy is. `rows_left` rows, this one
  // included, may still come.
  const char* Append(const char* row, size_t bytes, size_t rows_left) {
    if (last_ == nullptr || last_->capacity - last_->used < bytes) {
      AddBlock(bytes, rows_left);
    }
    char* copy = last_->bytes() + last_->used;
    if (bytes > 0) std::memcpy(copy, row, bytes);
    last_->used += bytes;
    return copy;
  }

 private:
  // Blocks stay below jemalloc's "oversize" threshold (8 MiB), whose memory
  // is returned to the OS at once: a fresh block of that kind page-faults.
  static constexpr size_t kBlockBytes = size_t{1} << 20;

  struct Block {
    Block* previous;
    size_t used;
    size_t capacity;
    char* bytes() { return reinterpret_cast<char*>(this + 1); }
  };

  void AddBlock(size_t bytes, size_t rows_left) {
    size_t capacity = kBlockBytes / (bytes > 0 ? bytes : 1) >= rows_left
                          ? bytes * rows_left
                          : kBlockBytes;
    if (capacity < bytes) capacity = bytes;
    auto* block = static_cast<Block*>(Api().Alloc(sizeof(Block) + capacity));
    *block = Block{last_, 0, capacity};
    last_ = block;
  }

  Block* last_ = nullptr;  // Alloc'ed, with its predecessors
};

// A row this call wrote, and how to take it back: store `old_bytes` bytes
// from `old` (in the UndoArena) again, or delete the field when it was
// absent (old == nullptr).
struct WrittenRow {
  ModuleString* field;
  const char* old;
  size_t old_bytes;
};

// The writes of one HMACCUM call. It keeps the bytes of every row it
// replaced until it ends, so that a pair that fails can take all earlier
// writes back: a call writes all of its rows or none.
//
// Speed: HSET of the same rows is the yardstick. The module API has no
// pointer into a stored hash value, so an added row costs one lookup and
// one copy (HashGet) more than HSET, and a set row one lookup (presence
// only). The sum goes into one scratch string per call, which HashSet copies
// into the hash as HSET copies its argument; nothing is allocated per
// element.
class Accumulation {
 public:
  Accumulation(ModuleCtx* ctx, ModuleKey* key, AccumElement type, size_t pairs)
      : ctx_(ctx), key_(key), type_(type), width_(AccumElementBytes(type)) {
    if (pairs > 0) {
      rows_ = static_cast<WrittenRow*>(Api().Alloc(pairs * sizeof(WrittenRow)));
    }
  }
  ~Accumulation() {
    const ModuleApi& api = Api();
    if (sum_ != nullptr) api.FreeString(ctx_, sum_);
    if (rows_ != nullptr) api.Free(rows_);
  }
  Accumulation(const Accumulation&) = delete;
  Accumulation& operator=(const Accumulation&) = delete;

  // Applies one pair; `rows_left` pairs, this one included, remain. False,
  // with error() set, when the sizes do not fit.
  bool Apply(ModuleString* field, ModuleString* value, bool exists,
             size_t rows_left) {
    const ModuleApi& api = Api();
    if (!exists) {  // set if absent: presence is enough, no copy of the row
      int present = 0;
      api.HashGet(key_, kHashExists, field, &present, nullptr);
      if (!present) {
        api.HashSet(key_, kHashNone, field, value, nullptr);
        rows_[count_++] = WrittenRow{field, nullptr, 0};
      }
      return true;
    }
    ModuleString* old = nullptr;
    api.HashGet(key_, kHashNone, field, &old, nullptr);
    return old == nullptr || Add(field, old, value, rows_left);
  }

  // Takes every write back, the newest first, so that a field written twice
  // ends with the row it had before the call.
  void Undo() {
    const ModuleApi& api = Api();
    for (size_t i = count_; i-- > 0;) {
      const WrittenRow& row = rows_[i];
      if (row.old == nullptr) {
        api.HashSet(key_, kHashNone, row.field, HashDeleteMarker(), nullptr);
        continue;
      }
      ModuleString* before =
          api.CreateString(ctx_, row.old, row.old_bytes);
      api.HashSet(key_, kHashNone, row.field, before, nullptr);
      api.FreeString(ctx_, before);
    }
  }

  size_t rows_written() const { return count_; }
  const char* error() const { return error_; }

 private:
  // Stores old + delta; `old` (ours, from HashGet) is copied for Undo() and
  // freed.
  bool Add(ModuleString* field, ModuleString* old, ModuleString* delta,
           size_t rows_left) {
    const ModuleApi& api = Api();
    size_t old_bytes = 0, delta_bytes = 0;
    const char* stored = api.StringPtrLen(old, &old_bytes);
    const char* added = api.StringPtrLen(delta, &delta_bytes);
    if (old_bytes != delta_bytes || delta_bytes % width_ != 0) {
      DescribeSizeError(field, old_bytes, delta_bytes);
      api.FreeString(ctx_, old);
      return false;
    }
    AddRows(type_, stored, added, SumBuffer(stored, delta_bytes), delta_bytes);
    const char* copy = undo_.Append(stored, old_bytes, rows_left);
    // Freed before HashSet, which can then reuse the memory while it is hot.
    api.FreeString(ctx_, old);
    api.HashSet(key_, kHashNone, field, sum_, nullptr);
    rows_[count_++] = WrittenRow{field, copy, old_bytes};
    return true;
  }
  // The bytes of sum_, made `bytes` long (from `any_bytes`) when it is not.
  // Writing through StringPtrLen's pointer, which the API reference calls
  // read-only, is safe for this one string: the reference's caution is for
  // strings that may be shared (arguments, stored values), and sum_ was
  // made by CreateString for this call alone. HashSet copies its bytes, so
  // one string serves every row of the call.
  char* SumBuffer(const char* any_bytes, size_t bytes) {
    const ModuleApi& api = Api();
    if (sum_ == nullptr || sum_bytes_ != bytes) {
      if (sum_ != nullptr) api.FreeString(ctx_, sum_);
      sum_ = api.CreateString(ctx_, any_bytes, bytes);
      sum_bytes_ = bytes;
      // Looked up once per string, not per row: HashSet only reads sum_.
      sum_bytes_ptr_ = const_cast<char*>(api.StringPtrLen(sum_, nullptr));
    }
    return sum_bytes_ptr_;
  }

  // The accum script's message (accum_script.cc), so that both paths of
  // the table report a bad row alike: the field's first 32 bytes in hex.
  void DescribeSizeError(ModuleString* field, size_t old_bytes,
                         size_t delta_bytes) {
    size_t field_bytes = 0;
    const char* name = Api().StringPtrLen(field, &field_bytes);
    char hex[65] = {0};
    for (size_t i = 0; i < field_bytes && i < 32; ++i) {
      std::snprintf(hex + 2 * i, 3, "%02x", static_cast<unsigned char>(name[i]));
    }
    std::snprintf(error_, sizeof(error_),
                  "TFRA accum: field 0x%s stores %zu bytes, the delta has %zu "
                  "bytes of %zu-byte elements",
                  hex, old_bytes, delta_bytes, width_);
  }

  ModuleCtx* ctx_;
  ModuleKey* key_;
  AccumElement type_;
  size_t width_;  // bytes of one element
  UndoArena undo_;
  WrittenRow* rows_ = nullptr;  // Alloc'ed, one per pair at most
  size_t count_ = 0;
  ModuleString* sum_ = nullptr;
  size_t sum_bytes_ = 0;
  char* sum_bytes_ptr_ = nullptr;  // sum_'s bytes
  char error_[192] = {0};
};

// True when `name` holds a hash or nothing. Opened for reading only, so a
// rejected command does not count as a write (WATCH, client tracking).
bool HoldsHashOrNothing(ModuleCtx* ctx, ModuleString* name) {
  const ModuleApi& api = Api();
  ModuleKey* key = api.OpenKey(ctx, name, kOpenRead);
  const int type = api.KeyType(key);
  api.CloseKey(key);
  return type == kKeyTypeHash || type == kKeyTypeEmpty;
}

// Runs the pairs of a checked command and replies.
int ApplyPairs(ModuleCtx* ctx, ModuleString** argv, size_t pairs,
               AccumElement type, const char* exists) {
  const ModuleApi& api = Api();
  ModuleKey* key = api.OpenKey(ctx, argv[1], kOpenRead | kOpenWrite);
  Accumulation accumulation(ctx, key, type, pairs);
  for (size_t i = 0; i < pairs; ++i) {
    if (!accumulation.Apply(argv[3 + 2 * i], argv[4 + 2 * i], exists[i] != 0,
                            pairs - i)) {
      accumulation.Undo();
      api.CloseKey(key);
      return api.ReplyWithError(ctx, accumulation.error());
    }
  }
  api.CloseKey(key);
  if (accumulation.rows_written() > 0) {
    // Replicas and the AOF run the same command on the same rows, which
    // gives the same bits: sums are deterministic.
    api.ReplicateVerbatim(ctx);
    if (api.NotifyKeyspaceEvent != nullptr) {
      api.NotifyKeyspaceEvent(ctx, kNotifyHash, "hmaccum", argv[1]);
    }
  }
  return api.ReplyWithLongLong(ctx, static_cast<long long>(pairs));  // NOLINT
}

int Hmaccum(ModuleCtx* ctx, ModuleString** argv, int argc) {
  const ModuleApi& api = Api();
  // HMACCUM key dtype (field value)* exists: an even count, at least 4.
  if (argc < 4 || argc % 2 != 0) return api.WrongArity(ctx);
  if (!HoldsHashOrNothing(ctx, argv[1])) {
    return api.ReplyWithError(ctx, kWrongType);
  }
  size_t length = 0;
  const char* name = api.StringPtrLen(argv[2], &length);
  AccumElement type;
  if (!AccumElementFromName(name, length, &type)) {
    return api.ReplyWithError(ctx, kUnsupportedType);
  }
  const size_t pairs = static_cast<size_t>(argc - 4) / 2;
  const char* exists = api.StringPtrLen(argv[argc - 1], &length);
  if (length != pairs) return api.ReplyWithError(ctx, kBadExistsLength);
  return ApplyPairs(ctx, argv, pairs, type, exists);
}

}  // namespace

int RegisterHmaccum(ModuleCtx* ctx) {
  const ModuleApi& api = Api();
  // Key positions (first 1, last 1, step 1): Cluster routes by argv[1] and
  // ACL rules check it.
  if (api.CreateCommand(ctx, "HMACCUM", Hmaccum, "write deny-oom", 1, 1, 1) !=
      kOk) {
    return kErr;
  }
  if (api.GetCommand == nullptr || api.SetCommandInfo == nullptr) {
    return kOk;  // Before Redis 7.0: COMMAND shows arity -1, nothing else.
  }
  static const CommandInfoVersion kVersion = {1, 0, 0, 0};
  CommandInfo info = {};
  info.version = &kVersion;
  info.summary =
      "Adds deltas to, or sets, fields of a hash of embedding rows (TFRA).";
  info.complexity = "O(N) where N is the number of field/value pairs.";
  info.arity = -4;
  ModuleCommand* command = api.GetCommand(ctx, "HMACCUM");
  return command != nullptr && api.SetCommandInfo(command, &info) == kOk
             ? kOk
             : kErr;
}

}  // namespace redis_module
}  // namespace tfra
