// Bytes waiting to be written to a socket: a growable buffer whose new room
// is handed out uninitialized. std::string's resize() zero-fills what it
// adds, one more pass over every row the wire format then copies in (a
// kilobyte per key at dim 256).
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_WRITE_BUFFER_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_WRITE_BUFFER_H_

#include <cstddef>
#include <cstring>
#include <memory>

namespace tfra {
namespace redis_client {

class WriteBuffer {
 public:
  const char* data() const { return bytes_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }

  // Makes the buffer `n` bytes longer; returns the first of them, which the
  // caller must all write. Earlier pointers are invalidated.
  char* Extend(size_t n) {
    if (capacity_ - size_ < n) Grow(n);
    char* room = bytes_.get() + size_;
    size_ += n;
    return room;
  }
  // Empties the buffer; its memory is kept unless it is above `keep` bytes.
  void Clear(size_t keep) {
    size_ = 0;
    if (capacity_ > keep) {
      bytes_.reset();
      capacity_ = 0;
    }
  }

 private:
  void Grow(size_t n) {
    size_t capacity = 2 * capacity_;
    if (capacity < size_ + n) capacity = size_ + n;
    std::unique_ptr<char[]> bytes(new char[capacity]);  // not zero-filled
    if (size_ > 0) std::memcpy(bytes.get(), bytes_.get(), size_);
    bytes_ = std::move(bytes);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> bytes_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_WRITE_BUFFER_H_
