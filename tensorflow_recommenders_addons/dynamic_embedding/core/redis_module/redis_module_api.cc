#include "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/redis_module_api.h"

#include <cstring>

namespace tfra {
namespace redis_module {
namespace {

// The one mutable object of the module: written by LoadModuleApi while Redis
// loads the module, before any command can run, then only read.
ModuleApi g_api;

using GetApiFn = int (*)(const char* name, void* target);

// Looks up "RedisModule_<name>" and stores it in *target; false when this
// server does not have it.
template <typename Fn>
bool Fetch(GetApiFn get_api, const char* name, Fn* target) {
  char full_name[64] = "RedisModule_";
  std::strncat(full_name, name, sizeof(full_name) - std::strlen(full_name) - 1);
  *target = nullptr;
  return get_api(full_name, target) == kOk && *target != nullptr;
}

bool FetchRequired(GetApiFn get_api, ModuleApi* api) {
  return Fetch(get_api, "Alloc", &api->Alloc) &&
         Fetch(get_api, "Free", &api->Free) &&
         Fetch(get_api, "CreateCommand", &api->CreateCommand) &&
         Fetch(get_api, "SetModuleAttribs", &api->SetModuleAttribs) &&
         Fetch(get_api, "WrongArity", &api->WrongArity) &&
         Fetch(get_api, "ReplyWithLongLong", &api->ReplyWithLongLong) &&
         Fetch(get_api, "ReplyWithError", &api->ReplyWithError) &&
         Fetch(get_api, "OpenKey", &api->OpenKey) &&
         Fetch(get_api, "CloseKey", &api->CloseKey) &&
         Fetch(get_api, "KeyType", &api->KeyType) &&
         Fetch(get_api, "HashGet", &api->HashGet) &&
         Fetch(get_api, "HashSet", &api->HashSet) &&
         Fetch(get_api, "CreateString", &api->CreateString) &&
         Fetch(get_api, "FreeString", &api->FreeString) &&
         Fetch(get_api, "StringPtrLen", &api->StringPtrLen) &&
         Fetch(get_api, "ReplicateVerbatim", &api->ReplicateVerbatim);
}

void FetchOptional(GetApiFn get_api, ModuleApi* api) {
  Fetch(get_api, "IsModuleNameBusy", &api->IsModuleNameBusy);
  Fetch(get_api, "NotifyKeyspaceEvent", &api->NotifyKeyspaceEvent);
  Fetch(get_api, "GetCommand", &api->GetCommand);
  Fetch(get_api, "SetCommandInfo", &api->SetCommandInfo);
}

}  // namespace

const ModuleApi& Api() { return g_api; }

int LoadModuleApi(ModuleCtx* ctx, const char* name, int version) {
  // The context's first word is the server's lookup function (see header).
  GetApiFn get_api;
  std::memcpy(&get_api, ctx, sizeof(get_api));
  ModuleApi api{};
  if (get_api == nullptr || !FetchRequired(get_api, &api)) return kErr;
  FetchOptional(get_api, &api);
  if (api.IsModuleNameBusy != nullptr && api.IsModuleNameBusy(name)) {
    return kErr;
  }
  g_api = api;
  g_api.SetModuleAttribs(ctx, name, version, kApiVersion1);
  return kOk;
}

}  // namespace redis_module
}  // namespace tfra
