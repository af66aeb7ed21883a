"""Tests of the Redis test launcher against real redis-server processes.

Every test starts its own deployment; `started` stops it even when the test
fails.
"""

import json
import os
import signal
import subprocess
import sys

import pytest

from tools.testing import redis_process
from tools.testing import redis_servers

_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "redis_servers.py")
_CLI_TIMEOUT_S = 120
# A module to load: the project's HMACCUM module (a data dependency).
_MODULE = os.path.abspath(os.path.join(
    os.environ.get("TEST_SRCDIR", ""), os.environ.get("TEST_WORKSPACE", ""),
    "tensorflow_recommenders_addons/dynamic_embedding/core/redis_module",
    "hmaccum.so"))


@pytest.fixture(name="started")
def _started():
  """Starts deployments for one test; stops them afterwards, come what may."""
  deployments = []

  def start(deployment):
    deployments.append(deployment)
    return deployment.start()

  yield start
  for deployment in deployments:
    deployment.stop()


def _pids(info):
  return [p["pid"] for p in info["nodes"] + info["sentinels"]]


def _alive(pid):
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  return True


def _assert_nothing_left(info):
  assert [pid for pid in _pids(info) if _alive(pid)] == []
  assert not os.path.exists(info["dir"])


def _stop_and_check(deployment):
  info = deployment.describe()
  assert all(_alive(pid) for pid in _pids(info))
  deployment.stop()
  _assert_nothing_left(info)


def test_standalone_answers_ping_set_get_and_stop_leaves_nothing(started):
  d = started(redis_servers.standalone())
  (port,) = d.node_ports()
  info = d.describe()
  assert info["mode"] == "standalone" and info["host"] == "127.0.0.1"
  pid = info["nodes"][0]["pid"]
  assert info["nodes"] == [dict(port=port, role="master", pid=pid,
                                state="running", proxy_port=None,
                                tls_port=None)]
  assert d.redis_cli(port, "PING") == "PONG"
  assert d.redis_cli(port, "SET", "{t}k", "v1") == "OK"
  assert d.redis_cli(port, "GET", "{t}k") == "v1"
  _stop_and_check(d)


def test_standalone_password_refuses_missing_and_wrong_password(started):
  d = started(redis_servers.standalone(password="s3cret"))
  (port,) = d.node_ports()
  assert d.redis_cli(port, "PING") == "PONG"
  assert "NOAUTH" in d.redis_cli(port, "PING", password=None)
  assert "NOAUTH" in d.redis_cli(port, "PING", password="wrong")
  assert d.describe()["password"] == "s3cret"


def test_acl_user_has_full_rights_and_a_wrong_acl_password_is_refused(started):
  d = started(redis_servers.standalone(password="pw", acl_user="alice",
                                       acl_password="apw"))
  (port,) = d.node_ports()
  alice = dict(user="alice", password="apw")
  assert d.redis_cli(port, "SET", "{t}k", "v", **alice) == "OK"
  assert d.redis_cli(port, "GET", "{t}k", **alice) == "v"
  assert d.redis_cli(port, "ACL", "WHOAMI", **alice) == "alice"
  bad = dict(user="alice", password="bad")
  assert "NOAUTH" in d.redis_cli(port, "GET", "{t}k", **bad)


def test_table_config_reaches_a_standalone_server_with_its_credentials(
    started, tmp_path):
  d = started(redis_servers.standalone(password="pw", acl_user="alice",
                                       acl_password="apw"))
  (port,) = d.node_ports()
  path = d.write_table_config(str(tmp_path / "t.json"), storage_slice=2,
                              redis_password="other")
  with open(path, encoding="utf-8") as f:
    assert json.load(f) == {
        "redis_connection_mode": 2, "redis_host_ip": ["127.0.0.1"],
        "redis_host_port": [port], "redis_user": "alice",
        "redis_password": "other", "storage_slice": 2}
  assert redis_servers.ConnectionMode(2).mode == d.mode == "standalone"


