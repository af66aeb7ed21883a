"""The package's Keras objects in Keras' registry of serializable classes.

A model saved with `model.save("x.keras")` names its layers' classes; a
process loading it finds them by those names only if they are registered
(or given in `custom_objects`). They are registered under the package name
"Recommenders-Addons", as upstream's `register_all` documents, through
`tf.keras`, so under tf_keras the tf_keras registry gets them.
"""

import tensorflow as tf

from tensorflow_recommenders_addons.dynamic_embedding.python.keras.layers import embedding

PACKAGE = "Recommenders-Addons"

_CLASSES = (
    embedding.Embedding,
    embedding.SquashedEmbedding,
    embedding.FieldWiseEmbedding,
)


def register():
  """Registers every class once (idempotent: a repeated call changes
  nothing)."""
  for cls in _CLASSES:
    name = "%s>%s" % (PACKAGE, cls.__name__)
    if tf.keras.utils.get_registered_object(name) is None:
      tf.keras.utils.register_keras_serializable(package=PACKAGE)(cls)
