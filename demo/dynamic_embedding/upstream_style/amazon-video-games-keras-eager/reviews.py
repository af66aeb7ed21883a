"""Synthetic Amazon US reviews of digital video games, and their encoding.

Upstream's demo reads `amazon_us_reviews/Digital_Video_Games_v1_00` through
tensorflow_datasets (a download). `generate` makes batches with the same
schema instead (every field of a review, as strings and int32s, and the
label `verified_purchase`), from a seeded generator: the same arguments
always give the same reviews. Whether a purchase was verified depends on
the star rating, the votes, a minority of "collector" customers and some
title words, so a model can learn it.

`encode` turns a batch into int64 feature ids, as upstream's demo does:
each feature has a slot, and its values (or, for text, its words) hash into
that slot's range of `SLOT_WIDTH` ids, so `slot_of(id)` recovers the slot.
"""

import numpy as np
import tensorflow as tf

SLOT_WIDTH = 1_000_000
# Encoded features and their slots; text features contribute one id a word.
STRING_FEATURES = {"customer_id": 0, "product_category": 2,
                   "product_id": 3, "product_parent": 4, "review_id": 7}
INTEGER_FEATURES = {"helpful_votes": 1, "star_rating": 8, "total_votes": 9}
TEXT_FEATURES = {"product_title": 5, "review_headline": 6}
NUM_SLOTS = 1 + max({**STRING_FEATURES, **INTEGER_FEATURES,
                     **TEXT_FEATURES}.values())
LABEL = "verified_purchase"

_CUSTOMERS = 5000
_PRODUCTS = 800
_WORDS = ["quest", "legend", "racing", "puzzle", "deluxe", "edition", "dark",
          "star", "war", "kingdom", "pixel", "saga", "code", "zero", "arena"]
_GOOD_WORDS = ("deluxe", "legend", "saga")
_HEADLINES = ["Five Stars", "Great game", "Not worth it", "Fun", "Refund",
              "Loved it", "Broken download", "Meh"]


def _titles(rng, products):
  return [" ".join(rng.choice(_WORDS, size=rng.integers(2, 5)))
          for _ in range(products)]


def generate(batches, batch_size, seed):
  """`batches` dicts of numpy arrays with the dataset's fields (one row per
  review) plus the int64 label."""
  rng = np.random.default_rng(seed)
  titles = _titles(np.random.default_rng(7), _PRODUCTS)  # Fixed catalogue.
  collectors = set(np.random.default_rng(8).choice(_CUSTOMERS, 400).tolist())
  out = []
  for _ in range(batches):
    customer = rng.integers(0, _CUSTOMERS, batch_size)
    product = rng.integers(0, _PRODUCTS, batch_size)
    stars = rng.integers(1, 6, batch_size).astype(np.int32)
    total = rng.poisson(3, batch_size).astype(np.int32)
    helpful = np.minimum(total, rng.poisson(2, batch_size)).astype(np.int32)
    title = np.array([titles[p] for p in product])
    score = (1.1 * (stars - 3) + 1.6 * np.isin(customer, list(collectors))
             - 0.35 * total + 0.8 * np.array(
                 [any(w in t for w in _GOOD_WORDS) for t in title]))
    label = (score + rng.normal(0, 0.7, batch_size) > 0).astype(np.int64)
    out.append({
        "customer_id": np.array(["%08d" % c for c in customer]),
        "helpful_votes": helpful,
        "marketplace": np.array(["US"] * batch_size),
        "product_category": np.array(["Digital_Video_Games"] * batch_size),
        "product_id": np.array(["B%09d" % p for p in product]),
        "product_parent": np.array(["%09d" % (p // 3) for p in product]),
        "product_title": title,
        "review_body": np.array(["played it for %d hours" % h
                                 for h in rng.integers(1, 200, batch_size)]),
        "review_date": np.array(["2015-%02d-%02d" % (m, d) for m, d in zip(
            rng.integers(1, 13, batch_size), rng.integers(1, 29, batch_size))]),
        "review_headline": rng.choice(_HEADLINES, batch_size),
        "review_id": np.array(["R%012d" % r for r in rng.integers(
            0, 10**12, batch_size)]),
        "star_rating": stars,
        "total_votes": total,
        LABEL: label,
    })
  return out


def _in_slot(hashed, slot):
  return hashed + tf.constant(slot * SLOT_WIDTH, tf.int64)


def encode(batch):
  """`[batch, width]` int64 feature ids of a batch from `generate`."""
  columns = []
  for name, slot in STRING_FEATURES.items():
    hashed = tf.strings.to_hash_bucket_fast(batch[name], SLOT_WIDTH)
    columns.append(_in_slot(hashed, slot)[:, None])
  for name, slot in INTEGER_FEATURES.items():
    hashed = tf.strings.to_hash_bucket_fast(tf.as_string(batch[name]),
                                            SLOT_WIDTH)
    columns.append(_in_slot(hashed, slot)[:, None])
  for name, slot in TEXT_FEATURES.items():
    words = tf.strings.split(tf.strings.regex_replace(
        batch[name], "[^a-zA-Z0-9]", " ")).to_tensor("")
    columns.append(_in_slot(tf.strings.to_hash_bucket_fast(words, SLOT_WIDTH),
                            slot))
  return tf.concat(columns, axis=1)


def slot_of(ids):
  """The slot (feature) of each encoded id."""
  return tf.math.floordiv(ids, SLOT_WIDTH)
