#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/mode.h"

namespace tfra {
namespace redis_client {

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kCluster:
      return "cluster";
    case Mode::kSentinel:
      return "sentinel";
    case Mode::kStandalone:
      return "standalone";
  }
  return "unknown";
}

}  // namespace redis_client
}  // namespace tfra
