#!/usr/bin/env bash
# Cheap checks that keep the code's shape honest (STYLE.md section 5):
# - no source file over 600 lines;
# - no skipped test without a reason;
# - no TensorFlow in the TF-free layers under core/lib/ (the Redis client and
#   the table logic): no TensorFlow include, no Bazel dependency on it;
# - no download in any Bazel file;
# - no absolute path of one machine in a tracked file;
# - no import cycle among the Python modules.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

problems=0
report() { echo "check_code_shape: $*"; problems=1; }

while IFS= read -r file; do
  lines=$(wc -l < "${file}")
  if ((lines > 600)); then report "${file} has ${lines} lines (limit 600)"; fi
done < <(git ls-files '*.cc' '*.h' '*.py' | grep -v '/testdata/')

if git grep -nE 'pytest\.skip\(\s*\)|@pytest\.mark\.skip\s*$|skipTest\(\s*\)|GTEST_SKIP\(\)\s*;' -- '*.py' '*.cc' \
    ':!tools/testing/check_code_shape.sh'; then
  report "a test skips without a reason"
fi

tf_free='tensorflow_recommenders_addons/dynamic_embedding/core/lib/'
if git grep -nE '#include [<"](tensorflow|tsl|third_party/eigen3|Eigen|unsupported/Eigen)/' -- "${tf_free}"; then
  report "core/lib/ (Redis client, table logic) must not include TensorFlow headers"
fi
if git grep -n 'local_config_tf' -- "${tf_free}**/BUILD" "${tf_free}BUILD"; then
  report "core/lib/ (Redis client, table logic) must not depend on TensorFlow"
fi

if git grep -nE 'http_archive|git_repository|urls *=' -- 'WORKSPACE' '*.bzl' '*BUILD*'; then
  report "Bazel files must not download anything"
fi

# Home and work folders, and the names of temp files a run made (pytest's,
# Python's mkdtemp "tmpXXXXXXXX", a prefix plus a random suffix with a digit).
# Generic examples (/tmp/, /tmp/kv) and upstream's fixed paths stay allowed.
machine_path='(^|[^[:alnum:]_.~$-])/(home|root|work|Users)/|/tmp/pytest-of-|/tmp/tmp[a-z0-9_]{8}|/tmp/[[:alnum:]._-]*[-_.][[:alnum:]]*[0-9][[:alnum:]]*/'
if git grep -nIE "${machine_path}" -- ':!tools/testing/check_code_shape.sh'; then
  report "absolute paths of one machine; use repository-relative paths"
fi

if ! python3 tools/testing/import_graph.py tensorflow_recommenders_addons tools; then
  report "Python modules import each other in a cycle"
fi

if ((problems)); then exit 1; fi
echo "check_code_shape: ok"
