// Streaming the elements of an array reply to the caller while hiredis parses
// it. An HMGET of 16k rows of 1 KB otherwise becomes 16k reply objects: two
// allocations and a copy per row, which the caller then copies again into
// its own buffer and frees. A sink sees each value once, in hiredis' read
// buffer, and copies it straight to where it belongs.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_ELEMENT_SINK_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_ELEMENT_SINK_H_

#include <cstddef>
#include <string_view>

namespace tfra {
namespace redis_client {

// Called on the thread reading the reply; one sink may serve several
// connections at once (the lanes of one batch), so implementations must be
// safe for concurrent calls with different tags.
class ElementSink {
 public:
  virtual ~ElementSink() = default;
  // Element `index` of the top-level array reply to a command that carries
  // `tag` (Command::SendElementsTo): bulk string `value`, or nil when
  // `is_nil`. `value` is valid during the call only. Must not throw.
  virtual void OnElement(size_t tag, size_t index, bool is_nil,
                         std::string_view value) = 0;
};

// Where a command's array elements go; no sink: into the Reply as usual.
struct ElementTarget {
  ElementSink* sink = nullptr;  // borrowed
  size_t tag = 0;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_ELEMENT_SINK_H_
