"""A table trained and served by Redis users with exactly the minimal ACL of
docs/security.md (read from that page, so the page is what is tested), and
the errors a user without a right gets.
"""

import os
import re
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops
from tools.testing import redis_servers

pytestmark = pytest.mark.usefixtures("fresh_session")

_SECURITY_DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             *[os.pardir] * 4, "docs", "security.md")
_TAG = "acltag"
_PASSWORD = "acl-pass"
# What docs/security.md says to add in Cluster mode.
_CLUSTER_EXTRA = "+cluster|slots +asking"


def _documented_rules():
  """{user: rules} from the ```acl block of docs/security.md."""
  with open(_SECURITY_DOC, encoding="utf-8") as f:
    block = re.search(r"```acl\n(.*?)```", f.read(), re.S).group(1)
  rules = dict(line.split(": ", 1) for line in block.strip().splitlines())
  assert set(rules) == {"trainer", "server"}, rules
  return rules


@pytest.fixture(scope="module", params=["standalone", "cluster"])
def deployment(request):
  launch = {"standalone": redis_servers.standalone,
            "cluster": redis_servers.cluster}[request.param]
  with launch() as d:
    yield d


def _set_user(deployment, user, rules):
  """ACL SETUSER `user` with `rules` (for this test's tag) on every node."""
  rules = rules.replace("<model_tag>", _TAG)
  if deployment.mode == "cluster":
    rules += " " + _CLUSTER_EXTRA
  for port in deployment.node_ports():
    reply = deployment.redis_cli(port, "ACL", "SETUSER", user, "reset", "on",
                                 ">" + _PASSWORD, *rules.split())
    assert reply == "OK", reply


def _config(deployment, tmp_path, user, name, **overrides):
  settings = dict(redis_user=user, redis_password=_PASSWORD,
                  model_tag_runtime=_TAG, model_tag_import=_TAG,
                  expire_model_tag_in_seconds=-1, storage_slice=2)
  settings.update(overrides)
  return deployment.write_table_config(str(tmp_path / (name + ".json")),
                                       **settings)


def _table(config_path, name):
  return redis_table_ops.RedisTable(
      tf.int64, tf.float32, tf.fill([4], -1.0), name=name, checkpoint=True,
      config=de.RedisTableConfig(redis_config_abs_dir=config_path))


def test_documented_users_train_and_serve(deployment, tmp_path):
  rules = _documented_rules()
  _set_user(deployment, "trainer", rules["trainer"])
  _set_user(deployment, "server", rules["server"])
  for store_mode in (0, 1, 2):
    config = _config(deployment, tmp_path, "trainer", "train%d" % store_mode,
                     table_store_mode=store_mode,
                     model_lib_abs_dir=str(tmp_path / "dumps"))
    # A Keras model trains its embedding (lookups, inserts, accums of the
    # optimizer) and checkpoints it.
    trainer = tu.Trainer("acl_emb%d" % store_mode, tu.creator_for(config))
    trainer.train(tu.batches(3, seed=store_mode))
    saved = trainer.checkpoint().save(str(tmp_path / ("ckpt%d" % store_mode)))
    trainer.restore(saved)
  table = _table(config, "rows")
  keys = tf.range(100, dtype=tf.int64)
  table.insert(keys, tf.ones([100, 4]))
  table.accum(keys, tf.fill([100, 4], 2.0), tf.ones([100], tf.bool))
  table.remove(keys[90:])
  assert table.size().numpy() == 90
  assert table.export()[0].shape == [90]
  # The accum script reads and writes inside the server: it too runs as
  # the user, on the user's keys.
  bucket = "%s:scratch{3560}" % _TAG  # not one of the table's buckets
  script = "redis.call('HSET', KEYS[1], 'f', 'v') return redis.call('HMGET', KEYS[1], 'f')"
  masters = deployment.node_ports("master")
  sha = [deployment.redis_cli(port, "SCRIPT", "LOAD", script)
         for port in masters][0]
  for command, body in (("EVAL", script), ("EVALSHA", sha)):
    reply = deployment.redis_cli(masters[0], command, body, "1", bucket,
                                 user="trainer", password=_PASSWORD,
                                 cluster=True)
    assert reply == "v", reply
  # A server opens the prepared table and reads it, writing nothing.
  served = _table(_config(deployment, tmp_path, "server", "serve",
                          table_store_mode=2), "rows")
  np.testing.assert_array_equal(served.lookup(keys[:90]).numpy(),
                                np.full([90, 4], 3.0))
  assert served.size().numpy() == 90
  with pytest.raises(tf.errors.FailedPreconditionError, match="NOPERM"):
    served.insert(keys[:1], tf.ones([1, 4]))
  table.clear()
  assert table.size().numpy() == 0


def test_a_command_the_user_may_not_run_fails_naming_it(deployment, tmp_path):
  rules = _documented_rules()["trainer"].replace(" +unlink", "")
  _set_user(deployment, "no_unlink", rules)
  table = _table(_config(deployment, tmp_path, "no_unlink", "denied",
                         table_store_mode=2), "denied")
  table.insert(tf.constant([1], tf.int64), tf.ones([1, 4]))
  with pytest.raises(tf.errors.FailedPreconditionError,
                     match="no permissions to run the 'unlink' command"):
    table.clear()


def test_keys_outside_the_users_pattern_fail(deployment, tmp_path):
  _set_user(deployment, "trainer", _documented_rules()["trainer"])
  with pytest.raises(tf.errors.FailedPreconditionError,
                     match="no permissions to access one of the keys"):
    _table(_config(deployment, tmp_path, "trainer", "other_tag",
                   model_tag_runtime="othertag", model_tag_import="othertag",
                   table_store_mode=2), "elsewhere")


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))
