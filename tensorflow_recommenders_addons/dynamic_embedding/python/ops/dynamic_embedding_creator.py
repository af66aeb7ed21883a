"""Creators: immutable factories that make one `KVTable` per variable shard.

A `de.Variable` calls `kv_creator.create(...)` once per shard, and again for
every optimizer slot variable (slots reuse the primary variable's creator), so
one creator object configures every table of a model. Creators keep only their
constructor arguments; `create` stores nothing on `self`.

The configs and savers creators take live in `creator_options` (imported here
from below, and re-exported: upstream's scripts import them from this module).
"""

import dataclasses

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import in_process_table_ops
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_table_ops
# pylint: disable=unused-import
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.creator_options import CuckooHashTableConfig
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.creator_options import DynamicEmbeddingSaver
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.creator_options import FileSystemSaver
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.creator_options import RedisTableConfig
# pylint: enable=unused-import


@dataclasses.dataclass(frozen=True)
class TableArguments:
  """One `KVCreator.create` call's arguments (see there), `config` resolved.

  `as_kwargs()` gives them as keyword arguments of a table constructor.
  """
  key_dtype: object
  value_dtype: object
  default_value: object
  name: str
  checkpoint: bool
  init_size: int
  config: object
  device: str
  shard_saveable_object_fn: object

  def as_kwargs(self):
    # Not dataclasses.asdict: it would deep-copy tensors.
    return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


class KVCreator:
  """Abstract factory of `KVTable`s (one per `de.Variable` shard).

  Args:
    config: backend settings (e.g. a `RedisTableConfig`), or None.
    saver: a `DynamicEmbeddingSaver` (e.g. `FileSystemSaver`), or None.

  Raises:
    RuntimeError: `saver` is not a `DynamicEmbeddingSaver` (upstream's error).
  """

  def __init__(self, config=None, saver=None):
    if saver is not None and not isinstance(saver, DynamicEmbeddingSaver):
      raise RuntimeError("saver must be a DynamicEmbeddingSaver such as "
                         "FileSystemSaver, got %r" % (saver,))
    self._config = config
    self._saver = saver

  @property
  def config(self):
    return self._config

  @property
  def saver(self):
    return self._saver

  def get_config(self):
    """The creator's settings as JSON-safe values (Keras layer configs carry
    it, so a saved model reopens its tables in the same backend).

    Upstream's `get_config` returned the arguments of the last `create`
    call, which a stateless creator does not keep; this returns what
    `from_config` needs instead.

    Example:
      >>> de.RedisTableCreator(de.RedisTableConfig("/etc/r.json")).get_config()
      {'config': {'redis_config_abs_dir': '/etc/r.json',
                  'redis_config_abs_dir_env': None}, 'saver': None}
    """
    return {"config": _options_as_dict(self._config),
            "saver": _options_as_dict(self._saver)}

  @classmethod
  def from_config(cls, config):
    """The creator `get_config` described."""
    return cls(config=cls._CONFIG_CLASS(**config["config"])
               if config.get("config") is not None else None,
               saver=FileSystemSaver(**config["saver"])
               if config.get("saver") is not None else None)

  # The class of `config`, for from_config.
  _CONFIG_CLASS = None

  def create(self,
             key_dtype=None,
             value_dtype=None,
             default_value=None,
             name=None,
             checkpoint=None,
             init_size=None,
             config=None,
             device=None,
             shard_saveable_object_fn=None):
    """Makes one table.

    Args:
      key_dtype: key `tf.DType`.
      value_dtype: value `tf.DType`.
      default_value: `[dim]` row for absent keys (fixes the row shape).
      name: table name; a variable names its shards `<var>_mht_<i>of<n>`.
      checkpoint: whether checkpoints save the table.
      init_size: capacity hint.
      config: overrides the creator's config for this table, or None.
      device: device string for the table.
      shard_saveable_object_fn: saveable factory (file-system savers).

    Returns:
      A `KVTable`.
    """
    return self._create_table(
        TableArguments(key_dtype=key_dtype,
                       value_dtype=value_dtype,
                       default_value=default_value,
                       name=name,
                       checkpoint=checkpoint,
                       init_size=init_size or 0,
                       config=config if config is not None else self.config,
                       device=device or "",
                       shard_saveable_object_fn=shard_saveable_object_fn))

  def _create_table(self, arguments):
    """Makes the table `create` was asked for (`arguments`: TableArguments)."""
    raise NotImplementedError("%s must implement _create_table()" %
                              type(self).__name__)


