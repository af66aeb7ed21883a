"""A stand-in for TFDS' `movielens/1m-ratings` and `100k-ratings`: the same
features, dtypes and shapes, drawn deterministically, so the demos here run
without downloading anything.

Users and movies are drawn with skewed popularity (a few are rated often,
most rarely), and ratings from a latent-factor model (user and movie factors,
biases and noise), so a recommender can learn them.
"""

import numpy as np
import tensorflow as tf

# TFDS' movielens sizes: (users, movies) of each variant.
SIZES = {"1m": (6040, 3706), "100k": (943, 1682)}
_FACTORS = 8
_OCCUPATIONS = ("academic/educator", "artist", "clerical/admin", "engineer",
                "executive/managerial", "homemaker", "lawyer", "programmer",
                "retired", "scientist", "student", "writer")
_AGES = np.array([1, 18, 25, 35, 45, 50, 56], np.float32)
_GENRES = 20  # TFDS' movie_genres labels


def _skewed(rng, count, size):
  """`count` draws from [0, size) with Zipf-like popularity."""
  weights = 1.0 / np.arange(1, size + 1)**0.8
  order = rng.permutation(size)
  return order[rng.choice(size, count, p=weights / weights.sum())]


def _catalogue(rng, num_users, num_movies):
  """Per-user and per-movie attributes (fixed for a seed)."""
  return {
      "user_factors": rng.normal(size=(num_users, _FACTORS)),
      "movie_factors": rng.normal(size=(num_movies, _FACTORS)),
      "user_bias": rng.normal(0, 0.4, num_users),
      "movie_bias": rng.normal(0, 0.5, num_movies),
      "age": rng.integers(0, len(_AGES), num_users),
      "gender": rng.random(num_users) < 0.7,
      "occupation": rng.integers(0, len(_OCCUPATIONS), num_users),
      "zip": rng.integers(10000, 99999, num_users),
      "genres": [rng.choice(_GENRES, rng.integers(1, 4), replace=False)
                 for _ in range(num_movies)],
  }


def ratings(num_ratings, variant="1m", seed=2021):
  """`num_ratings` examples as a `tf.data.Dataset` of feature dicts.

  Features as TFDS has them: `user_id`, `movie_id` (decimal strings, ids from
  1), `user_rating` (float32, 1 to 5), `timestamp` (int64), `movie_title`,
  `movie_genres` (int64 labels, 1 to 3 of them), `user_gender` (bool),
  `bucketized_user_age`, `raw_user_age` (float32), `user_occupation_label`
  (int64), `user_occupation_text`, `user_zip_code` (strings).
  """
  num_users, num_movies = SIZES[variant]
  rng = np.random.default_rng(seed)
  cat = _catalogue(rng, num_users, num_movies)
  users = _skewed(rng, num_ratings, num_users)
  movies = _skewed(rng, num_ratings, num_movies)
  affinity = np.einsum("ij,ij->i", cat["user_factors"][users],
                       cat["movie_factors"][movies]) / np.sqrt(_FACTORS)
  score = (3.6 + 0.9 * affinity + cat["user_bias"][users] +
           cat["movie_bias"][movies] + rng.normal(0, 0.3, num_ratings))
  stars = np.clip(np.rint(score), 1, 5).astype(np.float32)
  ages = _AGES[cat["age"][users]]
  features = {
      "user_id": np.char.mod("%d", users + 1),
      "movie_id": np.char.mod("%d", movies + 1),
      "user_rating": stars,
      "timestamp": 956703932 + np.sort(rng.integers(0, 10**8, num_ratings)),
      "movie_title": np.char.mod("Movie %d (1999)", movies + 1),
      "movie_genres": tf.ragged.constant(
          [cat["genres"][m] for m in movies], dtype=tf.int64),
      "user_gender": cat["gender"][users],
      "bucketized_user_age": ages,
      "raw_user_age": ages + rng.integers(0, 5, num_ratings),
      "user_occupation_label": cat["occupation"][users].astype(np.int64),
      "user_occupation_text": np.array(_OCCUPATIONS)[cat["occupation"][users]],
      "user_zip_code": np.char.mod("%05d", cat["zip"][users]),
  }
  return tf.data.Dataset.from_tensor_slices(features)


def numeric_ids(example):
  """`user_id` and `movie_id` of an example as int64 (TFDS, and ratings(),
  hold them as decimal strings): the keys of the demos' embedding tables."""
  return {"movie_id": tf.strings.to_number(example["movie_id"], tf.int64),
          "user_id": tf.strings.to_number(example["user_id"], tf.int64)}
