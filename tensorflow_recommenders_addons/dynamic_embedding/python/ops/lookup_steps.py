"""Which training lookups of a trainable wrapper share one step's rows.

A wrapper holds the rows of one training step: the distinct ids of every
lookup made through it since its last optimizer step (upstream TFRA lets a
model look up one variable several times per step under one name, e.g. one
lookup per feature). The first lookup of a step replaces what the wrapper
held; each later one adds its new ids after the held ones, so the positions
the earlier lookups gathered from (and their gradients point at) stay valid.
The optimizer step then updates every held row once, with the gradients of
all the lookups summed, and writes them back, which ends the step.

Where a step starts:
- In a graph (a TF1 graph, a `tf.function` trace) the first training lookup
  traced into it since the last traced optimizer step starts it. That is
  decided while tracing, so each run of the graph repeats it: a
  `session.run` of a forward pass alone cannot leave ids for the next run.
- Eagerly, a lookup starts a step when the last one was followed by an
  optimizer step. A lookup while no `GradientTape` records, or through a
  wrapper no optimizer trains (`trainable=False`), cannot be trained: it
  replaces the rows and leaves the step closed, so a forward pass outside a
  tape (e.g. building a model) never joins the next step, and rows nobody
  writes back never pile up. (Eager lookups run one after another, so
  replacing the rows cannot disturb an earlier lookup's result; in a graph
  the lookups of a run are concurrent, so they always share the rows.)
Replicas of a `tf.distribute` strategy each hold rows of their own
(replica_rows.py), so each has its own steps.
"""

import weakref

import tensorflow as tf
from tensorflow.python.eager import record as tape_record

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import replica_rows


class LookupSteps:
  """The open steps of one wrapper, per graph (None eagerly) and replica.

  `previous()` before a lookup, `record(...)` after it, `close()` at the
  optimizer's write-back. Not thread-safe beyond what Python's dict
  operations are (replicas touch distinct keys).
  """

  def __init__(self):
    # {graph: {replica: op after which the step's rows are held}}
    self._graphs = weakref.WeakKeyDictionary()
    self._eager = {}  # {replica: True} while a step is open eagerly.

  def _open_steps(self):
    if tf.executing_eagerly():
      return self._eager
    return self._graphs.setdefault(tf.compat.v1.get_default_graph(), {})

  def previous(self):
    """None when this lookup starts a step; else what it must run after (an
    op in a graph, True eagerly)."""
    return self._open_steps().get(replica_rows.replica_key())

  def record(self, done, trainable):
    """Marks the step open after a lookup; `done` completes its writes,
    `trainable`: whether an optimizer trains the wrapper."""
    if tf.executing_eagerly():
      if not (trainable and tape_record.could_possibly_record()):
        return  # Untrainable lookup: see the module docstring.
      done = True
    self._open_steps()[replica_rows.replica_key()] = done

  def close(self):
    """Ends the step of the current graph (or eager context) and replica."""
    self._open_steps().pop(replica_rows.replica_key(), None)


def merge_ids(held_ids, flat_ids):
  """The ids of another lookup of an open step, merged after the held ones.

  Args:
    held_ids: `[n]` distinct ids the wrapper holds.
    flat_ids: `[m]` ids of the new lookup (repeats allowed).

  Returns:
    `(all_ids, new_ids, index)`: the held ids followed by the new distinct
    ones (so held ids keep their positions: `tf.unique` keeps first
    occurrences in order), the new distinct ids alone, and the position in
    `all_ids` of each of `flat_ids`.
  """
  count = tf.size(held_ids)
  all_ids, index = tf.unique(tf.concat([held_ids, flat_ids], 0),
                             out_idx=tf.int32)
  return all_ids, all_ids[count:], index[count:]


def control_inputs(previous):
  """What `LookupSteps.previous()` returned, as control inputs (none
  eagerly)."""
  if tf.executing_eagerly() or not isinstance(previous,
                                              (tf.Tensor, tf.Operation)):
    return []
  return [previous]
