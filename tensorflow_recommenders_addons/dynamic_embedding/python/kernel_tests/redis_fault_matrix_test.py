"""The fault matrix of docs/reliability.md: each fault injected while worker
threads run lookups, inserts and accums (tools/reliability/workload.py).

For every fault: every op succeeds or fails within the configured timeouts
(the longest op is bounded), no lookup returns a default row for a key Redis
acknowledged, no update is applied twice, training recovers by itself once
Redis is back, and Redis ends holding every acknowledged write. Each test
prints its figures as one JSON line (and appends it to fault_matrix.jsonl in
$TEST_UNDECLARED_OUTPUTS_DIR); docs/reliability.md quotes them.
"""

import json
import os
import sys
import time

# Every failed op logs a warning from its kernel: thousands per run.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# pylint: disable=wrong-import-position
import pytest

from tools.reliability import workload
from tools.testing import redis_servers

_WORKERS = 3
_WARM_S = 1.5
_RECOVERY_DEADLINE_S = 60
# The longest an op may take: a single node fails within its socket and
# connect timeouts; Sentinel adds a round of asking the Sentinels; the
# Cluster router may try 12 times with backoff up to 1 s.
_BOUND_S = {"standalone": 4.0, "sentinel": 10.0, "cluster": 25.0}


def _table(deployment, tmp_path, **overrides):
  return workload.make_table(deployment, str(tmp_path / "fm.json"),
                             **overrides)


def _recovered(worker, since):
  """Whether each kind of op of `worker` succeeded after its last failure,
  starting after `since`."""
  events = list(worker.log.events)
  failures = [e.end for e in events if e.error]
  since = max([since] + failures)
  return {e.op for e in events
          if e.start >= since and not e.error} == set(workload.OPS)


def _wait_recovered(workers, since):
  """Waits until every worker ran each kind of op successfully after its
  last failure and after `since`."""
  deadline = time.monotonic() + _RECOVERY_DEADLINE_S
  while time.monotonic() < deadline:
    if all(_recovered(w, since) for w in workers):
      return
    time.sleep(0.1)
  raise AssertionError("the load did not recover within %d s" %
                       _RECOVERY_DEADLINE_S)


def _run(name, mode, table, inject, heal=None):
  """Runs the load, `inject`s the fault, `heal`s it (if given), waits for
  recovery, then checks and reports; returns the figures."""
  workers, stop = workload.start_workers(table, _WORKERS)
  try:
    time.sleep(_WARM_S)
    fault_at = time.monotonic()
    inject()
    healed_at = time.monotonic()
    if heal is not None:
      heal()
      healed_at = time.monotonic()
    _wait_recovered(workers, healed_at)
    time.sleep(_WARM_S)
  finally:
    workload.stop_workers(workers, stop)
  figures = dict(fault=name, mode=mode,
                 fault_s=round(healed_at - fault_at, 3),
                 **workload.summarize(workload.all_events(workers), fault_at),
                 **workload.verify(table, workers))
  line = json.dumps(figures)
  print(line)
  folder = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
  if folder:
    with open(os.path.join(folder, "fault_matrix.jsonl"), "a") as f:
      f.write(line + "\n")
  assert figures["max_op_s"] < _BOUND_S[mode], figures
  assert figures["applied_twice"] == 0, figures
  assert figures["bad_reads"] == 0, figures
  assert figures["rows_lost"] == 0, figures
  assert figures["recovered_s"] is not None, figures
  return figures


def test_standalone_kill_9_and_restart_with_aof(tmp_path):
  with redis_servers.standalone(persistence="aof") as d:
    port = d.master_port()
    _run("kill -9, restart after 1.5 s (AOF, fsync always)", "standalone",
         _table(d, tmp_path), lambda: (d.kill_node(port), time.sleep(1.5)),
         lambda: d.restart_node(port))


