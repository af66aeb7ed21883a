"""A `de.Variable`'s tables in TF1 name-based checkpoints.

`tf.compat.v1.train.Saver` saves SaveableObjects by name. In a TF1 graph
each checkpointed table of a variable becomes one, named as upstream TFRA
names it (`<table op name>-keys`, `<table op name>-values`), so TF1
checkpoints read the same in both. The variable puts them in the graph's
`SAVEABLE_OBJECTS` collection (a default `Saver()`, and
`MonitoredTrainingSession`'s, save them) and hands them to a Saver that is
given the variable itself (`Saver(var_list=[..., variable])`); a Redis
table given to a Saver by itself hands over the same one.

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


def graph_saveables(tables, checkpoint):
  """The saveables of `tables` in a TF1 graph; none eagerly or without
  `checkpoint`. New TableSaveables go into the graph's SAVEABLE_OBJECTS
  collection; a table that put its own there keeps it."""
  if not checkpoint or tf.executing_eagerly():
    return []
  collection = tf.compat.v1.GraphKeys.SAVEABLE_OBJECTS
  # TF's MutableHashTable (the in-process table) adds its own saveable.
  own = {id(s.op): s for s in tf.compat.v1.get_collection(collection)}
  saveables = []
  for table in tables:
    if id(table) in own:
      saveables.append(own[id(table)])
      continue
    saveable = saveable_of(table)
    if saveable is None:
      continue  # The table saves nothing (e.g. its own checkpoint=False).
    tf.compat.v1.add_to_collection(collection, saveable)
    saveables.append(saveable)
  return saveables
