"""Shared pytest fixtures: private Redis deployments, table configs, creators.

Every deployment comes from the one launcher, tools/testing/redis_servers.py,
on free loopback ports; it is stopped (and its folder removed) when the test
module ends, also when a test fails. The launcher's `table_config` turns a
deployment into a table config; `RedisSetup.write_config` adds what keeps
tests apart (a model tag of their own) and writes it to a file.

Accum: a test that takes `accum_setup` runs against every mode twice, its
servers without and with the HMACCUM module (the table then adds deltas
inside Redis); `setup.with_module` tells which.

Backends: a test that takes `kv_creator` (one creator) or `make_creator` (a
function returning fresh creators) runs once per entry of `CREATOR_BACKENDS`;
`pytest.mark.parametrize("make_creator", [...], indirect=True)` picks others
("cluster" too).
Modules whose tests build Keras objects declare
`pytestmark = pytest.mark.usefixtures("fresh_session")`.
"""

import os
import uuid

import keras
import pytest

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops
from tools.testing import redis_servers

MODES = tuple(m.mode for m in redis_servers.ConnectionMode)
# The backends a creator fixture gives by default: the in-process one and a
# standalone Redis (Sentinel and Cluster change how a table reaches Redis,
# which the table tests cover in every mode).
CREATOR_BACKENDS = ("in_process", "standalone")


class RedisSetup:
  """A running deployment plus a writer of table config files for it.

  Attributes:
    mode: "standalone", "cluster" or "sentinel".
    deployment: the launcher's `Deployment`.
  """

  def __init__(self, deployment, folder, with_module=False):
    self.mode = deployment.mode
    self.deployment = deployment
    self.with_module = with_module
    self._folder = folder

  def write_config(self, **overrides):
    """Writes a table config file; returns its path.

    The deployment's `table_config`, with rows in checkpoints
    (`table_store_mode` 0) and a fresh model tag, so tests sharing a server
    never see each other's rows; then `overrides`.
    """
    tag = "t" + uuid.uuid4().hex[:12]
    path = os.path.join(self._folder, "redis_%s.json" % uuid.uuid4().hex[:8])
    settings = dict(table_store_mode=0, model_tag_runtime=tag,
                    model_tag_import=tag)
    settings.update(overrides)
    return self.deployment.write_table_config(path, **settings)

  def creator(self, **overrides):
    """A `RedisTableCreator` over a fresh `write_config(**overrides)`."""
    return training_util.creator_for(self.write_config(**overrides))

  def keys(self, pattern="*"):
    """Redis key names matching `pattern` on every master (binary-safe)."""
    names = set()
    for port in self.deployment.node_ports("master"):
      out = self.deployment.redis_cli(port, "--scan", "--pattern", pattern)
      names.update(line for line in out.splitlines() if line)
    return names


_LAUNCH = {"standalone": redis_servers.standalone,
           "cluster": redis_servers.cluster,
           "sentinel": redis_servers.sentinel}


def _running(mode, tmp_path_factory, with_module=False):
  """Yields a `RedisSetup` of a fresh `mode` deployment (its data nodes
  loading the HMACCUM module `with_module`), stopped afterwards."""
  modules = [redis_table_ops.hmaccum_module_path()] if with_module else []
  with _LAUNCH[mode](modules=modules) as deployment:
    yield RedisSetup(deployment, str(tmp_path_factory.mktemp("redis_config")),
                     with_module)


@pytest.fixture(scope="module", params=MODES)
def redis_setup(request, tmp_path_factory):
  """Each kind of deployment in turn (table tests)."""
  yield from _running(request.param, tmp_path_factory)


@pytest.fixture(scope="module",
                params=[(m, w) for w in (False, True) for m in MODES],
                ids=lambda p: p[0] + ("+hmaccum" if p[1] else ""))
def accum_setup(request, tmp_path_factory):
  """Each kind of deployment, without and then with the HMACCUM module."""
  mode, with_module = request.param
  yield from _running(mode, tmp_path_factory, with_module)


@pytest.fixture(scope="module")
def standalone_setup(tmp_path_factory):
  yield from _running("standalone", tmp_path_factory)


@pytest.fixture(scope="module")
def cluster_setup(tmp_path_factory):
  yield from _running("cluster", tmp_path_factory)


@pytest.fixture(params=["standalone", "cluster"])
def training_setup(request):
  """Standalone, then Cluster: what the training tests run against (Sentinel
  differs only in how a connection is found, which `redis_setup` covers)."""
  return request.getfixturevalue(request.param + "_setup")


@pytest.fixture(params=CREATOR_BACKENDS)
def make_creator(request):
  """A function returning a fresh creator: the in-process default, or Redis
  with a model tag of its own on every call (so every creator starts empty)."""
  if request.param == "in_process":
    return de.CuckooHashTableCreator
  return request.getfixturevalue(request.param + "_setup").creator


@pytest.fixture
def kv_creator(make_creator):
  """A `KVCreator` of each backend in turn."""
  return make_creator()


@pytest.fixture(params=[1, 2], ids=["one_shard", "two_shards"])
def devices(request):
  """The devices of a variable of one shard, then of two."""
  return ["/CPU:0"] * request.param


@pytest.fixture
def unique_name():
  """A name no other test uses, so tables on a shared server never collide."""
  return "t%s" % uuid.uuid4().hex[:10]


@pytest.fixture
def fresh_session():
  """Starts a test with no stored variables, in TRAIN mode (see the module
  doc for how a module asks for it)."""
  keras.backend.clear_session()
  de.enable_train_mode()
  yield
  de.enable_train_mode()
  keras.backend.clear_session()
