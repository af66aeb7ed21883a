"""`de.Variable.save_to_file_system` / `load_from_file_system`, per shard.

Shard i's files are `<dir>/<name>-keys` / `-values`, named as TFRA 0.8 names
them: the shard table's name with `_mht_XofY` rewritten to
`_mht_<i+1>of<n>_rank<r>_size<s>`, or `file_name_list[i]`.

Whatever the backend, shard i's files hold the rows whose keys map to shard
i, each row once. In-process shards write their own tables (as TFRA 0.8's
cuckoo table does). Shards that share one Redis table export it once and
split it with the variable's partitioner: TFRA 0.8 wrote the whole shared
table into every shard's files (n copies of every row). A one-shard Redis
variable streams through the table's own op.

Loading reads every shard's files. Tables sharing one storage (Redis) load
through their own file ops, once per shared table for `load_entire_dir`; the others
read the files here and upsert through the variable, so each row goes to the
shard its key maps to now. Files of either backend, of TFRA 0.8 (its Redis
files too, where every file holds every row) and, with `load_entire_dir`, of
another shard count therefore load correctly.
"""

import re

import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import kv_file_io

# The shard part of a table name (TFRA 0.8's pattern, greedy as there).
_SHARD_SUFFIX = re.compile(r"_mht_([^/]*)of([^/]*)")


def shard_file_names(var, proc_size, proc_rank, file_name_list):
  """TFRA 0.8's per-shard file names, or `file_name_list` checked.

  Raises:
    ValueError: `file_name_list` does not hold one name per shard.
  """
  if file_name_list is not None:
    file_name_list = list(file_name_list)
    if len(file_name_list) != var.shard_num:
      raise ValueError("%s: file_name_list needs %d names (one per shard), "
                       "got %d" % (var.name, var.shard_num,
                                   len(file_name_list)))
    return file_name_list
  # The shard tables' names as the Variable gives them (an eager table's
  # `name` is None).
  table_prefix = var.name.replace("/", "_")
  return [
      _SHARD_SUFFIX.sub(
          "_mht_%dof%d_rank%d_size%d" % (index + 1, var.shard_num, proc_rank,
                                         proc_size),
          "%s_mht_%dof%d" % (table_prefix, index + 1, var.shard_num))
      for index in range(var.shard_num)
  ]


def _storage_groups(tables):
  """Shard indices grouped by the storage they share, in shard order."""
  groups = {}
  for index, table in enumerate(tables):
    storage = table.storage_id
    groups.setdefault(("own", index) if storage is None else storage,
                      []).append(index)
  return list(groups.values())


def _split_by_shard(var, group, keys, values):
  """`[(keys, values)]` of each shard of `group`, by the partitioner."""
  ids = var.partition_fn(keys, var.shard_num)
  # Rows of shards outside the group (none when all shards share the
  # storage) stay with it: in its first shard's files.
  in_group = tf.reduce_any(
      tf.equal(tf.expand_dims(ids, 1), tf.constant([group], ids.dtype)),
      axis=1)
  ids = tf.where(in_group, ids, tf.cast(group[0], ids.dtype))
  shard_keys = tf.dynamic_partition(keys, ids, var.shard_num)
  shard_values = tf.dynamic_partition(values, ids, var.shard_num)
  return [(shard_keys[index], shard_values[index]) for index in group]


def save(var, dirpath, names, dirpath_env, append_to_file, buffer_size):
  """The save op of `Variable.save_to_file_system` (see the module doc)."""
  saves = []

  def file_args(index):
    return dict(dirpath=dirpath, file_name=names[index],
                dirpath_env=dirpath_env, append_to_file=append_to_file,
                buffer_size=buffer_size)

  for group in _storage_groups(var.tables):
    table = var.tables[group[0]]
    if len(group) == 1 and hasattr(table, "save_to_file_system"):
      saves.append(table.save_to_file_system(**file_args(group[0])))
      continue
    keys, values = table.export()
    parts = ([(keys, values)] if len(group) == 1 else
             _split_by_shard(var, group, keys, values))
    for index, (shard_keys, shard_values) in zip(group, parts):
      saves.append(kv_file_io.save_rows(shard_keys, shard_values,
                                        **file_args(index)))
  return tf.group(*saves)


