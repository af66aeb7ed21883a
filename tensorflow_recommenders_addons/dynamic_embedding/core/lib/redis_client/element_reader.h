// Puts an ElementSink into hiredis' reply parser for one reply: the string
// and nil elements of the top-level array go to the sink as they are parsed;
// every other node is built by hiredis' own functions, as usual.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_ELEMENT_READER_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_ELEMENT_READER_H_

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/element_sink.h"

struct redisReader;                // hiredis
struct redisReplyObjectFunctions;  // hiredis

namespace tfra {
namespace redis_client {

// Scoped: installs the streaming functions on `reader` and restores the
// reader's own on destruction. Create it only between replies (hiredis
// builds one reply with one set of functions) and keep it alive while the
// reply is read. Does nothing when `target` has no sink.
class ScopedElementStreaming {
 public:
  ScopedElementStreaming(redisReader* reader, const ElementTarget& target);
  ~ScopedElementStreaming();
  ScopedElementStreaming(const ScopedElementStreaming&) = delete;
  ScopedElementStreaming& operator=(const ScopedElementStreaming&) = delete;

  // What the parser callbacks see through the reader's privdata.
  struct State {
    ElementTarget target;
    redisReplyObjectFunctions* own = nullptr;  // the reader's own functions
  };

 private:
  redisReader* reader_ = nullptr;  // null: nothing installed
  void* saved_privdata_ = nullptr;
  State state_;  // state_.own is also what the destructor puts back
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_ELEMENT_READER_H_