def _options_as_dict(options):
  """A config or saver as a dict of its fields; None stays None."""
  if options is None:
    return None
  if dataclasses.is_dataclass(options):
    return dataclasses.asdict(options)
  return {}  # CuckooHashTableConfig: no settings.


def serialize_creator(creator):
  """`{"class_name": ..., "config": creator.get_config()}`, or None."""
  if creator is None:
    return None
  return {"class_name": type(creator).__name__, "config": creator.get_config()}


def deserialize_creator(creator):
  """A creator from `serialize_creator`'s dict; creators and None pass.

  Raises:
    ValueError: a dict naming a creator class this package does not have.
  """
  if not isinstance(creator, dict):
    return creator
  cls = {c.__name__: c for c in (CuckooHashTableCreator, RedisTableCreator)
        }.get(creator.get("class_name"))
  if cls is None:
    raise ValueError("unknown kv_creator class %r" % creator.get("class_name"))
  return cls.from_config(creator["config"])


class CuckooHashTableCreator(KVCreator):
  """Makes in-process tables (`InProcessHashTable`); the default creator.

  Upstream's name, kept for API compatibility. The tables are TF's
  `MutableHashTable` (CPU), not upstream's cuckoo hash map: same behaviour,
  different performance, no GPU kernels.

  Example:
    >>> var = de.get_variable("emb", dim=8,
    ...                       kv_creator=de.CuckooHashTableCreator())
  """

  _CONFIG_CLASS = CuckooHashTableConfig

  def _create_table(self, arguments):
    return in_process_table_ops.InProcessHashTable(**dataclasses.replace(
        arguments,
        name=arguments.name or "InProcessHashTable",
        checkpoint=True if arguments.checkpoint is None else
        arguments.checkpoint).as_kwargs())


class RedisTableCreator(KVCreator):
  """Makes `RedisTable`s: every shard and slot of a variable lives in Redis.

  The Redis op library loads on the first `create`, not at import.

  Example:
    >>> creator = de.RedisTableCreator(
    ...     de.RedisTableConfig(redis_config_abs_dir="/etc/tfra/redis.json"))
    >>> var = de.get_variable("emb", dim=8, kv_creator=creator)

  Args:
    config: a `RedisTableConfig`, or None for `RedisTableConfig()`.
    saver: a `DynamicEmbeddingSaver`, or None.
  """

  _CONFIG_CLASS = RedisTableConfig

  def _create_table(self, arguments):
    """Makes one `RedisTable`; `init_size` is ignored by Redis.

    Raises:
      TypeError: `config` (or the creator's config) is neither None nor a
        `RedisTableConfig` (checked by `RedisTable`).
    """
    kwargs = dataclasses.replace(
        arguments,
        name=arguments.name or "RedisTable",
        checkpoint=False if arguments.checkpoint is None else
        arguments.checkpoint).as_kwargs()
    del kwargs["init_size"]  # Redis tables grow on demand.
    return redis_table_ops.RedisTable(**kwargs)


def default_creator():
  """The creator used when a variable is given none."""
  return CuckooHashTableCreator()


def check_creator(kv_creator):
  """Returns `kv_creator`, or the default one for None.

  Raises:
    TypeError: `kv_creator` is not a `KVCreator`.
  """
  if kv_creator is None:
    return default_creator()
  if not isinstance(kv_creator, KVCreator):
    raise TypeError("kv_creator must be a KVCreator, got %r" % (kv_creator,))
  return kv_creator


__all__ = [
    "CuckooHashTableConfig",
    "CuckooHashTableCreator",
    "DynamicEmbeddingSaver",
    "FileSystemSaver",
    "KVCreator",
    "RedisTableConfig",
    "RedisTableCreator",
]
