// The client side of accum's transactions (accum_transaction.h): the rows
// one unit read under WATCH, with the unit's deltas added to them, ready to
// be written back in MULTI / EXEC.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_UNIT_ROWS_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_UNIT_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/accum_request.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_table/key_chunks.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/element_sink.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/reply.h"

namespace tfra {
namespace redis_table {

// The rows of one unit (keys chunked.order[begin, end)) as read and as the
// deltas change them: distinct fields in first-seen order, bytes in one
// arena. Index() first, then ApplyKey() for each key in order.
class UnitRows {
 public:
  // `bytes`: the unit's deltas' bytes in all.
  UnitRows(const AccumRequest& request, const KeyChunks& chunked,
           size_t begin, size_t end, size_t bytes);

  // Finds each key's distinct row (a field repeated in the unit shares one).
  // Hashing scatters over memory: run it while the reads are out.
  void Index();

  // Applies the delta of the key at `position` (in chunked.order), given the
  // row HMGET read for it (`is_nil`: none). False when the unit cannot
  // commit: the stored row's size is not the delta's.
  bool ApplyKey(size_t position, bool is_nil, std::string_view stored);

  // HSETs of `bucket` writing the changed rows, at most `per_command` (>= 1)
  // a command; none when no row changed. The values are views into this
  // object.
  std::vector<redis_client::Command> Writes(std::string_view bucket,
                                            size_t per_command) const;

 private:
  struct Row {
    std::string_view field;
    size_t offset = 0;  // into arena_, once read
    size_t size = 0;
    bool read = false;  // the first key of the field was read
    bool present = false;
    bool changed = false;
  };

  const AccumRequest& request_;
  const KeyChunks& chunked_;
  const size_t begin_;
  const size_t end_;
  // rows_ index of the key at each position begin_ + i. Found by open
  // addressing over the field hashes (Index()); a std::unordered_map
  // probed per key as its reply element arrived (a node per field, a cache
  // miss per key) was a quarter to a third of accum's client time at dim 8.
  std::vector<uint32_t> row_of_;
  std::vector<Row> rows_;
  size_t changed_ = 0;  // rows with `changed` set
  std::string arena_;
};

// Feeds the rows of a unit's HMGETs (one per chunk, tagged with the chunk's
// index) to UnitRows as they are parsed; one connection, so in key order.
class UnitReadSink : public redis_client::ElementSink {
 public:
  UnitReadSink(const KeyChunks& chunked, UnitRows* rows)
      : chunked_(chunked), rows_(rows) {}

  void OnElement(size_t chunk, size_t index, bool is_nil,
                 std::string_view stored) override {
    const KeyChunk& keys = chunked_.chunks[chunk];
    if (!usable_) return;
    usable_ = keys.begin + index < keys.end &&
              rows_->ApplyKey(keys.begin + index, is_nil, stored);
  }

  // The replies to the reads, once each is read whole.
  void CheckReply(const redis_client::Reply& reply, const KeyChunk& keys) {
    usable_ = usable_ &&
              redis_client::StreamedWhole(reply, keys.end - keys.begin);
  }

  // False when the unit cannot commit: an error reply, a malformed reply, or
  // a stored row whose size is not its delta's.
  bool usable() const { return usable_; }

 private:
  const KeyChunks& chunked_;
  UnitRows* const rows_;
  bool usable_ = true;
};

}  // namespace redis_table
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_TABLE_ACCUM_UNIT_ROWS_H_
