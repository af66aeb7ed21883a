"""The demo's recommender: user and item embeddings in Redis, a small MLP."""

import keras

from tensorflow_recommenders_addons import dynamic_embedding as de


def build_model(kv_creator, embedding_size=16, learning_rate=0.01):
  """A click model over (user_id, item_id) whose embeddings live in Redis."""
  user = keras.Input(shape=(), dtype="int64", name="user_id")
  item = keras.Input(shape=(), dtype="int64", name="item_id")
  initializer = keras.initializers.RandomNormal(stddev=0.05, seed=1)
  user_vec = de.keras.layers.Embedding(embedding_size, name="user_emb",
                                       initializer=initializer,
                                       kv_creator=kv_creator)(user)
  item_vec = de.keras.layers.Embedding(embedding_size, name="item_emb",
                                       initializer=initializer,
                                       kv_creator=kv_creator)(item)
  features = keras.layers.Concatenate()([user_vec, item_vec,
                                         user_vec * item_vec])
  hidden = keras.layers.Dense(32, activation="relu")(features)
  hidden = keras.layers.Dense(16, activation="relu")(hidden)
  click = keras.layers.Dense(1, activation="sigmoid")(hidden)
  model = keras.Model({"user_id": user, "item_id": item}, click)
  model.compile(
      optimizer=de.DynamicEmbeddingOptimizer(
          keras.optimizers.Adam(learning_rate)),
      loss="binary_crossentropy",
      metrics=[keras.metrics.AUC(name="auc")])
  return model


def clear_tables(model):
  """Empties the embedding tables and their optimizer slot tables (a rerun
  against your Redis starts afresh)."""
  model.optimizer.build(model.trainable_variables)
  for variable in embedding_variables(model).values():
    variable.clear()
    for slot in variable.get_slot_variables(model.optimizer):
      slot.clear()


def embedding_variables(model):
  """The de.Variables of the model's embedding layers, by layer name."""
  return {layer.name: layer.params for layer in model.layers
          if isinstance(layer, de.keras.layers.Embedding)}
