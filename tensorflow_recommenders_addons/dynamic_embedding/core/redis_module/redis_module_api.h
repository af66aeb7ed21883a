// The part of the Redis module API this module calls, declared here from the
// API reference (redis.io, "Modules API reference") instead of including a
// copy of Redis' redismodule.h.
//
// How a module gets the API: Redis calls the module's RedisModule_OnLoad
// with a context whose first word is a lookup function
// `int GetApi(const char* name, void* target)`; it stores the address of the
// server's function named `name` ("RedisModule_OpenKey", ...) in *target and
// returns kOk, or kErr when this server has no such function. The loader
// below does what the reference's RedisModule_Init does for the functions we
// use, then registers the module's name and version.
//
// The API is C: every call goes through the pointers of ModuleApi, filled
// once while Redis loads the module (on its main thread, before any command
// runs) and only read afterwards.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_REDIS_MODULE_API_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_REDIS_MODULE_API_H_

#include <cstddef>

namespace tfra {
namespace redis_module {

// Opaque server objects; the module only passes pointers to them around.
struct ModuleCtx;
struct ModuleKey;
struct ModuleString;
struct ModuleCommand;

// Constants of the module API (values from the API reference).
inline constexpr int kOk = 0;
inline constexpr int kErr = 1;
inline constexpr int kApiVersion1 = 1;
inline constexpr int kOpenRead = 1 << 0;
inline constexpr int kOpenWrite = 1 << 1;
inline constexpr int kKeyTypeEmpty = 0;
inline constexpr int kKeyTypeHash = 3;
inline constexpr int kHashNone = 0;
inline constexpr int kHashExists = 1 << 3;  // HashGet: report presence only
inline constexpr int kNotifyHash = 1 << 6;
// The value HashSet takes as "delete this field".
inline ModuleString* HashDeleteMarker() {
  return reinterpret_cast<ModuleString*>(static_cast<long>(1));  // NOLINT
}

using CommandFn = int (*)(ModuleCtx* ctx, ModuleString** argv, int argc);

// RedisModule_SetCommandInfo's argument (Redis 7.0+), version 1. We set
// text fields and the arity only and pass no arrays (history, key specs,
// arguments), so the element sizes the version names are never read.
struct CommandInfoVersion {
  int version;
  size_t sizeof_history_entry;
  size_t sizeof_key_spec;
  size_t sizeof_arg;
};
struct CommandInfo {
  const CommandInfoVersion* version;
  const char* summary;
  const char* complexity;
  const char* since;
  const void* history;  // unused: null
  const char* tips;
  int arity;            // negative: at least -arity arguments
  const void* key_specs;  // unused: null (the (first, last, step) spec stays)
  const void* args;       // unused: null
};

// The server functions, named as in the API reference without the
// "RedisModule_" prefix. Optional ones are null on servers without them.
struct ModuleApi {
  void* (*Alloc)(size_t bytes);
  void (*Free)(void* ptr);
  int (*CreateCommand)(ModuleCtx* ctx, const char* name, CommandFn fn,
                       const char* flags, int first_key, int last_key,
                       int key_step);
  void (*SetModuleAttribs)(ModuleCtx* ctx, const char* name, int version,
                           int api_version);
  int (*WrongArity)(ModuleCtx* ctx);
  int (*ReplyWithLongLong)(ModuleCtx* ctx, long long value);  // NOLINT
  int (*ReplyWithError)(ModuleCtx* ctx, const char* error);
  ModuleKey* (*OpenKey)(ModuleCtx* ctx, ModuleString* name, int mode);
  void (*CloseKey)(ModuleKey* key);
  int (*KeyType)(ModuleKey* key);
  // Variadic: (field, ModuleString** value)... then nullptr; with
  // kHashExists (field, int* present)... instead.
  int (*HashGet)(ModuleKey* key, int flags, ...);
  // Variadic: (field, value)... then nullptr.
  int (*HashSet)(ModuleKey* key, int flags, ...);
  ModuleString* (*CreateString)(ModuleCtx* ctx, const char* bytes,
                                size_t length);
  void (*FreeString)(ModuleCtx* ctx, ModuleString* string);
  const char* (*StringPtrLen)(const ModuleString* string, size_t* length);
  int (*ReplicateVerbatim)(ModuleCtx* ctx);
  // Optional.
  int (*IsModuleNameBusy)(const char* name);                   // Redis 6.0+
  int (*NotifyKeyspaceEvent)(ModuleCtx* ctx, int type, const char* event,
                             ModuleString* key);               // Redis 4.0.9+
  ModuleCommand* (*GetCommand)(ModuleCtx* ctx, const char* name);  // 7.0+
  int (*SetCommandInfo)(ModuleCommand* command, const CommandInfo* info);
};

// The API of the server that loaded this module (filled by LoadModuleApi).
const ModuleApi& Api();

// Fills Api() from the server's lookup function in `ctx` and registers the
// module as `name`, `version`. Returns kErr when a required function is
// missing or another module already has the name.
int LoadModuleApi(ModuleCtx* ctx, const char* name, int version);

}  // namespace redis_module
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_REDIS_MODULE_API_H_
