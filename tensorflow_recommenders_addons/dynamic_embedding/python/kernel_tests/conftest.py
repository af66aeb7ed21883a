"""Shared pytest fixtures: private Redis deployments and config files.

Every deployment comes from the one launcher, tools/testing/redis_servers.py,
on free loopback ports; it is stopped (and its folder removed) when the test
module ends, also when a test fails.
"""

import json
import os
import uuid

import pytest

from tools.testing import redis_servers

MODES = ("standalone", "cluster", "sentinel")


def _start(mode):
  if mode == "standalone":
    return redis_servers.standalone()
  if mode == "cluster":
    return redis_servers.cluster()
  return redis_servers.sentinel()


class RedisSetup:
  """A running deployment plus a writer of table config files for it."""

  def __init__(self, mode, deployment, folder):
    self.mode = mode
    self.deployment = deployment
    self._folder = folder

  def connection_config(self):
    """The JSON keys that point a table at this deployment."""
    description = self.deployment.describe()
    if self.mode == "standalone":
      ports = [description["nodes"][0]["port"]]
      mode = 2
    elif self.mode == "cluster":
      ports = [n["port"] for n in description["nodes"] if n["role"] == "master"]
      mode = 0
    else:
      ports = [s["port"] for s in description["sentinels"]]
      mode = 1
    config = {
        "redis_connection_mode": mode,
        "redis_host_ip": ["127.0.0.1"] * len(ports),
        "redis_host_port": ports,
        "table_store_mode": 0,
        # A fresh model tag per config keeps tests sharing a server apart.
        "model_tag_runtime": "t" + uuid.uuid4().hex[:12],
    }
    config["model_tag_import"] = config["model_tag_runtime"]
    if self.mode == "sentinel":
      config["redis_master_name"] = description["master_name"]
    return config

  def write_config(self, **overrides):
    """Writes a config file (connection keys + `overrides`); returns its path."""
    config = self.connection_config()
    config.update(overrides)
    path = os.path.join(self._folder, "redis_%s.json" % uuid.uuid4().hex[:8])
    with open(path, "w") as out:
      json.dump(config, out)
    return path

  def keys(self, pattern="*"):
    """Redis key names matching `pattern` on every master (binary-safe)."""
    description = self.deployment.describe()
    names = set()
    for node in description["nodes"]:
      if node["role"] != "master":
        continue
      out = self.deployment.redis_cli(node["port"], "--scan", "--pattern",
                                      pattern)
      names.update(line for line in out.splitlines() if line)
    return names


def _running(mode, tmp_path_factory):
  """Yields a `RedisSetup` of a fresh `mode` deployment, stopped afterwards."""
  with _start(mode) as deployment:
    yield RedisSetup(mode, deployment,
                     str(tmp_path_factory.mktemp("redis_config")))


@pytest.fixture(scope="module", params=MODES)
def redis_setup(request, tmp_path_factory):
  yield from _running(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def standalone_setup(tmp_path_factory):
  yield from _running("standalone", tmp_path_factory)


@pytest.fixture(scope="module")
def cluster_setup(tmp_path_factory):
  yield from _running("cluster", tmp_path_factory)


@pytest.fixture(params=["in_process", "standalone", "cluster"])
def make_creator(request):
  """A function returning a fresh creator: the in-process default, or Redis
  (standalone, Cluster) with a model tag of its own on every call."""
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  if request.param == "in_process":
    return de.CuckooHashTableCreator
  setup = request.getfixturevalue(request.param + "_setup")
  return lambda: de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=setup.write_config()))
