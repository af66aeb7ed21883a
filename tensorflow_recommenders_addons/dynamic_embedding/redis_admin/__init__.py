"""tfra-redis: the operator's command line for embedding tables in Redis.

Lists the tables of a deployment with their rows, memory and buckets,
inspects rows, plans capacity, finds hot buckets, copies, renames, expires
and drops model versions (model tags), re-buckets a table ahead of time and
moves tables to and from key/value files. See docs/operations.md.

    tfra-redis --config redis.json tables
    python -m tensorflow_recommenders_addons.dynamic_embedding.redis_admin tables

The work is done by the table logic itself (C++, the same code the tables
run), reached through a small C library loaded with ctypes (binding.py), so
the tool never imports TensorFlow. This package imports nothing but its own
modules, relatively, and the standard library (rich for progress bars, when
a command runs long): the `tfra-redis` console script (tfra_redis_cli.py)
loads it without importing the tensorflow_recommenders_addons package, whose
import pulls in TensorFlow.
"""
