"""FileSystemSaver: checkpoints write a variable's key/value files as
upstream does, and restores read them back."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.training_util import sorted_export

pytestmark = pytest.mark.usefixtures("fresh_session")


def _creator(make_creator, **saver_args):
  plain = make_creator()
  return type(plain)(config=plain.config,
                     saver=de.FileSystemSaver(**saver_args))


@pytest.mark.parametrize("checkpoint_class",
                         [tf.train.Checkpoint, de.train.Checkpoint])
def test_checkpoint_writes_key_value_files_and_restore_reads_them(
    make_creator, unique_name, tmp_path, checkpoint_class):
  var = de.Variable(dim=2, name=unique_name, devices=["/CPU:0"] * 2,
                    kv_creator=_creator(make_creator))
  var.upsert(tu.keys(1, 2, 3), [[1., 1.], [2., 2.], [3., 3.]])
  checkpoint = checkpoint_class(var=var)
  path = checkpoint.save(str(tmp_path / "ckpt"))
  assert path.endswith("ckpt-1")
  folder = tmp_path / "TFRADynamicEmbedding-1"
  assert sorted(os.listdir(folder)) == sorted(
      "%s_mht_%dof2_rank0_size1-%s" % (unique_name, i, part)
      for i in (1, 2) for part in ("keys", "values"))
  # The rows are in the files only, not in checkpoint tensors.
  assert not [n for n, _ in tf.train.list_variables(path) if "table" in n]
  var.upsert(tu.keys(4), [[4., 4.]])
  var.remove(tu.keys(1))
  checkpoint.restore(path)
  keys, values = sorted_export(var)
  np.testing.assert_array_equal(keys, [1, 2, 3])
  np.testing.assert_array_equal(values, [[1., 1.], [2., 2.], [3., 3.]])


def test_save_path_and_process_rank_name_the_files(make_creator, unique_name,
                                                   tmp_path):
  target = tmp_path / "kv"
  var = de.Variable(dim=1, name=unique_name,
                    kv_creator=_creator(make_creator, save_path=str(target),
                                        proc_size=2, proc_rank=1))
  var.upsert(tu.keys(5), [[5.]])
  tf.train.Checkpoint(var=var).write(str(tmp_path / "plain"))
  assert sorted(os.listdir(target)) == [
      "%s_mht_1of1_rank1_size2-keys" % unique_name,
      "%s_mht_1of1_rank1_size2-values" % unique_name
  ]


def test_de_checkpoint_removes_folders_of_deleted_checkpoints(
    make_creator, unique_name, tmp_path):
  var = de.Variable(dim=1, name=unique_name,
                    kv_creator=_creator(make_creator))
  checkpoint = de.train.DECheckpoint(var=var)
  manager = tf.train.CheckpointManager(checkpoint, str(tmp_path), 2)
  for step in range(3):
    var.upsert(tu.keys(step), [[float(step)]])
    manager.save()
  manager.save()
  # The manager kept ckpt-3 and ckpt-4; the folders of the others went.
  folders = sorted(p for p in os.listdir(tmp_path)
                   if p.startswith("TFRADynamicEmbedding"))
  assert folders == ["TFRADynamicEmbedding-3", "TFRADynamicEmbedding-4"]
  assert not tf.io.gfile.glob(str(tmp_path / "ckpt-2.index"))


def test_a_saved_model_holds_the_files_of_a_redis_variable(standalone_setup,
                                                           unique_name,
                                                           tmp_path):
  creator = standalone_setup.creator()
  creator = de.RedisTableCreator(creator.config, saver=de.FileSystemSaver())
  module = tf.Module()
  module.var = de.Variable(dim=1, name=unique_name, kv_creator=creator)
  module.var.upsert(tu.keys(7, 8), [[7.], [8.]])
  tf.saved_model.save(module, str(tmp_path / "sm"))
  files = os.listdir(tmp_path / "sm" / "variables" / "TFRADynamicEmbedding")
  assert sorted(files) == ["%s_mht_1of1_rank0_size1-keys" % unique_name,
                           "%s_mht_1of1_rank0_size1-values" % unique_name]


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))
