"""A layer's tables in Keras weight files (`model.save("x.keras")`,
`save_weights("x.weights.h5")`, and loading them back).

Keras writes each layer's weights into an HDF5 group through the layer's
`save_own_variables(store)`. For a dynamic-embedding layer the weights are
its tables' rows, and what the file holds follows the tables' checkpoint
semantics (`table_store_mode` for Redis), as a TF checkpoint's would:

| table | file holds | loading |
|---|---|---|
| in-process, Redis mode 0 | every row | the table holds exactly those rows |
| Redis mode 1 | empty arrays; the rows go to DUMP files | RESTORE of the DUMP files |
| Redis mode 2 | empty arrays | nothing: the rows live in Redis |

Entries are numbered per table of the variable (one per storage: the shards
of a Redis variable share one), keys then values: "0", "1", "2", ... The
trainable wrapper holds one batch's scratch rows and is not saved.
"""

import numpy as np
import tensorflow as tf
from tensorflow.python.training.saving import saveable_object

# HDF5 has no bfloat16; such rows are stored as float32 (exact).
_STORED_AS = {tf.bfloat16: tf.float32}


def _saved_tables(variables):
  """(table, its two checkpoint entry names) of every table that saves
  (checkpoint=True), one per storage, in a fixed order."""
  for variable in variables:
    for table in variable._distinct_storage_tables():  # pylint: disable=protected-access
      tensors = table._serialize_to_tensors()  # pylint: disable=protected-access
      if tensors:
        yield table, tensors


def _as_array(value, dtype):
  """A checkpoint tensor (or deferred SaveSpec) as an HDF5-storable array."""
  if isinstance(value, saveable_object.SaveSpec):
    value = value.tensor
  value = tf.cast(value, _STORED_AS.get(dtype, dtype))
  array = value.numpy()
  if dtype == tf.string:  # Fixed-length bytes: HDF5 has no object arrays.
    return np.array(array.tolist(), dtype=bytes).reshape(array.shape)
  return array


def save(variables, store):
  """Writes the tables of `variables` (`de.Variable`s) into `store`."""
  index = 0
  for table, tensors in _saved_tables(variables):
    for entry, dtype in zip(sorted(tensors),
                            (table.key_dtype, table.value_dtype)):
      store[str(index)] = _as_array(tensors[entry], dtype)
      index += 1


def load(variables, store):
  """Restores the tables of `variables` from what `save` wrote.

  Raises:
    ValueError: the store holds another number of entries (a file of another
      model, or of a layer with other variables).
  """
  tables = list(_saved_tables(variables))
  if len(store.keys()) != 2 * len(tables):
    raise ValueError(
        "expected %d weight entries (keys and values of %d tables), found %d"
        % (2 * len(tables), len(tables), len(store.keys())))
  for i, (table, tensors) in enumerate(tables):
    names = sorted(tensors)
    keys = tf.constant(store[str(2 * i)][...], table.key_dtype)
    values = tf.cast(tf.constant(store[str(2 * i + 1)][...]),
                     table.value_dtype)
    table._restore_from_tensors({names[0]: keys, names[1]: values})  # pylint: disable=protected-access
