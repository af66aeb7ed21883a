// HMACCUM, the server side of embedding accumulation, with the syntax, reply
// and error texts of upstream TFRA's module (third_party/redis_module there),
// so that a client of either works with either server:
//
//   HMACCUM key dtype field value [field value ...] exists
//
// `dtype` is "float", "double", "int32", "int64" or "int8"; `exists` holds
// one byte per (field, value) pair. Per pair, in order:
//   field stored, exists byte non-zero -> stored row += value (element-wise);
//   field absent, exists byte zero     -> stored row  = value;
//   otherwise                          -> nothing (the caller's view was stale).
// A field given twice sees its earlier update. The reply is the number of
// pairs. Errors, checked in this order, as upstream words them: wrong
// argument count; "WRONGTYPE ..." when the key holds no hash; "Not supported
// valueType"; "Invalid exists length".
//
// Where this module deliberately differs from upstream's (docs/compatibility.md):
// - A stored row whose size differs from its delta's, or a delta that is no
//   whole number of elements, fails the command ("TFRA accum: field 0x...",
//   the same text as the table's accum script) and the command writes
//   nothing; upstream skips that pair with a log line and writes the rest.
// - The command is flagged "write deny-oom" and replicated verbatim, so
//   replicas and the AOF see the sums; upstream flags it "readonly", which
//   keeps them out of replication and persistence.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_HMACCUM_COMMAND_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_HMACCUM_COMMAND_H_

#include "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/redis_module_api.h"

namespace tfra {
namespace redis_module {

// Registers HMACCUM with the server loading the module (from
// RedisModule_OnLoad, after LoadModuleApi). Returns kOk or kErr.
int RegisterHmaccum(ModuleCtx* ctx);

}  // namespace redis_module
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_HMACCUM_COMMAND_H_
