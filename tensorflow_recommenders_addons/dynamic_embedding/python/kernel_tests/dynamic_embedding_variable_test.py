"""de.Variable, get_variable and the lookup functions."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.training_util import sorted_export

pytestmark = pytest.mark.usefixtures("fresh_session")


def _keys(*keys):
  return tf.constant(keys, tf.int64)


def test_variable_upsert_lookup_remove_export_size(kv_creator, unique_name,
                                                   devices):
  var = de.Variable(dim=3, name=unique_name, initializer=-1.0,
                    devices=devices, kv_creator=kv_creator)
  keys = _keys(*range(10))
  rows = tf.reshape(tf.range(30, dtype=tf.float32), [10, 3])
  var.upsert(keys, rows)
  assert int(var.size()) == 10
  np.testing.assert_array_equal(var.lookup(_keys(7, 2, 99)),
                                [rows[7], rows[2], [-1., -1., -1.]])
  var.remove(_keys(0, 1, 2, 1000))
  exported_keys, exported_values = sorted_export(var)
  np.testing.assert_array_equal(exported_keys, range(3, 10))
  np.testing.assert_array_equal(exported_values, rows[3:])
  var.clear()
  assert int(var.size()) == 0


def test_variable_lookup_keeps_the_shape_of_the_keys(kv_creator, unique_name,
                                                     devices):
  var = de.Variable(dim=2, name=unique_name, devices=devices,
                    kv_creator=kv_creator)
  keys = tf.reshape(_keys(*range(12)), [2, 3, 2])
  var.upsert(keys, tf.ones([2, 3, 2, 2]))
  values, exists = var.lookup(keys, return_exists=True)
  assert values.shape == (2, 3, 2, 2) and exists.shape == (2, 3, 2)
  assert bool(tf.reduce_all(exists))
  assert var.lookup(_keys()).shape == (0, 2)


def test_variable_accum_adds_deltas_to_existing_rows(kv_creator, unique_name,
                                                     devices):
  var = de.Variable(dim=2, name=unique_name, devices=devices,
                    kv_creator=kv_creator)
  var.upsert(_keys(1, 2), [[1., 1.], [2., 2.]])
  old, exists = var.lookup(_keys(1, 2, 3), return_exists=True)
  np.testing.assert_array_equal(exists, [True, True, False])
  var.upsert(_keys(2), [[100., 100.]])  # A concurrent writer's update.
  var.accum(_keys(1, 2, 3), old, old + 5.0, exists)
  _, values = sorted_export(var)
  np.testing.assert_array_equal(values, [[6., 6.], [105., 105.], [5., 5.]])


def test_sharded_variable_spreads_keys_and_answers_like_one_shard(
    kv_creator, unique_name):
  sharded = de.Variable(dim=2, name=unique_name + "_a",
                        devices=["/CPU:0", "/CPU:0"], kv_creator=kv_creator)
  single = de.Variable(dim=2, name=unique_name + "_b", kv_creator=kv_creator)
  keys = _keys(*range(-5, 15))
  rows = tf.random.normal([20, 2])
  for var in (sharded, single):
    var.upsert(keys, rows)
  assert int(sharded.size()) == 20
  if sharded.tables[0].storage_id is None:
    # Separate storage per shard: each holds its partition.
    assert [int(sharded.size(i)) for i in range(2)] == [10, 10]
  else:
    # Shards share one table (Redis, as upstream names it); each key once.
    assert int(sharded.export()[0].shape[0]) == 20
  probe = _keys(14, -5, 3, 77, 4)
  np.testing.assert_array_equal(sharded.lookup(probe), single.lookup(probe))
  assert len(sharded.tables) == 2


def test_string_keys_partition_over_shards(kv_creator, unique_name):
  var = de.Variable(key_dtype=tf.string, dim=1, name=unique_name,
                    devices=["/CPU:0"] * 3, kv_creator=kv_creator)
  keys = tf.constant(["k%d" % i for i in range(30)])
  var.upsert(keys, tf.reshape(tf.range(30, dtype=tf.float32), [30, 1]))
  assert int(var.size()) == 30
  assert all(int(var.size(i)) > 0 for i in range(3))
  np.testing.assert_array_equal(var.lookup(tf.constant(["k29", "k0"])),
                                [[29.], [0.]])


def test_custom_partitioner_decides_the_shard(kv_creator, unique_name):
  var = de.Variable(dim=1, name=unique_name, devices=["/CPU:0"] * 2,
                    partitioner=lambda k, n: tf.ones_like(k, tf.int32),
                    kv_creator=kv_creator)
  var.upsert(_keys(1, 2, 3), tf.ones([3, 1]))
  if var.tables[0].storage_id is None:
    assert (int(var.size(0)), int(var.size(1))) == (0, 3)
  else:
    # Shared storage: route through shard 1 is invisible from outside, but
    # every key is stored once.
    assert int(var.size()) == 3
  np.testing.assert_array_equal(var.lookup(_keys(1, 2, 3)), tf.ones([3, 1]))


def test_variable_ops_work_inside_tf_function(kv_creator, unique_name,
                                              devices):
  var = de.Variable(dim=2, name=unique_name, devices=devices,
                    kv_creator=kv_creator)

  @tf.function
  def add_one(keys):
    values, exists = var.lookup(keys, return_exists=True)
    var.accum(keys, values, values + 1.0, exists)
    return var.size()

  add_one(_keys(1, 2))
  assert int(add_one(_keys(2, 3))) == 3
  _, values = sorted_export(var)
  np.testing.assert_array_equal(values, [[1., 1.], [2., 2.], [1., 1.]])


@pytest.mark.parametrize("initializer, row", [
    (None, [0., 0., 0.]),
    (2.5, [2.5, 2.5, 2.5]),
    ([1., 2., 3.], [1., 2., 3.]),
    (tf.constant([4., 5., 6.]), [4., 5., 6.]),
    (keras.initializers.Constant(0.5), [0.5, 0.5, 0.5]),
    (tf.ones_initializer(), [1., 1., 1.]),
])
def test_constant_initializers_give_every_new_key_the_same_row(
    kv_creator, unique_name, initializer, row):
  var = de.Variable(dim=3, name=unique_name, initializer=initializer,
                    kv_creator=kv_creator)
  np.testing.assert_array_equal(var.lookup(_keys(1, 2)), [row, row])


@pytest.mark.parametrize("initializer", [
    keras.initializers.RandomNormal(stddev=1.0),
    keras.initializers.RandomUniform(seed=7),
    "truncated_normal",
    tf.random_normal_initializer(),
])
def test_random_initializers_give_each_key_fresh_rows(kv_creator, unique_name,
                                                      initializer):
  var = de.Variable(dim=4, name=unique_name, initializer=initializer,
                    kv_creator=kv_creator)
  lookup = tf.function(var.lookup)
  first = lookup(_keys(1, 2, 3)).numpy()
  second = lookup(_keys(1, 2, 3)).numpy()
  assert len({tuple(r) for r in first}) == 3  # Each key its own row.
  assert not np.array_equal(first, second)  # New draws per lookup.
  assert int(var.size()) == 0


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "function"])
def test_random_rows_are_drawn_for_absent_keys_only(kv_creator, unique_name,
                                                    traced):
  var = de.Variable(dim=3, name=unique_name,
                    initializer=keras.initializers.RandomNormal(seed=3),
                    kv_creator=kv_creator)
  var.upsert(_keys(1), [[7., 8., 9.]])
  lookup = tf.function(var.lookup) if traced else var.lookup
  rows = lookup(tf.reshape(_keys(2, 1, 3, 1), [2, 2])).numpy()
  assert rows.shape == (2, 2, 3)
  np.testing.assert_array_equal(rows[0, 1], [7., 8., 9.])
  np.testing.assert_array_equal(rows[1, 1], [7., 8., 9.])
  assert len({tuple(rows[0, 0]), tuple(rows[1, 0]), (7., 8., 9.)}) == 3
  # Nothing absent: the stored rows alone, nothing drawn.
  np.testing.assert_array_equal(lookup(_keys(1, 1)), [[7., 8., 9.]] * 2)


def test_misfit_constant_initializers_are_rejected(unique_name):
  with pytest.raises(ValueError, match="one value or dim values"):
    de.Variable(dim=3, name=unique_name, initializer=[1., 2.])


@pytest.mark.parametrize("initializer", [[7.], np.array([7.]), 7])
def test_a_one_value_initializer_is_broadcast_to_dim(unique_name,
                                                     initializer):
  var = de.Variable(dim=3, name=unique_name, initializer=initializer)
  np.testing.assert_array_equal(var.lookup(_keys(1)), [[7., 7., 7.]])


@pytest.mark.parametrize("initializer, limit", [
    (keras.initializers.GlorotUniform(seed=1), np.sqrt(6. / 16)),
    (keras.initializers.HeUniform(seed=1), np.sqrt(6. / 8)),
    (tf.compat.v1.glorot_uniform_initializer(seed=1), np.sqrt(6. / 16)),
])
def test_variance_scaling_draws_each_row_as_for_a_dim_vector(
    unique_name, initializer, limit):
  # Glorot and He scale by a variable's fans; for a table's rows those of
  # one [dim] row, as upstream called them (fan_in = fan_out = dim = 8).
  var = de.Variable(dim=8, name=unique_name, initializer=initializer)
  rows = var.lookup(_keys(*range(500))).numpy()
  assert np.all(np.abs(rows) <= limit) and np.max(np.abs(rows)) > 0.9 * limit
  assert len({tuple(r) for r in rows}) == 500  # Each key its own row.


def test_a_symbolic_tensor_initializer_works_in_a_graph(unique_name):
  with tf.Graph().as_default():
    var = de.Variable(dim=2, name=unique_name,
                      initializer=tf.constant([-1., -2.]))
    with tf.compat.v1.Session() as session:
      np.testing.assert_array_equal(session.run(var.lookup(_keys(3))),
                                    [[-1., -2.]])


def test_mismatched_dtypes_raise_value_error_and_shapes_an_op_error(
    unique_name):
  # Upstream's error types: user code written for TFRA catches these.
  with pytest.raises(TypeError):
    de.Variable(key_dtype=tf.int32, value_dtype=tf.string, name=unique_name)
  var = de.Variable(dim=2, name=unique_name)
  with pytest.raises(ValueError):
    var.lookup(tf.constant([1], tf.int32))
  with pytest.raises(ValueError):
    var.upsert(_keys(1), tf.constant([[1., 1.]], tf.float64))
  for values in (tf.ones([2, 3]), tf.ones([4]), tf.ones([1, 2])):
    with pytest.raises(tf.errors.InvalidArgumentError, match="Expected shape"):
      var.upsert(_keys(1, 2), values)
  with pytest.raises(tf.errors.InvalidArgumentError, match="Expected shape"):
    var.upsert(_keys(), tf.ones([0]))  # An empty batch needs [0, dim] too.
  var.upsert(_keys(), tf.ones([0, 2]))
  assert var.lookup(_keys()).shape == (0, 2) and int(var.size()) == 0


def test_a_runtime_shape_mismatch_fails_when_the_graph_runs(unique_name):
  var = de.Variable(dim=2, name=unique_name)
  upsert = tf.function(lambda k, v: var.upsert(k, v) and None, input_signature=[
      tf.TensorSpec([None, None], tf.int64),
      tf.TensorSpec(None, tf.float32)
  ])
  keys = tf.constant([[1, 2]], tf.int64)
  with pytest.raises(tf.errors.InvalidArgumentError, match="Expected shape"):
    upsert(keys, tf.ones([2, 2]))  # As many values, the wrong shape.
  assert int(var.size()) == 0
  upsert(keys, tf.ones([1, 2, 2]))
  assert int(var.size()) == 2


def test_variable_with_string_values(kv_creator, unique_name):
  var = de.Variable(value_dtype=tf.string, dim=2, name=unique_name,
                    initializer="?", kv_creator=kv_creator)
  var.upsert(_keys(1), [["a", "b"]])
  np.testing.assert_array_equal(var.lookup(_keys(1, 2)),
                                [[b"a", b"b"], [b"?", b"?"]])


def test_get_variable_prefixes_the_scope_and_reuses_eagerly(unique_name):
  with tf.compat.v1.variable_scope("scope"):
    var = de.get_variable(unique_name, dim=2)
    again = de.get_variable(unique_name, dim=2)
  assert var.name == "scope/%s" % unique_name and again is var
  assert var.tables[0] is again.tables[0]
  assert de.get_variable(unique_name, dim=2) is not var  # Other scope.
  with tf.compat.v1.variable_scope("scope"):
    short = de.get_variable("x" + unique_name, short_file_name=True)
  assert short.name == "x" + unique_name


def test_get_variable_rejects_reuse_with_other_dim(unique_name):
  de.get_variable(unique_name, dim=2)
  with pytest.raises(ValueError):
    de.get_variable(unique_name, dim=3)


def test_get_variable_follows_scope_reuse_in_graphs(unique_name):
  with tf.Graph().as_default():
    with tf.compat.v1.variable_scope("s"):
      var = de.get_variable(unique_name, dim=2)
    with tf.compat.v1.variable_scope("s"):
      with pytest.raises(ValueError, match="already exists"):
        de.get_variable(unique_name, dim=2)
    with tf.compat.v1.variable_scope("s", reuse=True):
      assert de.get_variable(unique_name, dim=2) is var
    with tf.compat.v1.variable_scope("s", reuse=tf.compat.v1.AUTO_REUSE):
      assert de.get_variable(unique_name, dim=2) is var


def test_clear_session_forgets_stored_variables(unique_name):
  var = de.get_variable(unique_name, dim=2)
  keras.backend.clear_session()
  assert de.get_variable(unique_name, dim=2) is not var


def test_checkpoint_restore_replaces_variable_contents(kv_creator,
                                                       unique_name, devices,
                                                       tmp_path):
  var = de.Variable(dim=2, name=unique_name, devices=devices,
                    kv_creator=kv_creator)
  var.upsert(_keys(1, 2, 3), [[1., 1.], [2., 2.], [3., 3.]])
  checkpoint = tf.train.Checkpoint(var=var)
  path = checkpoint.save(str(tmp_path / "ckpt"))
  names = {name for name, _ in tf.train.list_variables(path)}
  assert "var/tables_of_%s/0/.ATTRIBUTES/table-keys" % unique_name in names
  var.upsert(_keys(1, 4), [[9., 9.], [4., 4.]])
  var.remove(_keys(3))
  checkpoint.restore(path)
  keys, values = sorted_export(var)
  np.testing.assert_array_equal(keys, [1, 2, 3])
  np.testing.assert_array_equal(values, [[1., 1.], [2., 2.], [3., 3.]])


def test_embedding_lookup_needs_a_name_and_matching_ids(unique_name):
  var = de.Variable(dim=2, name=unique_name)
  with pytest.raises(ValueError):
    de.embedding_lookup(var, _keys(1))
  with pytest.raises(TypeError):
    de.embedding_lookup(var, tf.constant([1], tf.int32), name="lk")
  with pytest.raises(ValueError):
    de.embedding_lookup([var, var], _keys(1), name="lk")
  with pytest.raises(TypeError):
    de.embedding_lookup(tf.Variable([1.0]), _keys(1), name="lk")


def test_embedding_lookup_reads_through_a_named_wrapper_without_writing(
    kv_creator, unique_name):
  var = de.Variable(dim=2, name=unique_name, initializer=3.0,
                    kv_creator=kv_creator)
  var.upsert(_keys(5), [[3., 4.]])
  ids = tf.constant([[5, 6], [5, 5]], tf.int64)
  rows, wrapper = de.embedding_lookup(var, ids, name="lk", max_norm=1.0,
                                      return_trainable=True)
  assert rows.shape == (2, 2, 2)
  np.testing.assert_allclose(rows[0, 0], [0.6, 0.8], rtol=1e-6)
  assert wrapper is var.get_trainable_by_name("lk")
  np.testing.assert_array_equal(tf.sort(wrapper.ids), [5, 6])  # Unique ids.
  assert int(var.size()) == 1
  assert de.embedding_lookup_unique(var, ids, name="lk").shape == (2, 2, 2)


def test_embedding_lookup_in_inference_mode_skips_the_wrapper(unique_name):
  var = de.Variable(dim=2, name=unique_name, initializer=1.0)
  de.enable_inference_mode()
  assert de.get_model_mode() == de.ModelMode.INFERENCE
  rows, wrapper = de.embedding_lookup(var, _keys(1, 2), name="lk",
                                      return_trainable=True)
  np.testing.assert_array_equal(rows, [[1., 1.], [1., 1.]])
  assert int(tf.size(wrapper.ids)) == 0


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
def test_embedding_lookup_sparse_combines_like_dense_math(
    kv_creator, unique_name, combiner):
  var = de.Variable(dim=2, name=unique_name, kv_creator=kv_creator)
  var.upsert(_keys(1, 2, 3), [[1., 0.], [0., 2.], [4., 4.]])
  sp_ids = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], _keys(1, 3, 2), [3, 2])
  sp_weights = tf.SparseTensor(sp_ids.indices, [1., 3., 2.], [3, 2])
  result = de.embedding_lookup_sparse(var, sp_ids, sp_weights, name="sp",
                                      combiner=combiner)
  weighted_row0 = 1. * np.array([1., 0.]) + 3. * np.array([4., 4.])
  norm = {"sum": 1., "mean": 4., "sqrtn": np.sqrt(10.)}[combiner]
  row2_norm = {"sum": 1., "mean": 2., "sqrtn": 2.}[combiner]
  np.testing.assert_allclose(
      result, [weighted_row0 / norm, [0., 0.], np.array([0., 4.]) / row2_norm],
      rtol=1e-6)
  unweighted = de.embedding_lookup_sparse(var, sp_ids, None, name="sp2",
                                          combiner="sum")
  np.testing.assert_allclose(unweighted, [[5., 4.], [0., 0.], [0., 2.]])


def test_safe_embedding_lookup_sparse_zeroes_empty_rows_and_keeps_rank(
    kv_creator, unique_name):
  var = de.Variable(dim=2, name=unique_name, initializer=9.0,
                    kv_creator=kv_creator)
  var.upsert(_keys(1, 2), [[1., 1.], [2., 2.]])
  sp_ids = tf.SparseTensor([[0, 0, 0], [0, 0, 1], [1, 1, 0]], _keys(1, 2, 2),
                           [2, 2, 2])
  result = de.safe_embedding_lookup_sparse(var, sp_ids, combiner="mean")
  np.testing.assert_allclose(
      result, [[[1.5, 1.5], [0., 0.]], [[0., 0.], [2., 2.]]])
  with_default = de.safe_embedding_lookup_sparse(var, sp_ids, combiner="sum",
                                                 default_id=7)
  np.testing.assert_allclose(with_default[0, 1], [9., 9.])


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))
