"""The key-value table protocol every dynamic-embedding backend implements.

A `de.Variable` shard is one table made by a `KVCreator`. The Variable,
its optimizer slots and the Keras layers talk to tables only through the
methods below, so the in-process table (`InProcessHashTable`) and the Redis
table (`RedisTable`) are interchangeable.

`KVTable` is a plain base class (no metaclass): table classes also derive from
TensorFlow's `LookupInterface`, whose resource metaclass would conflict with
`abc.ABCMeta`. Each method raises `NotImplementedError` until a backend
overrides it.

Contract, beyond the signatures:
- A table holds rows of shape `[dim]` (the shape of its static default value)
  keyed by scalars of `key_dtype`; `keys` may have any shape and results take
  the shape `keys.shape + [dim]`.
- Methods return tensors (eager) or ops (graph / `tf.function`); nothing is
  cached on the Python object, so all of them work inside `tf.function`.
- Checkpoints: a table is a `Trackable` whose `_serialize_to_tensors` returns
  the full export as `{"table-keys": keys, "table-values": values}` (TF's
  `legacy_saveable_name("table")` gives the same names; the values may be
  `SaveSpec`s that export only when the save runs) and whose
  `_restore_from_tensors` *replaces* the contents: after a restore the table
  holds exactly the saved rows.
"""


class KVTable:
  """Abstract key-value table of embedding rows (see the module docstring)."""

  @property
  def key_dtype(self):
    """The `tf.DType` of keys."""
    raise NotImplementedError

  @property
  def value_dtype(self):
    """The `tf.DType` of values (the logical type callers read and write)."""
    raise NotImplementedError

  @property
  def storage_id(self):
    """Identifies where the rows live; tables with equal ids share rows.

    The shards of a Variable on Redis share one Redis table (as upstream
    names them), so `Variable.size()`, `export()` and `clear()` visit each
    storage once. None (the default) means the table's storage is its own.
    """
    return None

  def lookup(self, keys, dynamic_default_values=None, return_exists=False,
             name=None):
    """Rows of `keys`; absent keys get default rows. Never writes.

    Args:
      keys: tensor of `key_dtype`, any shape `S`.
      dynamic_default_values: optional `S + [dim]` tensor (or `[N, dim]` for
        flat keys): per-key rows returned for absent keys instead of the
        static default.
      return_exists: also return a bool tensor of shape `S`, True where the key
        is in the table.
      name: optional op name.

    Returns:
      `values` of shape `S + [dim]`, or `(values, exists)`.
    """
    raise NotImplementedError

  def insert(self, keys, values, name=None):
    """Inserts or overwrites the rows of `keys` (upsert)."""
    raise NotImplementedError

  def accum(self, keys, values_or_deltas, exists, name=None):
    """Adds deltas to existing rows, inserts the others.

    For each key: if `exists` is True, `values_or_deltas` is a delta added to
    the key's row (dropped if the key has left the table since it was read:
    a delta is not a row); if False, it is the full row, stored if the key is
    still absent (if another writer stored the key since it was read, that
    row is kept). Upstream's Redis HMACCUM semantics, which the Redis table
    applies atomically on the server; both backends behave the same.

    Args:
      keys: tensor of `key_dtype`, shape `[N]`.
      values_or_deltas: `[N, dim]` deltas (where `exists`), else full rows.
      exists: bool `[N]`, usually from an earlier `lookup(return_exists=True)`.
      name: optional op name.
    """
    raise NotImplementedError

  def remove(self, keys, name=None):
    """Removes `keys`; absent keys are ignored."""
    raise NotImplementedError

  def clear(self, name=None):
    """Removes every row."""
    raise NotImplementedError

  def size(self, name=None):
    """Number of rows, an int64 scalar."""
    raise NotImplementedError

  def export(self, name=None):
    """All rows: `(keys [M], values [M, dim])`, in no particular order."""
    raise NotImplementedError

  def adopt_renamed(self, former_name):
    """Takes over the rows stored under `former_name` (an earlier name of
    this table, e.g. a slot table named after Keras 3's slot names) when this
    table holds none; rows are moved, never merged.

    Only backends whose rows outlive the process have anything to take over;
    the default (in-process tables) does nothing.

    Args:
      former_name: the earlier table name (shard suffix `_mht_...` allowed).

    Returns:
      `(moved, kept_both)`: how many storage units were moved (0: nothing
      found, or nothing to do), and whether both names held rows, in which
      case this table kept its own and the former rows were left alone.
    """
    del former_name
    return 0, False
