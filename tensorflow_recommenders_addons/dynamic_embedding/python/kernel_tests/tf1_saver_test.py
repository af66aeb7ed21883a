"""`tf.compat.v1.train.Saver` over `de.Variable` tables in TF1 graphs.

Upstream's scripts save tables with TF1 name-based checkpoints: given the
variable in `var_list`, or by default (the tables are in the graph's
SAVEABLE_OBJECTS collection, as upstream puts them, so a plain `Saver()` and
`MonitoredTrainingSession` save them). Entries are named as upstream's
(`<table op name>-keys` / `-values`); a restore replaces the contents.
"""

import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu


def _graph_with(name, creator):
  """A new graph with a float variable v0 and a dim-1 `de.Variable`."""
  graph = tf.Graph()
  with graph.as_default():
    v0 = tf.compat.v1.Variable(10.0, name="v0")
    var = de.Variable(dim=1, name=name, initializer=-1.0, kv_creator=creator)
  return graph, v0, var


@pytest.mark.parametrize("default_saver", [False, True],
                         ids=["var_list", "default_saver"])
def test_saver_saves_and_restores_tables_beside_variables(
    make_creator, unique_name, tmp_path, default_saver):
  creator = make_creator()
  graph, v0, var = _graph_with(unique_name, creator)
  with graph.as_default(), tf.compat.v1.Session() as session:
    session.run(tf.compat.v1.global_variables_initializer())
    session.run(var.upsert(tu.keys(0, 1, 2), [[0.], [1.], [2.]]))
    saver = tf.compat.v1.train.Saver(
        None if default_saver else [v0, var])
    path = saver.save(session, str(tmp_path / "ckpt"))
    session.run(var.clear())
  names = dict(tf.train.list_variables(path))
  table_name = "%s/%s_mht_1of1" % (unique_name, unique_name)
  if creator.config is None:  # In-process: TF's MutableHashTable's name.
    table_name = "%s_mht_1of1" % unique_name
  assert names == {"v0": [], table_name + "-keys": [3],
                   table_name + "-values": [3, 1]}

  graph, v0, var = _graph_with(unique_name, creator)
  with graph.as_default(), tf.compat.v1.Session() as session:
    session.run(var.upsert(tu.keys(7), [[7.]]))  # Replaced by the restore.
    tf.compat.v1.train.Saver(None if default_saver else [v0, var]).restore(
        session, path)
    assert session.run(v0) == 10.0
    assert session.run(var.size()) == 3
    np.testing.assert_array_equal(
        session.run(var.lookup(tu.keys(0, 1, 2, 7))), [[0.], [1.], [2.], [-1.]])


def test_saver_given_only_a_table_saves_it(make_creator, unique_name,
                                           tmp_path):
  creator = make_creator()
  graph, _, var = _graph_with(unique_name, creator)
  with graph.as_default(), tf.compat.v1.Session() as session:
    session.run(var.upsert(tu.keys(5), [[5.]]))
    saver = tf.compat.v1.train.Saver(var_list=[var])
    path = saver.save(session, str(tmp_path / "only_table"))
    session.run(var.clear())
    saver.restore(session, path)
    np.testing.assert_array_equal(session.run(var.lookup(tu.keys(5))), [[5.]])


def test_a_saver_given_the_table_reads_the_variables_entries(
    make_creator, unique_name, tmp_path):
  """Upstream's tests save with `Saver([var])` and restore with
  `Saver([var._tables[0]])` (in-process and Redis tables), and back."""
  creator = make_creator()
  graph, _, var = _graph_with(unique_name, creator)
  with graph.as_default(), tf.compat.v1.Session() as session:
    session.run(var.upsert(tu.keys(1, 2), [[1.], [2.]]))
    path = tf.compat.v1.train.Saver([var]).save(session,
                                                str(tmp_path / "ckpt"))
    table_path = tf.compat.v1.train.Saver([var.tables[0]]).save(
        session, str(tmp_path / "table_ckpt"))
  assert dict(tf.train.list_variables(path)) == dict(
      tf.train.list_variables(table_path))
  for saved in (path, table_path):
    graph, _, var = _graph_with(unique_name, creator)
    with graph.as_default(), tf.compat.v1.Session() as session:
      session.run(var.clear())
      session.run(var.upsert(tu.keys(7), [[7.]]))  # Replaced by the restore.
      tf.compat.v1.train.Saver([var.tables[0]]).restore(session, saved)
      np.testing.assert_array_equal(
          session.run(var.lookup(tu.keys(1, 2, 7))), [[1.], [2.], [-1.]])


def test_redis_dump_file_mode_restores_through_the_saver(standalone_setup,
                                                         unique_name,
                                                         tmp_path):
  # table_store_mode 1: the checkpoint holds empty entries, the rows go to
  # DUMP files under model_lib_abs_dir when the save runs.
  creator = standalone_setup.creator(table_store_mode=1,
                                     model_lib_abs_dir=str(tmp_path / "dumps"))
  graph, _, var = _graph_with(unique_name, creator)
  with graph.as_default(), tf.compat.v1.Session() as session:
    session.run(var.upsert(tu.keys(1, 2), [[1.], [2.]]))
    saver = tf.compat.v1.train.Saver(var_list=[var])
    path = saver.save(session, str(tmp_path / "ckpt"))
    session.run(var.upsert(tu.keys(3), [[3.]]))
    saver.restore(session, path)
    assert session.run(var.size()) == 2
  assert any(tf.io.gfile.glob(str(tmp_path / "dumps" / "*" / "*.rdb")))


def test_a_variable_without_checkpoint_is_left_out(unique_name, tmp_path):
  with tf.Graph().as_default(), tf.compat.v1.Session() as session:
    v0 = tf.compat.v1.Variable(1.0, name="v0")
    de.Variable(dim=1, name=unique_name, checkpoint=False)
    session.run(tf.compat.v1.global_variables_initializer())
    path = tf.compat.v1.train.Saver().save(session, str(tmp_path / "c"))
    del v0
  assert [n for n, _ in tf.train.list_variables(path)] == ["v0"]


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))
