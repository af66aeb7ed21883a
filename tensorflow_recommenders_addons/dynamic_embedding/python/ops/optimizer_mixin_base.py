"""What the optimizer mixins of every family share (see
dynamic_embedding_optimizer.py): their state, slot creation and the apply
step around the family's own update.

One step, in every family:
1. the family makes its slots (`make_slots`); for a wrapper the slot hooks
   call `_de_add_slot`, which creates a slot variable in the primary's
   backend and returns a slot wrapper;
2. slot wrappers are filled with the rows of the looked-up ids, gradients
   of wrappers are made dense (`slot_variables.StepPlan`);
3. the family's own update runs, seeing wrappers (or their rows variables)
   as ordinary variables;
4. rows and slot rows are written back (upsert, or `accum` with bp_v2).
"""

import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.ops import embedding_weights
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import slot_variables


class DynamicEmbeddingMixinBase:
  """State and steps shared by the family mixins.

  Plain attributes (set by `init_state`, outside Keras/TF tracking): `_de_bp_v2`
  and `_de_slot_registry`. Not thread-safe, as optimizers are not.
  """

  def _de_init_state(self, bp_v2):
    object.__setattr__(self, "_de_bp_v2", bool(bp_v2))
    object.__setattr__(self, "_de_slot_registry", slot_variables.SlotRegistry())

  def get_slot_wrappers(self, wrapper):
    """The slot wrappers this optimizer made for `wrapper`, in build order."""
    return self._de_slot_registry.of(wrapper)

  def _de_add_slot(self, wrapper, slot_name, initial_value, scope=None,
                   former_name=None):
    """Makes the slot `slot_name` of `wrapper`; returns its slot wrapper.

    The slot variable becomes a checkpoint dependency of the optimizer,
    named by its full name. Asked again (a wrapper listed once per lookup in
    the variables an optimizer builds for), returns the slot made first.
    """
    full_name = slot_variables.slot_full_name(
        wrapper.params, scope or wrapper.store_name, slot_name)
    made = self._de_slot_registry.find(wrapper, full_name)
    if made is not None:
      return made
    slot = slot_variables.make_slot(wrapper, slot_name, initial_value,
                                    self._de_bp_v2, scope=scope,
                                    former_name=former_name)
    self._track_trackable(slot.params, name=slot.params.name, overwrite=True)
    policy = wrapper.params.restrict_policy
    if policy is not None:  # Its restrictions cover the slot tables too.
      policy._track_params_from_optimizer_slots([slot.params])  # pylint: disable=protected-access
    self._de_slot_registry.add(wrapper, slot)
    return slot

  def _create_or_restore_slot_variable(self, slot_variable_position,
                                       slot_name, variable):
    """Checkpoint restore of a slot (TF1 and OptimizerV2 optimizers).

    A wrapper's slot holds one step's scratch rows and saved nothing: it is
    only bound to its checkpoint entry (when it exists already), while its
    slot table restores as a dependency of the optimizer. Other slots restore
    as the family restores them.
    """
    if embedding_weights.wrapper_of(variable) is None:
      return super()._create_or_restore_slot_variable(  # pylint: disable=no-member
          slot_variable_position, slot_name, variable)
    try:
      slot = self.get_slot(variable, slot_name)  # pylint: disable=no-member
    except KeyError:
      slot = None
    if slot is not None:
      slot_variable_position.restore(slot)
    return None

  def _de_apply(self, grads_and_vars, make_slots, apply, rows_face):
    """Runs one step (see the module docstring).

    Args:
      grads_and_vars: the caller's pairs; wrappers in either face.
      make_slots: `fn(grads_and_vars)` making every slot (idempotent; the
        pairs as the family will see them); called under `tf.init_scope()`.
      apply: `fn(grads_and_vars)` running the family's own update; returns
        its op or result.
      rows_face: the family trains `RowsVariable`s, not Keras 3 wrappers.

    Returns:
      `apply`'s result; in a TF1 graph, an op that also writes back.
    """
    plan = slot_variables.StepPlan(grads_and_vars, rows_face)
    with tf.init_scope():
      make_slots(plan.grads_and_vars)
    plan.fill_slots(self.get_slot_wrappers)
    with tf.control_dependencies(plan.ready):
      update = apply(plan.grads_and_vars)
    writes = plan.write_back(update)
    if tf.executing_eagerly() or tf.inside_function() or not writes:
      return update
    # A Session runs only what the returned op depends on.
    return tf.group([update] + writes if update is not None else writes)


def slot_in_face(asked, slot):
  """A slot as `get_slot` answers: a wrapper's Keras 3 face asked, the slot
  wrapper (which has `.params`, as upstream's slots) answers; otherwise the
  slot as the optimizer keeps it."""
  if isinstance(asked, embedding_weights.TrainableWrapper):
    wrapper = embedding_weights.wrapper_of(slot)
    return slot if wrapper is None else wrapper
  return slot
