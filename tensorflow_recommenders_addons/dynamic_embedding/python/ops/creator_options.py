"""What a `KVCreator` is configured with: table configs and savers.

`RedisTableCreator(config=RedisTableConfig(...), saver=FileSystemSaver(...))`:
the config says where a backend's tables live, the saver how they are saved
beside checkpoints. Plain immutable values that import nothing of this
package, so the creators (`dynamic_embedding_creator`) and the tables
(`redis_table_ops`) both import them from below. Upstream TFRA defines them in
`dynamic_embedding_creator`, which re-exports them under their old paths.
"""

import dataclasses


class CuckooHashTableConfig:
  """Settings of the in-process backend: there are none.

  Upstream's name, kept so code written for TFRA runs unchanged.
  """


@dataclasses.dataclass(frozen=True)
class RedisTableConfig:
  """Where a Redis table finds its JSON configuration file.

  Immutable: tables read it, never rewrite it (upstream's RedisTable mutated
  it). The path resolution order (env var named here, then
  `TFRA_REDIS_CONFIG_PATH`, then `redis_config_abs_dir`) is applied by the
  table.

  Args:
    redis_config_abs_dir: path of the JSON configuration file.
    redis_config_abs_dir_env: name of an environment variable holding that
      path.
  """
  redis_config_abs_dir: str = None
  redis_config_abs_dir_env: str = None


class DynamicEmbeddingSaver:
  """Base of the savers a `KVCreator` accepts (see `FileSystemSaver`)."""


@dataclasses.dataclass(frozen=True)
class FileSystemSaver(DynamicEmbeddingSaver):
  """Settings for saving a variable's rows as key/value files beside its
  checkpoints instead of in them.

  Every TF2 checkpoint or SavedModel holding a variable whose creator has
  this saver writes the variable's key/value files (upstream's names and
  bytes) into `save_path`, or a `TFRADynamicEmbedding[-<N>]` folder beside
  the checkpoint, and restoring reads them back (see file_system_saver.py).
  Immutable, like the creators that hold it.

  Example:
    >>> creator = de.RedisTableCreator(config, saver=de.FileSystemSaver())

  Args:
    proc_size: number of processes sharing the files (None: 1).
    proc_rank: this process's rank (None: 0).
    save_path: directory for the files (None: next to the checkpoint).
    buffer_size: rows per file write.
  """
  proc_size: int = None
  proc_rank: int = None
  save_path: str = None
  buffer_size: int = 4096


__all__ = [
    "CuckooHashTableConfig",
    "DynamicEmbeddingSaver",
    "FileSystemSaver",
    "RedisTableConfig",
]
