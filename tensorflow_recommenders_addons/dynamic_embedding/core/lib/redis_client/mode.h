// Which kind of Redis deployment a client talks to: the one enum for it, used
// by the client, the table config (whose JSON integers map onto it in
// redis_table_config.cc) and the test launcher. No dependencies, so any layer
// and any test can name a mode.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_MODE_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_MODE_H_

namespace tfra {
namespace redis_client {

enum class Mode { kCluster, kSentinel, kStandalone };

// "cluster", "sentinel" or "standalone" (also the test launcher's --mode
// value); "unknown" for a value outside the enum.
const char* ModeName(Mode mode);

}  // namespace redis_client
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_CLIENT_MODE_H_