def test_sentinel_failover_with_durable_writes(tmp_path):
  with redis_servers.sentinel(replicas=1) as d:
    old = d.master_port()
    table = _table(d, tmp_path, redis_socket_timeout=1000,
                   redis_write_replicas=1, redis_write_replicas_timeout=500)

    def inject():
      d.kill_node(old)
      d.wait_for(lambda: d.master_port() != old, 60, "a failover")

    # The old master comes back as a replica: durable writes need one.
    _run("master kill -9, Sentinel failover, old master back as replica",
         "sentinel", table, inject, lambda: d.restart_node(old))


def test_cluster_master_kill_and_replica_promotion(tmp_path):
  with redis_servers.cluster() as d:
    table = _table(d, tmp_path, redis_hash_tags_hypodispersion=True,
                   redis_write_replicas=1, redis_write_replicas_timeout=400)
    masters = d.node_ports("master")
    killed = masters[0]

    def inject():
      d.kill_node(killed)
      d.wait_for(lambda: len(set(d.node_ports("master")) - {killed}) == 3,
                 60, "a replica promoted")

    def heal():
      d.restart_node(killed)  # rejoins as the new master's replica

    _run("master kill -9, replica promoted, old master back as replica",
         "cluster", table, inject, heal)


def _migrate_slot(deployment, slot):
  """Moves `slot` to another master with CLUSTER SETSLOT and MIGRATE."""
  cli = deployment.redis_cli
  ids = {}
  for port in deployment.node_ports("master"):
    ids[port] = cli(port, "CLUSTER", "MYID")
  source = next(p for p in ids
                if cli(p, "CLUSTER", "COUNTKEYSINSLOT", str(slot)) != "0")
  target = next(p for p in ids if p != source)
  cli(target, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", ids[source])
  cli(source, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", ids[target])
  while True:
    keys = cli(source, "CLUSTER", "GETKEYSINSLOT", str(slot), "100").split()
    if not keys:
      break
    cli(source, "MIGRATE", deployment.host, str(target), "", "0", "5000",
        "KEYS", *keys)
  # The documented order: the target, the source, then the others.
  for port in [target, source] + [p for p in ids if p not in (source, target)]:
    cli(port, "CLUSTER", "SETSLOT", str(slot), "NODE", ids[target])


def test_cluster_slot_moved_with_migrate_while_training(tmp_path):
  with redis_servers.cluster(replicas_per_master=0) as d:
    table = _table(d, tmp_path, redis_hash_tags_hypodispersion=True)
    slot = int(d.redis_cli(d.node_ports("master")[0], "CLUSTER", "KEYSLOT",
                           "fm:faults{3560}"))
    figures = _run("slot of a bucket moved with MIGRATE", "cluster", table,
                   lambda: _migrate_slot(d, slot))
    assert figures["failed_ops"] == 0, figures  # redirections, not failures


@pytest.mark.parametrize("mode", ["standalone", "cluster"])
def test_network_black_hole_longer_than_the_timeouts(mode, tmp_path):
  launch = getattr(redis_servers, mode)
  with launch(with_proxies=True) as d:
    proxies = [d.proxy(port) for port in d.node_ports()]

    def inject():
      for proxy in proxies:
        proxy.black_hole()
      time.sleep(2.5)

    def heal():
      for proxy in proxies:
        proxy.heal()

    _run("black hole of 2.5 s (socket timeout 0.5 s)", mode,
         _table(d, tmp_path), inject, heal)


@pytest.mark.parametrize("mode", ["standalone", "cluster"])
def test_replies_lost_after_writes(mode, tmp_path):
  launch = getattr(redis_servers, mode)
  with launch(with_proxies=True) as d:
    proxies = [d.proxy(port) for port in d.node_ports("master")]

    def inject():
      end = time.monotonic() + 3
      rounds = 0
      while time.monotonic() < end:
        command = ("EXEC", "EVALSHA", "HSET")[rounds % 3]
        for proxy in proxies:
          proxy.drop_reply(command=command, then="close")
        rounds += 1
        time.sleep(0.3)

    def heal():
      for proxy in proxies:
        proxy.heal()

    figures = _run("a reply lost after the write ran, every 0.3 s for 3 s",
                   mode, _table(d, tmp_path), inject, heal)
    assert figures["failed_ops"] > 0, figures  # the faults did happen


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v", "-s"]))
