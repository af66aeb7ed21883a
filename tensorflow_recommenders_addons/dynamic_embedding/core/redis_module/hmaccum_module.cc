// The entry point Redis calls when it loads the module (`loadmodule` in
// redis.conf, or MODULE LOAD). Everything else stays hidden: the linker
// script exports this one symbol.
#include "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/hmaccum_command.h"
#include "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/redis_module_api.h"

namespace {

// Upstream's module name, so MODULE LIST and MODULE UNLOAD read the same on
// either module; version 2 tells ours apart (upstream's is 1).
constexpr char kModuleName[] = "BPV2";
constexpr int kModuleVersion = 2;

}  // namespace

// Compiled with hidden visibility like the rest; this one must be seen.
extern "C" __attribute__((visibility("default"))) int RedisModule_OnLoad(
    void* ctx, void** argv, int argc) {
  (void)argv;  // The module takes no arguments.
  (void)argc;
  using tfra::redis_module::ModuleCtx;
  auto* module_ctx = static_cast<ModuleCtx*>(ctx);
  if (tfra::redis_module::LoadModuleApi(module_ctx, kModuleName,
                                        kModuleVersion) !=
      tfra::redis_module::kOk) {
    return tfra::redis_module::kErr;
  }
  return tfra::redis_module::RegisterHmaccum(module_ctx);
}
