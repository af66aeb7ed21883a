"""Keras 3 integration of dynamic embeddings (`de.keras`)."""

from tensorflow_recommenders_addons.dynamic_embedding.python.keras import layers
