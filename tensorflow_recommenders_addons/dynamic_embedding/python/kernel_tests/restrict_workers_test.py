"""Two worker processes train one Redis variable with a FrequencyRestrictPolicy.

The workers (restrict_worker.py) train at the same time (checked from their
timestamps), then worker 0 restricts the variable while the other waits,
then both train more. Read from this process afterwards:
- the frequency status counted every step of both workers exactly (counts
  are added on the server, so concurrent steps are not lost);
- the restriction kept the most frequent keys and removed the others from
  the variable, its status and both Adam slot tables in Redis;
- training after the restriction continued the kept keys' counts and started
  removed keys again from zero, in every table alike.
"""

import collections
import sys

import numpy as np
import pytest

from tensorflow_recommenders_addons import dynamic_embedding as de
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import restrict_worker as rw
from tensorflow_recommenders_addons.dynamic_embedding.python.kernel_tests import training_util as tu

pytestmark = pytest.mark.usefixtures("fresh_session")

_WORKERS = 2
_STEPS = 60
_RESERVE = 100


def _run_workers(config, name, tmp_path):
  """Runs the workers to completion; returns their JSON reports."""
  return tu.run_worker_processes(
      rw.__name__, _WORKERS, tmp_path,
      ["--config", config, "--name", name, "--steps", str(_STEPS),
       "--reserve", str(_RESERVE)])


def _counts(reports, phase):
  counts = collections.Counter()
  for report in reports:
    for ids in report["ids"][phase]:
      counts.update(ids)
  return counts


def _rows(name, creator, dtype="float32", dim=rw.DIM):
  keys, values = tu.sorted_export(
      de.Variable(name=name, dim=dim, value_dtype=dtype, kv_creator=creator))
  return dict(zip(keys.tolist(), values.tolist()))


def test_workers_count_exactly_and_one_restriction_holds_for_all(
    standalone_setup, unique_name, tmp_path):
  config = standalone_setup.write_config(storage_slice=2)
  reports = _run_workers(config, unique_name, tmp_path)
  for phase in range(2):
    starts = [r["phases"][phase][0] for r in reports]
    ends = [r["phases"][phase][1] for r in reports]
    assert max(starts) < min(ends), "phase %d did not overlap" % phase

  before, after = _counts(reports, 0), _counts(reports, 1)
  creator = tu.creator_for(config)
  status = {k: v[0] for k, v in _rows(unique_name + "/frequency", creator,
                                       "int32", 1).items()}
  kept = {k for k in before if status.get(k, 0) > after.get(k, 0)}
  assert len(kept) == _RESERVE
  removed = set(before) - kept
  assert min(before[k] for k in kept) >= max(before[k] for k in removed)
  expected = {k: before[k] * (k in kept) + after.get(k, 0)
              for k in kept | set(after)}
  assert status == expected

  keys = set(expected)
  assert set(_rows(unique_name, creator)) == keys
  slots = reports[0]["slots"]
  assert len(slots) == 2 and slots == reports[1]["slots"]
  for slot in slots:
    rows = _rows(slot, creator)
    assert set(rows) == keys, slot
    assert np.all(np.isfinite(list(rows.values())))


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))
