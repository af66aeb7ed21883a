// Test-only: the HMACCUM module file Bazel built, and deployments of the
// test launcher whose data nodes load it.
#ifndef TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_MODULE_TEST_UTIL_H_
#define TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_MODULE_TEST_UTIL_H_

#include <string>

#include "tensorflow_recommenders_addons/dynamic_embedding/core/lib/redis_client/client_test_util.h"

namespace tfra {
namespace redis_module {
namespace test_util {

// Absolute path of hmaccum.so in the test's runfiles (a data dependency of
// the test), or, outside Bazel, under bazel-bin of the current directory.
std::string HmaccumModulePath();

// `mode` with every data node loading hmaccum.so.
redis_client::test_util::DeploymentSpec ModuleDeployment(
    redis_client::Mode mode);

}  // namespace test_util
}  // namespace redis_module
}  // namespace tfra

#endif  // TFRA_DYNAMIC_EMBEDDING_CORE_REDIS_MODULE_MODULE_TEST_UTIL_H_
