/* The C ABI of the operator's tool (tfra-redis): the few entry points its
 * Python side loads with ctypes from _redis_admin.so, a library of the
 * TF-free layers (table logic, Redis client, hiredis and json-parser linked
 * in) that never loads TensorFlow, so the tool starts in milliseconds.
 *
 * One call runs one command. The request is a JSON object: "command" (one of
 * tables, inspect, plan, hot, copy_tag, rename_tag, drop_tag, expire_tag,
 * rebucket, export, import), "config" and "config_env" (found as a table
 * finds its config: the variable named by config_env, then
 * TFRA_REDIS_CONFIG_PATH, then config), and the command's arguments
 * (c_api.cc lists them). The answer is a JSON object too, allocated here:
 *   {"ok": true, "config": PATH, "config_source": TEXT, "warnings": [...],
 *    "result": {...}}
 *   {"ok": false, "code": "NOT_FOUND" | "INVALID_ARGUMENT" | ...,
 *    "message": TEXT}
 * Strings in answers are bytes as \u00XX escapes (json_writer.h).
 *
 * `progress`, when not NULL, is called from the calling thread during long
 * commands with rows (or keys) done and an estimated total; returning
 * non-zero stops the command at its next safe point (answer code
 * "CANCELLED"). Thread-safe: calls share nothing.
 */
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_C_API_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_C_API_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a request or an answer changes incompatibly. */
#define TFRA_REDIS_ADMIN_ABI_VERSION 1

typedef int (*tfra_redis_admin_progress_fn)(void* context, int64_t done,
                                            int64_t total);

int tfra_redis_admin_abi_version(void);

/* Runs one command; free the answer with tfra_redis_admin_free. */
char* tfra_redis_admin_run(const char* request, size_t request_size,
                           tfra_redis_admin_progress_fn progress,
                           void* context);

void tfra_redis_admin_free(char* answer);

#ifdef __cplusplus
}
#endif

#endif /* TFRA_DYNAMIC_EMBEDDING_CORE_LIB_REDIS_ADMIN_C_API_H_ */
