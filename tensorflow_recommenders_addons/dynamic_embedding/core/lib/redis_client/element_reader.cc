#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/element_reader.h"

#include <hiredis/hiredis.h>

#include <string_view>

namespace tfra {
namespace redis_client {
namespace {

using State = ScopedElementStreaming::State;

const State& StateOf(const redisReadTask* task) {
  return *static_cast<const State*>(task->privdata);
}

// A direct child of the top-level reply (which, having children, is an
// array). hiredis' own functions would store the child in the parent's
// element list; a streamed one leaves its slot null, which reads as nil.
bool IsTopLevelElement(const redisReadTask* task) {
  return task->parent != nullptr && task->parent->parent == nullptr;
}

// Returned for a streamed element: hiredis only needs a non-null object
// (null means out of memory) and never frees children on its own.
char streamed_marker;

void* CreateString(const redisReadTask* task, char* bytes, size_t size) {
  const State& state = StateOf(task);
  if (task->type != REDIS_REPLY_STRING || !IsTopLevelElement(task)) {
    return state.own->createString(task, bytes, size);
  }
  state.target.sink->OnElement(state.target.tag,
                               static_cast<size_t>(task->idx), false,
                               std::string_view(bytes, size));
  return &streamed_marker;
}

void* CreateNil(const redisReadTask* task) {
  const State& state = StateOf(task);
  if (!IsTopLevelElement(task)) return state.own->createNil(task);
  state.target.sink->OnElement(state.target.tag,
                               static_cast<size_t>(task->idx), true,
                               std::string_view());
  return &streamed_marker;
}

void* CreateArray(const redisReadTask* task, int elements) {
  return StateOf(task).own->createArray(task, elements);
}

void* CreateInteger(const redisReadTask* task, long long value) {  // NOLINT
  return StateOf(task).own->createInteger(task, value);
}

// Only ever called on a whole reply (never on a streamed element).
void FreeObject(void* reply) { freeReplyObject(reply); }

redisReplyObjectFunctions streaming_functions = {
    CreateString, CreateArray, CreateInteger, CreateNil, FreeObject};

}  // namespace

ScopedElementStreaming::ScopedElementStreaming(redisReader* reader,
                                               const ElementTarget& target) {
  if (target.sink == nullptr) return;
  reader_ = reader;
  saved_privdata_ = reader->privdata;
  state_.target = target;
  state_.own = reader->fn;
  reader->fn = &streaming_functions;
  reader->privdata = &state_;
}

ScopedElementStreaming::~ScopedElementStreaming() {
  if (reader_ == nullptr) return;
  reader_->fn = state_.own;
  reader_->privdata = saved_privdata_;
}

}  // namespace redis_client
}  // namespace tfra
