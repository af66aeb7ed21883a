"""Restarting training from a checkpoint, in each table_store_mode.

A reference run trains 2K steps without stopping. A second run on its own
model tag trains K steps, saves a checkpoint, keeps training on new keys (work
a crash would lose), then "restarts": new Keras objects restore the checkpoint
and train the remaining K steps. The restart must see exactly the saved rows
and slots (modes 0 and 1: nothing added after the save survives) and then
reproduce the reference run's losses and final values bit for bit. Mode 2
keeps the data in Redis, so a restore leaves Redis alone.
"""

import json
import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu

pytestmark = pytest.mark.usefixtures("fresh_session")

_STEPS = 6  # K.


def _halves():
  """The reference run's two halves; the second meets new keys."""
  return tu.batches(_STEPS, seed=1), tu.batches(_STEPS, seed=2, first_id=30)


def _config(setup, store_mode, lib_dir):
  return setup.write_config(table_store_mode=store_mode, storage_slice=2,
                            model_lib_abs_dir=str(lib_dir))


def _runtime_tag(config_path):
  with open(config_path) as f:
    return json.load(f)["model_tag_runtime"]


def _reference(setup, name, lib_dir):
  """Losses of the second half and the final snapshot of an unbroken run."""
  first, second = _halves()
  trainer = tu.Trainer(name, tu.creator_for(_config(setup, 0, lib_dir)))
  trainer.train(first)
  losses = trainer.train(second)
  snapshot = trainer.snapshot()
  keras.backend.clear_session()
  return losses, snapshot


def _train_save_and_lose_work(config, name, ckpt_prefix):
  """First half, checkpoint, then training on keys the save never saw."""
  trainer = tu.Trainer(name, tu.creator_for(config))
  trainer.train(_halves()[0])
  path = trainer.checkpoint().save(ckpt_prefix)
  saved = trainer.snapshot()
  trainer.train(tu.batches(3, seed=9, first_id=1000))
  after_save = trainer.snapshot()
  assert len(after_save[0][0]) > len(saved[0][0])
  keras.backend.clear_session()
  return path, saved, after_save


@pytest.mark.parametrize("store_mode", [0, 1])
def test_restart_holds_exactly_the_saved_rows_and_continues_identically(
    training_setup, unique_name, tmp_path, store_mode):
  ref_losses, ref_final = _reference(training_setup, unique_name, tmp_path)
  config = _config(training_setup, store_mode, tmp_path)
  path, saved, _ = _train_save_and_lose_work(config, unique_name,
                                             str(tmp_path / "ckpt"))
  restarted = tu.Trainer(unique_name, tu.creator_for(config))
  restarted.restore(path)
  assert len(restarted.tables()) == 3  # Embeddings, Adam's two slots.
  tu.assert_snapshots_equal(restarted.snapshot(), saved)
  np.testing.assert_array_equal(restarted.train(_halves()[1]), ref_losses)
  tu.assert_snapshots_equal(restarted.snapshot(), ref_final)


@pytest.mark.parametrize("store_mode", [0, 1, 2])
def test_only_store_mode_0_puts_rows_in_the_checkpoint(standalone_setup,
                                                       unique_name, tmp_path,
                                                       store_mode):
  config = _config(standalone_setup, store_mode, tmp_path / "lib")
  path, saved, _ = _train_save_and_lose_work(config, unique_name,
                                             str(tmp_path / "ckpt"))
  counts = [shape[0] for name, shape in tf.train.list_variables(path)
            if name.endswith(".ATTRIBUTES/table-keys")]
  rows = len(saved[0][0]) if store_mode == 0 else 0
  assert counts == [rows] * 3  # Embeddings and Adam's two slots.
  assert os.path.exists(tmp_path / "lib") == (store_mode == 1)


def test_store_mode_1_writes_one_dump_file_per_bucket_and_table(
    training_setup, unique_name, tmp_path):
  config = _config(training_setup, 1, tmp_path)
  _train_save_and_lose_work(config, unique_name, str(tmp_path / "ckpt"))
  tag = _runtime_tag(config)
  files = sorted(os.listdir(tmp_path / tag))
  # 3 tables (embeddings + 2 Adam slots) x storage_slice 2.
  assert len(files) == 6, files
  assert all(f.endswith(".rdb") and unique_name in f for f in files)
  assert all(os.path.getsize(tmp_path / tag / f) > 0 for f in files)


