#include "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/module_test_util.h"

#include <limits.h>
#include <stdlib.h>

#include <cstdlib>

namespace tfra {
namespace redis_module {
namespace test_util {

namespace {
constexpr char kModuleFile[] =
    "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module/"
    "hmaccum.so";
}  // namespace

std::string HmaccumModulePath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  const std::string relative =
      srcdir != nullptr && workspace != nullptr
          ? std::string(srcdir) + "/" + workspace + "/" + kModuleFile
          : std::string("bazel-bin/") + kModuleFile;
  // redis-server runs in its own directory: give it an absolute path.
  char resolved[PATH_MAX];
  return realpath(relative.c_str(), resolved) != nullptr ? resolved : relative;
}

redis_client::test_util::DeploymentSpec ModuleDeployment(
    redis_client::Mode mode) {
  redis_client::test_util::DeploymentSpec spec;
  spec.mode = mode;
  spec.options.modules = {HmaccumModulePath()};
  return spec;
}

}  // namespace test_util
}  // namespace redis_module
}  // namespace tfra