def test_kill_stops_answers_and_restart_serves_the_same_port_again(started):
  d = started(redis_servers.standalone(password="pw"))
  (port,) = d.node_ports()
  old_pid = d.describe()["nodes"][0]["pid"]
  d.kill_node(port)
  assert not _alive(old_pid)
  assert d.describe()["nodes"][0]["state"] == "killed"
  with pytest.raises(redis_servers.RedisServersError,
                     match="Connection refused"):
    d.redis_cli(port, "PING")
  d.restart_node(port)
  node = d.describe()["nodes"][0]
  assert (node["port"], node["state"]) == (port, "running")
  assert node["pid"] != old_pid
  assert d.redis_cli(port, "PING") == "PONG"


def test_pause_black_holes_the_node_until_resume(started):
  d = started(redis_servers.standalone())
  (port,) = d.node_ports()
  d.pause_node(port)
  assert d.describe()["nodes"][0]["state"] == "paused"
  with pytest.raises(redis_servers.RedisServersError, match="no answer within"):
    d.redis_cli(port, "PING", timeout=0.5)
  d.resume_node(port)
  assert d.redis_cli(port, "PING") == "PONG"


def test_with_block_stops_everything_when_the_body_raises():
  with pytest.raises(KeyError):
    with redis_servers.standalone() as d:
      info = d.describe()
      raise KeyError("boom")
  _assert_nothing_left(info)


def test_failed_start_kills_what_it_started_and_removes_the_dir():
  d = redis_servers.sentinel(down_after_ms=0)  # The sentinels refuse this.
  with pytest.raises(redis_servers.RedisServersError,
                     match="negative or zero time"):
    d.start()
  info = d.describe()
  assert len(info["nodes"]) == 2 and len(info["sentinels"]) == 3
  _assert_nothing_left(info)


def test_wait_for_error_names_the_condition_and_the_last_seen_state():
  with pytest.raises(redis_servers.RedisServersError) as error:
    redis_servers.wait_for(lambda: 1 / 0, 0.2, "division to work")
  assert "division to work" in str(error.value)
  assert "ZeroDivisionError" in str(error.value)


def test_cluster_has_three_masters_three_replicas_and_routes_keys(started):
  d = started(redis_servers.cluster())
  info = d.describe()
  roles = sorted(n["role"] for n in info["nodes"])
  assert roles == ["master"] * 3 + ["replica"] * 3
  for node in info["nodes"]:
    assert "cluster_state:ok" in d.redis_cli(node["port"], "CLUSTER", "INFO")
  first, last = info["nodes"][0]["port"], info["nodes"][-1]["port"]
  for i in range(10):  # Ten keys land on several masters.
    assert d.redis_cli(first, "SET", f"key{i}", f"v{i}", cluster=True) == "OK"
  for i in range(10):
    assert d.redis_cli(last, "GET", f"key{i}", cluster=True) == f"v{i}"
  _stop_and_check(d)


def test_table_config_seeds_a_cluster_table_with_every_master(started):
  d = started(redis_servers.cluster(masters=3, replicas_per_master=0))
  masters = d.node_ports("master")
  assert len(masters) == 3
  assert d.table_config() == {
      "redis_connection_mode": 0, "redis_host_ip": ["127.0.0.1"] * 3,
      "redis_host_port": masters}


def test_cluster_password_is_required_on_every_node(started):
  d = started(redis_servers.cluster(password="cpw"))
  for port in d.node_ports():
    assert "NOAUTH" in d.redis_cli(port, "CLUSTER", "INFO", password=None)
    assert "cluster_state:ok" in d.redis_cli(port, "CLUSTER", "INFO")
  assert d.redis_cli(d.node_ports()[0], "SET", "a", "1", cluster=True) == "OK"


def test_cluster_replica_restarted_after_kill_rejoins(started):
  d = started(redis_servers.cluster())
  replica = d.node_ports("replica")[0]
  d.kill_node(replica)
  d.restart_node(replica)
  d.wait_settled(timeout=30)
  assert replica in d.node_ports("replica")


