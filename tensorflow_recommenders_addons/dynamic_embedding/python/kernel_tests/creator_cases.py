"""Fixtures shared by the training-side tests: the creators they run against.

Every test that takes `kv_creator` runs once per entry of `CREATORS`. An entry
is `pytest.param(make, id=...)` where `make(request)` returns a `KVCreator`;
it receives the pytest request so a backend needing a server can ask for its
fixture (`request.getfixturevalue("redis_config")`). Add the Redis creator by
appending one entry here.

`sorted_export` is the helper every such test compares tables with.

Test modules import the fixtures by name:
  from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests.creator_cases import kv_creator, unique_name, fresh_session  # pylint: disable=unused-import
"""

import uuid

import keras
import numpy as np
import pytest

from tensorflow_recommenders_addons import dynamic_embedding as de


def _in_process_creator(request):
  del request  # Needs no server.
  return de.CuckooHashTableCreator()


def _redis_creator(request):
  """Tables in a private standalone Redis (conftest's `standalone_setup`);
  each creator gets its own model tag, so tests never see each other's rows."""
  setup = request.getfixturevalue("standalone_setup")
  return de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=setup.write_config()))


CREATORS = [
    pytest.param(_in_process_creator, id="in_process"),
    pytest.param(_redis_creator, id="redis"),
]


@pytest.fixture(params=CREATORS)
def kv_creator(request):
  """A `KVCreator` of each backend under test."""
  return request.param(request)


@pytest.fixture
def unique_name():
  """A name no other test uses, so tables on a shared server never collide."""
  return "t%s" % uuid.uuid4().hex[:10]


@pytest.fixture(autouse=True)
def fresh_session():
  """Each test starts with no stored variables, in TRAIN mode."""
  keras.backend.clear_session()
  de.enable_train_mode()
  yield
  de.enable_train_mode()
  keras.backend.clear_session()


def sorted_export(table):
  """`(keys, values)` of a table or `de.Variable` as numpy arrays, by key."""
  keys, values = table.export()
  order = np.argsort(keys.numpy(), kind="stable")
  return keys.numpy()[order], values.numpy()[order]
