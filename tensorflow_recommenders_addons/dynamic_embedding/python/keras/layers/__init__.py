"""Keras 3 layers over `de.Variable` (`de.keras.layers`)."""

from tensorflow_recommenders_addons.dynamic_embedding.python.keras.layers import embedding
from tensorflow_recommenders_addons.dynamic_embedding.python.keras.layers.embedding import BasicEmbedding
from tensorflow_recommenders_addons.dynamic_embedding.python.keras.layers.embedding import Embedding
from tensorflow_recommenders_addons.dynamic_embedding.python.keras.layers.embedding import FieldWiseEmbedding
from tensorflow_recommenders_addons.dynamic_embedding.python.keras.layers.embedding import SquashedEmbedding

__all__ = [
    "BasicEmbedding",
    "Embedding",
    "FieldWiseEmbedding",
    "SquashedEmbedding",
]
