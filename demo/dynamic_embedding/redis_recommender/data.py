"""A deterministic synthetic click log with realistic skew (no download).

Users and items follow power-law popularity (a few ids are very frequent,
most are rare); each has a hidden taste vector, and a click happens with
probability sigmoid(affinity), so a model that learns good embeddings beats
chance clearly. Ids are spread over a large sparse int64 space, as real ids
are, which is what dynamic embeddings are for.
"""

import numpy as np

USER_ID_STRIDE = 1_000_003
ITEM_ID_STRIDE = 7_919


def _power_law_ranks(rng, count, size, exponent):
  weights = 1.0 / np.arange(1, count + 1) ** exponent
  return rng.choice(count, size=size, p=weights / weights.sum())


def click_log(examples, users=5_000, items=1_000, seed=7):
  """Returns ({"user_id": int64[n], "item_id": int64[n]}, clicks float32[n])."""
  rng = np.random.default_rng(seed)
  user_taste = rng.normal(size=(users, 4))
  item_taste = rng.normal(size=(items, 4))
  user_rank = _power_law_ranks(rng, users, examples, 1.05)
  item_rank = _power_law_ranks(rng, items, examples, 1.1)
  affinity = 2.5 * np.sum(user_taste[user_rank] * item_taste[item_rank], axis=1)
  clicks = rng.random(examples) < 1.0 / (1.0 + np.exp(-(affinity - 0.5)))
  features = {
      "user_id": (user_rank.astype(np.int64) * USER_ID_STRIDE + 17),
      "item_id": (item_rank.astype(np.int64) * ITEM_ID_STRIDE + 3),
  }
  return features, clicks.astype(np.float32)