def test_store_mode_1_restore_fails_when_the_files_are_gone(
    standalone_setup, unique_name, tmp_path):
  config = _config(standalone_setup, 1, tmp_path)
  path, _, _ = _train_save_and_lose_work(config, unique_name,
                                         str(tmp_path / "ckpt"))
  tag = _runtime_tag(config)
  for name in os.listdir(tmp_path / tag):
    os.remove(tmp_path / tag / name)
  restarted = tu.Trainer(unique_name, tu.creator_for(config))
  with pytest.raises(Exception, match="missing file"):
    restarted.restore(path)


def test_store_mode_1_graph_saves_and_restores_a_sharded_variable(
    standalone_setup, unique_name, tmp_path):
  """Shards share their Redis buckets, so each shard's export writes the same
  dump files, and a graph session runs those exports in parallel."""
  config = _config(standalone_setup, 1, tmp_path)
  with tf.Graph().as_default(), tf.compat.v1.Session() as session:
    var = de.Variable(dim=tu.DIM, name=unique_name, devices=["/CPU:0"] * 4,
                      kv_creator=tu.creator_for(config))
    keys = tf.range(4000, dtype=tf.int64)
    session.run(var.upsert(keys, tf.ones([4000, tu.DIM])))
    checkpoint = tf.compat.v1.train.Checkpoint(var=var)
    for _ in range(5):
      path = checkpoint.save(str(tmp_path / "ckpt"), session=session)
    session.run(var.upsert(keys + 5000, tf.ones([4000, tu.DIM])))
    checkpoint.restore(path).run_restore_ops(session)
    assert session.run(var.size()) == 4000
  assert not [f for f in os.listdir(tmp_path / _runtime_tag(config))
              if not f.endswith(".rdb")]  # No temp file left behind.


def test_store_mode_1_restores_files_of_model_tag_import_under_a_new_tag(
    standalone_setup, unique_name, tmp_path):
  old_config = _config(standalone_setup, 1, tmp_path)
  old_tag = _runtime_tag(old_config)
  new_config = standalone_setup.write_config(
      table_store_mode=1, storage_slice=2, model_lib_abs_dir=str(tmp_path),
      model_tag_import=old_tag)
  keys = tf.constant([1, 2, 3], tf.int64)
  old = de.Variable(dim=2, name=unique_name,
                    kv_creator=tu.creator_for(old_config))
  old.upsert(keys, tf.ones([3, 2]))
  path = tf.train.Checkpoint(var=old).save(str(tmp_path / "ckpt"))
  old.upsert(tf.constant([4], tf.int64), tf.ones([1, 2]))  # After the save.
  new = de.Variable(dim=2, name=unique_name,
                    kv_creator=tu.creator_for(new_config))
  assert int(new.size()) == 4  # Opening copied the old tag's live rows.
  tf.train.Checkpoint(var=new).restore(path)
  np.testing.assert_array_equal(tu.sorted_export(new)[0], keys)
  assert int(old.size()) == 4  # The old tag's rows are kept.


def test_store_mode_2_restart_continues_from_what_redis_holds(
    standalone_setup, unique_name, tmp_path):
  ref_losses, ref_final = _reference(standalone_setup, unique_name, tmp_path)
  config = _config(standalone_setup, 2, tmp_path)
  trainer = tu.Trainer(unique_name, tu.creator_for(config))
  trainer.train(_halves()[0])
  path = trainer.checkpoint().save(str(tmp_path / "ckpt"))
  saved = trainer.snapshot()
  keras.backend.clear_session()
  restarted = tu.Trainer(unique_name, tu.creator_for(config))
  restarted.restore(path)
  tu.assert_snapshots_equal(restarted.snapshot(), saved)
  np.testing.assert_array_equal(restarted.train(_halves()[1]), ref_losses)
  tu.assert_snapshots_equal(restarted.snapshot(), ref_final)


def test_store_mode_2_restore_leaves_redis_untouched(standalone_setup,
                                                     unique_name, tmp_path):
  config = _config(standalone_setup, 2, tmp_path)
  path, saved, after_save = _train_save_and_lose_work(config, unique_name,
                                                      str(tmp_path / "ckpt"))
  restarted = tu.Trainer(unique_name, tu.creator_for(config))
  restarted.restore(path)
  snapshot = restarted.snapshot()
  for (keys, rows), (want_keys, want_rows) in zip(snapshot[:-1],
                                                  after_save[:-1]):
    np.testing.assert_array_equal(keys, want_keys)
    np.testing.assert_array_equal(rows, want_rows)
  for weight, want in zip(snapshot[-1], saved[-1]):  # Dense: checkpointed.
    np.testing.assert_array_equal(weight, want)


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))
