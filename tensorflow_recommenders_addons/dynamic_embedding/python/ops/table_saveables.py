"""A `de.Variable`'s tables in TF1 name-based checkpoints.

`tf.compat.v1.train.Saver` saves SaveableObjects by name. In a TF1 graph
each checkpointed table of a variable becomes one, named as upstream TFRA
names it (`<table op name>-keys`, `<table op name>-values`), so TF1
checkpoints read the same in both. The variable puts them in the graph's
`SAVEABLE_OBJECTS` collection (a default `Saver()`, and
`MonitoredTrainingSession`'s, save them) and hands them to a Saver that is
given the variable itself (`Saver(var_list=[..., variable])`); a table
given to a Saver by itself (`Saver([var._tables[0]])`, as upstream's tests
do) hands over the same one (`tf1_saver_entries`), so either Saver restores
what the other saved.

TF2 object-based checkpoints do not use these: they save each table through
its own `_serialize_to_tensors` (see kv_table.py).
"""

import tensorflow as tf
from tensorflow.python.training.saving import saveable_object


class TableSaveable(saveable_object.SaveableObject):
  """One table's rows (its checkpoint export) under upstream's TF1 names.

  Restoring replaces the table's contents, as a TF2 restore does.
  """

  def __init__(self, table, name, tensors):
    """`tensors`: the table's `_serialize_to_tensors()` (two entries)."""
    # ("-keys", "-values") or ("table-keys", "table-values"), by table type.
    self._keys_entry, self._values_entry = sorted(tensors)
    specs = [
        saveable_object.SaveSpec(tensors[self._keys_entry], "",
                                 name + "-keys"),
        saveable_object.SaveSpec(tensors[self._values_entry], "",
                                 name + "-values"),
    ]
    super().__init__(table, specs, name)

  def restore(self, restored_tensors, restored_shapes):
    del restored_shapes  # Tables take any number of rows.
    return self.op._restore_from_tensors({  # pylint: disable=protected-access
        self._keys_entry: restored_tensors[0],
        self._values_entry: restored_tensors[1],
    })


def saveable_of(table):
  """The TableSaveable of a checkpointed table in a TF1 graph (made once,
  named after the table's resource op); None eagerly or when the table
  saves nothing."""
  if tf.executing_eagerly():
    return None
  cached = getattr(table, "_tfra_tf1_saveable", None)
  if cached is None:
    tensors = table._serialize_to_tensors()  # pylint: disable=protected-access
    if not tensors:
      return None
    cached = TableSaveable(table, table.resource_handle.op.name, tensors)
    table._tfra_tf1_saveable = cached  # pylint: disable=protected-access
  return cached


def _own_saveable(table, graph):
  """The saveable a table put into `graph`'s SAVEABLE_OBJECTS itself (TF's
  MutableHashTable, the in-process table, does), or None."""
  for saveable in graph.get_collection(
      tf.compat.v1.GraphKeys.SAVEABLE_OBJECTS):
    if saveable.op is table:
      return saveable
  return None


def tf1_saver_entries(table):
  """What `tf.compat.v1.train.Saver(var_list=[table])` saves of a table (its
  `_gather_saveables_for_checkpoint`): the entry its variable saves, named
  as upstream's. Nothing eagerly, where TF2 checkpoints use the table's
  `_serialize_to_tensors`."""
  if tf.executing_eagerly():
    return {}
  saveable = _own_saveable(table, table.resource_handle.graph)
  if saveable is None:
    saveable = saveable_of(table)
  return {} if saveable is None else {"table": saveable}


def graph_saveables(tables, checkpoint):
  """The saveables of `tables` in a TF1 graph; none eagerly or without
  `checkpoint`. New TableSaveables go into the graph's SAVEABLE_OBJECTS
  collection; a table that put its own there keeps it."""
  if not checkpoint or tf.executing_eagerly():
    return []
  saveables = []
  for table in tables:
    own = _own_saveable(table, tf.compat.v1.get_default_graph())
    if own is not None:
      saveables.append(own)
      continue
    saveable = saveable_of(table)
    if saveable is None:
      continue  # The table saves nothing (e.g. its own checkpoint=False).
    tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.SAVEABLE_OBJECTS,
                                   saveable)
    saveables.append(saveable)
  return saveables
