"""`de.train`: checkpoints of models with dynamic embeddings."""

from tensorflow_recommenders_addons.dynamic_embedding.python.train.checkpoint import Checkpoint
from tensorflow_recommenders_addons.dynamic_embedding.python.train.checkpoint import DECheckpoint

__all__ = ["Checkpoint", "DECheckpoint"]