def test_sentinel_all_sentinels_report_the_master_replica_has_data(started):
  d = started(redis_servers.sentinel())
  info = d.describe()
  master = [n["port"] for n in info["nodes"] if n["role"] == "master"]
  replica = [n["port"] for n in info["nodes"] if n["role"] == "replica"]
  assert len(master) == 1 and len(replica) == 1 and len(info["sentinels"]) == 3
  assert info["master_name"] == "mymaster" and d.master_port() == master[0]
  for s in info["sentinels"]:
    reply = d.redis_cli(s["port"], "SENTINEL", "get-master-addr-by-name",
                        "mymaster")
    assert reply.split("\n") == ["127.0.0.1", str(master[0])]
  assert d.redis_cli(master[0], "SET", "{t}k", "v") == "OK"
  assert d.redis_cli(master[0], "WAIT", "1", "5000") == "1"
  assert d.redis_cli(replica[0], "GET", "{t}k") == "v"
  _stop_and_check(d)


def test_sentinel_promotes_the_replica_when_the_master_is_killed(started):
  d = started(redis_servers.sentinel(password="pw"))
  old = d.master_port()
  (replica,) = d.node_ports("replica")
  d.kill_node(old)
  new = d.wait_for(lambda: d.master_port() != old and d.master_port(), 30,
                   "a failover")
  assert new == replica
  assert d.redis_cli(new, "ROLE").split("\n")[0] == "master"
  running = [n for n in d.describe()["nodes"] if n["state"] == "running"]
  assert [(n["port"], n["role"]) for n in running] == [(new, "master")]


def test_sentinel_password_is_required_by_the_sentinels(started):
  d = started(redis_servers.sentinel(password="pw", sentinel_password="spw"))
  port = d.describe()["sentinels"][0]["port"]
  assert "NOAUTH" in d.redis_cli(port, "PING", password=None)
  assert d.redis_cli(port, "PING") == "PONG"


def test_table_config_asks_every_sentinel_with_both_passwords(started):
  d = started(redis_servers.sentinel(password="pw", sentinel_password="spw"))
  assert d.table_config() == {
      "redis_connection_mode": 1, "redis_host_ip": ["127.0.0.1"] * 3,
      "redis_host_port": [s["port"] for s in d.describe()["sentinels"]],
      "redis_master_name": "mymaster", "redis_sentinel_password": "spw",
      "redis_password": "pw"}


def _spawn_cli(*args):
  # The CLI must run as a plain script, as the C++ helper runs it.
  return subprocess.Popen([sys.executable, _SCRIPT, "serve"] + list(args),
                          cwd="/", stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)


def _ask(cli, command):
  cli.stdin.write(command + "\n")
  cli.stdin.flush()
  return json.loads(cli.stdout.readline())


def test_every_data_node_loads_the_modules_given(started):
  d = started(redis_servers.sentinel(replicas=1, sentinels=1,
                                     modules=[_MODULE]))
  assert d.describe()["modules"] == [_MODULE]
  for port in d.node_ports():
    assert d.redis_cli(port, "MODULE", "LIST").split("\n")[:4] == [
        "name", "BPV2", "ver", "2"]
  sentinel_port = d.describe()["sentinels"][0]["port"]
  assert "BPV2" not in d.redis_cli(sentinel_port, "INFO", "modules")


def test_a_missing_module_file_is_refused_before_anything_starts(tmp_path):
  with pytest.raises(ValueError, match="no Redis module file"):
    redis_servers.standalone(modules=[str(tmp_path / "absent.so")])


