#!/usr/bin/env bash
# The main job: installs what is missing, builds the op library, then runs the
# demo (a private Redis is started and stopped by the demo unless --config
# points at yours). Safe to run twice. Extra arguments go to demo.py, e.g.
#   bash demo/dynamic_embedding/redis_recommender/run.sh --config my_redis.json
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "${repo_root}"
bash tools/install_deps.sh
.venv/bin/python configure.py >/dev/null
bazel run --ui_event_filters=-info,-stdout,-stderr --noshow_progress \
  //demo/dynamic_embedding/redis_recommender:demo -- "$@"
