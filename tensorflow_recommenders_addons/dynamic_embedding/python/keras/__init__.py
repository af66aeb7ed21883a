"""Keras integration of dynamic embeddings (`de.keras`): layers, and
`models.save_model` as upstream's.

Importing registers the layers as serializable Keras objects (see
keras_objects.py), so saved models that hold them load by name.
"""

from tensorflow_recommenders_addons.dynamic_embedding.python.keras import keras_objects
from tensorflow_recommenders_addons.dynamic_embedding.python.keras import layers
from tensorflow_recommenders_addons.dynamic_embedding.python.keras import models

keras_objects.register()
