"""Dynamic embeddings: embedding tables without a fixed vocabulary.

Import as `from tensorflow_recommenders_addons import dynamic_embedding as de`.
Importing changes nothing in TensorFlow, and in Keras only adds the layers to
its registry of serializable classes; the Redis op library loads on first
use (or with `tfra.register_all()`).
"""

from tensorflow_recommenders_addons.dynamic_embedding.python import keras
from tensorflow_recommenders_addons.dynamic_embedding.python import train
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import shadow_embedding_ops as shadow_ops
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.creator_options import CuckooHashTableConfig
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.creator_options import DynamicEmbeddingSaver
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.creator_options import FileSystemSaver
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.creator_options import RedisTableConfig
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.dynamic_embedding_creator import CuckooHashTableCreator
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.dynamic_embedding_creator import KVCreator
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.dynamic_embedding_creator import RedisTableCreator
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.dynamic_embedding_ops import embedding_lookup
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.dynamic_embedding_ops import embedding_lookup_sparse
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.dynamic_embedding_ops import embedding_lookup_unique
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.dynamic_embedding_ops import safe_embedding_lookup_sparse
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.dynamic_embedding_ops import trainable_wrapper_filter
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.dynamic_embedding_optimizer import DynamicEmbeddingOptimizer
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.dynamic_embedding_variable import Variable
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.dynamic_embedding_variable import get_variable
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.embedding_weights import ModelMode
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.graph_keys import GraphKeys
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.embedding_weights import TrainableWrapper
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.embedding_weights import enable_inference_mode
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.embedding_weights import enable_train_mode
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.embedding_weights import get_model_mode
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.in_process_table_ops import CuckooHashTable
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.in_process_table_ops import InProcessHashTable
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.kv_table import KVTable
from tensorflow_recommenders_addons.dynamic_embedding.python.ops import redis_metrics
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.redis_table_ops import RedisTable
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.restrict_policies import FrequencyRestrictPolicy
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.restrict_policies import RestrictPolicy
from tensorflow_recommenders_addons.dynamic_embedding.python.ops.restrict_policies import TimestampRestrictPolicy

__all__ = [
    "CuckooHashTable",
    "CuckooHashTableConfig",
    "CuckooHashTableCreator",
    "DynamicEmbeddingOptimizer",
    "DynamicEmbeddingSaver",
    "FileSystemSaver",
    "FrequencyRestrictPolicy",
    "GraphKeys",
    "InProcessHashTable",
    "KVCreator",
    "KVTable",
    "ModelMode",
    "RedisTable",
    "RedisTableConfig",
    "RedisTableCreator",
    "RestrictPolicy",
    "TimestampRestrictPolicy",
    "TrainableWrapper",
    "Variable",
    "embedding_lookup",
    "embedding_lookup_sparse",
    "embedding_lookup_unique",
    "enable_inference_mode",
    "enable_train_mode",
    "get_model_mode",
    "get_variable",
    "keras",
    "redis_metrics",
    "safe_embedding_lookup_sparse",
    "shadow_ops",
    "train",
    "trainable_wrapper_filter",
]