def test_cli_prints_description_obeys_commands_and_stop_cleans_up(tmp_path):
  describe_to = tmp_path / "servers.json"
  cli = _spawn_cli("--mode", "standalone", "--password", "pw",
                   "--describe-to", str(describe_to))
  try:
    first = json.loads(cli.stdout.readline())
    assert first["ok"] and first["mode"] == "standalone"
    assert first["password"] == "pw"
    assert json.loads(describe_to.read_text()) == first
    port = first["nodes"][0]["port"]
    assert _ask(cli, "describe")["nodes"][0]["port"] == port
    assert _ask(cli, "master") == {"ok": True, "port": port}
    assert _ask(cli, f"kill {port}")["nodes"][0]["state"] == "killed"
    restarted = _ask(cli, f"restart {port}")["nodes"][0]
    assert restarted["state"] == "running" and restarted["port"] == port
    assert _ask(cli, "pause 1")["ok"] is False
    assert "unknown command" in _ask(cli, "frobnicate")["error"]
    assert _ask(cli, "stop") == {"ok": True, "stopped": True}
    assert cli.wait(_CLI_TIMEOUT_S) == 0
  finally:
    cli.kill()
    cli.wait()
  _assert_nothing_left(first)
  assert not _alive(restarted["pid"])


def test_cli_stops_everything_when_stdin_closes():
  cli = _spawn_cli("--mode", "sentinel", "--replicas", "1", "--sentinels", "1")
  first = json.loads(cli.stdout.readline())
  assert first["ok"] and len(first["sentinels"]) == 1
  cli.stdin.close()
  assert cli.wait(_CLI_TIMEOUT_S) == 0
  _assert_nothing_left(first)


def test_cli_stops_everything_on_sigterm():
  cli = _spawn_cli("--mode", "standalone")
  first = json.loads(cli.stdout.readline())
  cli.send_signal(signal.SIGTERM)
  assert cli.wait(_CLI_TIMEOUT_S) == 0
  _assert_nothing_left(first)


def test_cli_loads_modules_given_by_module_flags():
  cli = _spawn_cli("--mode", "standalone", "--module", _MODULE)
  try:
    first = json.loads(cli.stdout.readline())
    assert first["ok"] and first["modules"] == [_MODULE]
  finally:
    cli.stdin.close()
    assert cli.wait(_CLI_TIMEOUT_S) == 0
  _assert_nothing_left(first)


def test_cli_drives_the_proxy_of_a_node():
  cli = _spawn_cli("--mode", "standalone", "--with-proxies")
  try:
    first = json.loads(cli.stdout.readline())
    port, proxy_port = (first["nodes"][0][k] for k in ("port", "proxy_port"))
    assert proxy_port not in (None, port)
    answer = _ask(cli, f"proxy {port} drop_reply command=GET nth=1")
    assert answer["ok"] and answer["server_port"] == port
    with pytest.raises(redis_servers.RedisServersError):
      redis_process.run_cli(["-h", "127.0.0.1", "-p", proxy_port, "GET", "k"])
    assert _ask(cli, f"proxy {port} stats")["dropped"] == ["GET"]
    assert "takes ['n']" in _ask(cli, f"proxy {port} cut_after x=1")["error"]
    assert "cut_after" in _ask(cli, f"proxy {port} cut_after")["error"]
    assert "unknown proxy action" in _ask(cli, f"proxy {port} boom")["error"]
    assert "has port 1" in _ask(cli, "proxy 1 heal")["error"]
    assert _ask(cli, "stop") == {"ok": True, "stopped": True}
    assert cli.wait(_CLI_TIMEOUT_S) == 0
  finally:
    cli.kill()
    cli.wait()


def test_cli_refuses_proxies_in_sentinel_mode():
  # The sentinels would name the nodes' own ports, bypassing the proxies.
  cli = _spawn_cli("--mode", "sentinel", "--with-proxies")
  answer = json.loads(cli.stdout.readline())
  assert answer["ok"] is False and "standalone and cluster only" in (
      answer["error"])
  assert cli.wait(_CLI_TIMEOUT_S) == 1


def test_cli_reports_a_failed_start_and_exits_1():
  cli = _spawn_cli("--mode", "cluster", "--masters", "2")
  answer = json.loads(cli.stdout.readline())
  assert answer["ok"] is False and ">= 3 masters" in answer["error"]
  assert cli.wait(_CLI_TIMEOUT_S) == 1


if __name__ == "__main__":
  sys.exit(pytest.main([__file__, "-v"]))