def load(var, dirpath, names, dirpath_env, load_entire_dir, buffer_size):
  """The load op of `Variable.load_from_file_system` (see the module doc)."""
  loads = []
  own_files = []
  whole_dir_loaded = set()
  for index, table in enumerate(var.tables):
    if table.storage_id is None:  # Rows of its own: routed by key here.
      own_files.append(names[index])
      continue
    storage = table.storage_id
    if load_entire_dir and storage is not None:
      if storage in whole_dir_loaded:
        continue  # The first shard's load read every file already.
      whole_dir_loaded.add(storage)
    loads.append(table.load_from_file_system(
        dirpath, file_name=names[index], dirpath_env=dirpath_env,
        load_entire_dir=load_entire_dir, buffer_size=buffer_size))
  if own_files:
    keys, values = kv_file_io.load_rows(
        dirpath, own_files, dirpath_env, load_entire_dir, var.key_dtype,
        var.value_dtype, var.dim)
    loads.append(var.upsert(keys, values))
  return tf.group(*loads)


class FileSystemMethods:
  """`save_to_file_system` / `load_from_file_system` of `de.Variable`.

  Mixed into `Variable`, which provides `name`, `shard_num`, `tables`,
  `partition_fn`, `key_dtype`, `value_dtype`, `dim`, `upsert` and
  `_scope_name`.
  """

  def save_to_file_system(self,
                          dirpath,
                          proc_size=1,
                          proc_rank=0,
                          file_name_list=None,
                          dirpath_env="TFRA_SAVED_KV",
                          append_to_file=False,
                          buffer_size=4194304,
                          name=None):
    """Writes every row to key/value files, one pair per shard.

    Shard i's files, `<table name with _mht_XofY -> _mht_<i+1>of<n>_rank<r>
    _size<s>>-keys` / `-values` (TFRA 0.8's names and numeric byte layout),
    hold the rows whose keys map to shard i, each row once, on every backend
    (TFRA 0.8 wrote a shared Redis table whole into every shard's files).
    See the module doc.

    Example:
      >>> var.save_to_file_system("/tmp/kv")  # emb_mht_1of1_rank0_size1-keys
      >>> fresh.load_from_file_system("/tmp/kv")

    Args:
      dirpath: the folder; the env var named `dirpath_env`, when set to a
        non-empty value, overrides it. Any TensorFlow file system.
      proc_size: number of processes (e.g. Horovod) saving this variable.
      proc_rank: rank of this process; with `proc_size` part of the names.
      file_name_list: one file name per shard instead of the default names.
      dirpath_env: name of the env var that overrides `dirpath`.
      append_to_file: append to existing files instead of replacing them.
      buffer_size: rows per write.
      name: optional name scope.

    Returns:
      An op that saves every shard (eagerly None: it has run).

    Raises:
      ValueError: `file_name_list` does not hold one name per shard.
    """
    names = shard_file_names(self, proc_size, proc_rank, file_name_list)
    with tf.name_scope(name or "%s_save_to_file_system" % self._scope_name):
      return save(self, dirpath, names, dirpath_env, append_to_file,
                  buffer_size)

  def load_from_file_system(self,
                            dirpath,
                            proc_size=1,
                            proc_rank=0,
                            file_name_list=None,
                            dirpath_env="TFRA_SAVED_KV",
                            load_entire_dir=False,
                            buffer_size=4194304,
                            name=None):
    """Upserts the rows of files written by `save_to_file_system`.

    Every shard's files are read; each row goes to the shard its key maps
    to, so files of either backend or of TFRA 0.8 load.

    Args:
      dirpath: the folder; the env var named `dirpath_env`, when set to a
        non-empty value, overrides it.
      proc_size: number of processes that saved (part of the file names).
      proc_rank: rank whose files to load (part of the file names).
      file_name_list: one file name per shard instead of the default names.
      dirpath_env: name of the env var that overrides `dirpath`.
      load_entire_dir: load every saved file pair of this variable in the
        folder (all shard counts, ranks and sizes: names that share the
        shard's file name up to its last "_mht_").
      buffer_size: rows per insert (tables with file ops of their own).
      name: optional name scope.

    Returns:
      An op that loads every shard (eagerly None: it has run).

    Raises:
      ValueError: `file_name_list` does not hold one name per shard.
      NotFoundError: a file is missing (eagerly; in a graph when run).
      InvalidArgumentError: a keys file and its values file disagree.
    """
    names = shard_file_names(self, proc_size, proc_rank, file_name_list)
    with tf.name_scope(name or "%s_load_from_file_system" % self._scope_name):
      return load(self, dirpath, names, dirpath_env, load_entire_dir,
                  buffer_size)
