"""Private Redis deployments for tests: standalone, cluster, sentinel.

The one launcher every test of this project uses (STYLE.md rule 13). A
deployment runs its own redis-server / redis-sentinel processes on free
127.0.0.1 ports with every file in one temp dir. stop() kills them (sentinels
first), reaps them and removes the dir; it also runs at interpreter exit, and
each server gets SIGKILL (`setpriv --pdeathsig`) when the thread that started
it dies: start deployments from the main thread. This module is the entry
point; redis_deployments.py holds what deployments share,
redis_topologies.py the three kinds, redis_process.py the processes.

    from tools.testing import redis_servers
    with redis_servers.sentinel(password="pw") as d:
      config_path = d.write_table_config(path, storage_slice=2)  # for a table
      old = d.master_port()
      d.kill_node(old)
      d.wait_for(lambda: d.master_port() != old, 30, "a failover")

`table_config(**overrides)` is the one place that turns a deployment into
the JSON config of a table stored in it (`ConnectionMode` gives each kind of
deployment its `redis_connection_mode`).

Command line (driven by the C++ helper redis_client/testing/redis_servers.h):

    python3 tools/testing/redis_servers.py serve \
        --mode {standalone,cluster,sentinel} [--password P] \
        [--acl-user U --acl-password P] [--sentinel-password P] \
        [--module PATH]... [--with-proxies] [--tls] [--persistence aof]
        [--describe-to FILE]

prints {"ok": true, **describe()} as one JSON line (also written atomically to
FILE), then answers each stdin line with one JSON line: `describe`;
`kill|restart|pause|resume PORT` (answer: describe() after the action);
`master` ({"port": P}); `proxy PORT ACTION [KEY=VALUE ...]` (a fault on the
proxy in front of node PORT, see fault_proxy.py and _proxy_action; answer:
the proxy's stats()); `stop` (answered once all is gone). Failures answer
{"ok": false, "error": ...}. With --with-proxies each node of describe() has
a "proxy_port", the port clients should use. EOF on stdin, `stop`, SIGTERM, SIGINT or SIGHUP
stop all servers, remove the dir and exit 0, so the servers go away with the
parent. A failed start prints {"ok": false, "error": ...} and exits 1.
"""

import argparse
import json
import os
import signal
import sys

if __name__ == "__main__" and not __package__:
  # Run as a script: make the repository root (holding `tools`) importable.
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__)))))

# pylint: disable=wrong-import-position,unused-import
from tools.testing import redis_topologies
from tools.testing.redis_deployments import ConnectionMode
from tools.testing.redis_deployments import Deployment
from tools.testing.redis_process import HOST
from tools.testing.redis_process import RedisServersError
from tools.testing.redis_process import wait_for
# pylint: enable=wrong-import-position,unused-import

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def standalone(password=None, acl_user=None, acl_password=None, modules=(),
               with_proxies=False, tls=False, tls_client_certs=False,
               acl_rules=None, persistence=None):
  """One master. `password` sets requirepass; `acl_user` gets every right
  (or `acl_rules`, e.g. "~test:* +hmget"); every path in `modules` is a
  Redis module the server loads.

  with_proxies puts a fault_proxy.FaultProxy in front of the node
  (Deployment.proxy(port), describe()'s "proxy_port"). tls serves TLS on a
  port of its own (describe()'s "tls_port"; table_config() uses it), with a
  private CA (describe()'s "tls"); tls_client_certs requires a client
  certificate there. persistence="aof" writes an append-only file synced on
  every write, so a server killed and restarted has every acknowledged
  write.
  """
  return redis_topologies.Standalone(password=password, acl_user=acl_user,
                                      acl_password=acl_password,
                                      modules=modules,
                                      with_proxies=with_proxies, tls=tls,
                                      tls_client_certs=tls_client_certs,
                                      acl_rules=acl_rules,
                                      persistence=persistence)


def cluster(masters=3, replicas_per_master=1, password=None, acl_user=None,
            acl_password=None, node_timeout_ms=2000, modules=(),
            with_proxies=False, tls=False, acl_rules=None):
  """A Redis Cluster: `masters` masters, `replicas_per_master` replicas each;
  every node loads `modules`.

  with_proxies puts a FaultProxy in front of every node, and every node
  announces its proxy's port (CLUSTER SLOTS and NODES, MOVED, ASK), so a
  client that starts at a proxy only ever talks to proxies; replication goes
  through them too. The cluster bus stays direct. tls: as for standalone;
  the nodes also talk TLS among themselves (bus and replication) and
  announce their TLS ports to TLS clients.
  """
  return redis_topologies.Cluster(masters, replicas_per_master,
                                   node_timeout_ms, password=password,
                                   acl_user=acl_user, acl_password=acl_password,
                                   modules=modules, with_proxies=with_proxies,
                                   tls=tls, acl_rules=acl_rules)


def sentinel(replicas=1, sentinels=3, master_name="mymaster", password=None,
             acl_user=None, acl_password=None, sentinel_password=None,
             down_after_ms=1000, failover_timeout_ms=5000, modules=()):
  """A master and `replicas` replicas, watched by `sentinels` sentinels.

  The quorum is a majority of the sentinels. `password` is also the replicas'
  masterauth and the sentinels' auth-pass; `sentinel_password` is what the
  sentinels themselves require. The master and replicas load `modules`.
  """
  return redis_topologies.Sentinel(
      replicas, sentinels, down_after_ms, failover_timeout_ms,
      master_name=master_name, password=password, acl_user=acl_user,
      acl_password=acl_password, sentinel_password=sentinel_password,
      modules=modules)


def _answer(deployment, words):
  """One control command -> its JSON answer (without "ok")."""
  actions = {"kill": deployment.kill_node, "restart": deployment.restart_node,
             "pause": deployment.pause_node, "resume": deployment.resume_node}
  if words == ["describe"]:
    return deployment.describe()
  if words == ["master"]:
    return {"port": deployment.master_port()}
  if len(words) == 2 and words[0] in actions and words[1].isdigit():
    actions[words[0]](int(words[1]))
    return deployment.describe()
  if len(words) >= 3 and words[0] == "proxy" and words[1].isdigit():
    proxy = deployment.proxy(int(words[1]))
    _proxy_action(proxy, words[2], words[3:])
    return proxy.stats()
  raise ValueError(
      f"unknown command {' '.join(words)!r}; expected describe | kill PORT | "
      "restart PORT | pause PORT | resume PORT | master | "
      "proxy PORT ACTION [KEY=VALUE ...] | stop")


# proxy ACTION -> (FaultProxy method, {argument: type}).
_PROXY_ACTIONS = {
    "drop_reply": ("drop_reply", dict(nth=int, command=str, then=str)),
    "cut_after": ("cut_after", dict(n=int)),
    "delay": ("delay_replies", dict(seconds=float)),
    "black_hole": ("black_hole", {}),
    "heal": ("heal", {}),
    "stats": ("stats", {}),
}


def _proxy_action(proxy, action, arguments):
  """Calls the FaultProxy method `action` names with KEY=VALUE arguments."""
  if action not in _PROXY_ACTIONS:
    raise ValueError(f"unknown proxy action {action!r}; expected one of "
                     f"{' | '.join(_PROXY_ACTIONS)}")
  method, types = _PROXY_ACTIONS[action]
  kwargs = {}
  for argument in arguments:
    key, _, value = argument.partition("=")
    if key not in types:
      raise ValueError(f"proxy {action} takes {sorted(types) or 'nothing'}, "
                       f"not {argument!r}")
    kwargs[key] = types[key](value)
  try:
    getattr(proxy, method)(**kwargs)
  except TypeError as e:  # A missing argument.
    raise ValueError(f"proxy {action}: {e}") from None


def _reply(message):
  sys.stdout.write(json.dumps(message) + "\n")
  sys.stdout.flush()


def _mute_stdout():
  """Points stdout at /dev/null: the exit-time flush to a dead parent fails."""
  os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _ignore_stop_signals():
  for sig in _STOP_SIGNALS:
    signal.signal(sig, signal.SIG_IGN)


def _on_stop_signal(signum, frame):  # pylint: disable=unused-argument
  _ignore_stop_signals()  # A second signal must not interrupt the clean-up.
  raise SystemExit(0)


def _build(args):
  credentials = dict(password=args.password, acl_user=args.acl_user,
                     acl_password=args.acl_password, modules=args.module)
  if args.mode == ConnectionMode.STANDALONE.mode:
    return standalone(with_proxies=args.with_proxies, tls=args.tls,
                      persistence=args.persistence, **credentials)
  if args.mode == ConnectionMode.CLUSTER.mode:
    return cluster(args.masters, args.replicas, with_proxies=args.with_proxies,
                   tls=args.tls, **credentials)
  if args.with_proxies or args.tls or args.persistence:
    raise ValueError("--with-proxies, --tls, --persistence: standalone and "
                     "cluster only")
  return sentinel(args.replicas, args.sentinels, args.master_name,
                  sentinel_password=args.sentinel_password, **credentials)


def _obey(deployment):
  """Answers stdin commands; True after `stop`, False at EOF."""
  for command in sys.stdin:
    words = command.split()
    if words == ["stop"]:
      return True
    if words:
      try:
        _reply({"ok": True, **_answer(deployment, words)})
      except (RedisServersError, ValueError, OSError) as e:
        _reply({"ok": False, "error": str(e)})
  return False


def _serve(args):
  """Runs the protocol of the module docstring; returns the exit code."""
  for sig in _STOP_SIGNALS:
    signal.signal(sig, _on_stop_signal)
  deployment, stopped = None, False
  try:
    try:
      deployment = _build(args).start()
    except (RedisServersError, ValueError, OSError) as e:
      _reply({"ok": False, "error": str(e)})
      return 1
    description = {"ok": True, **deployment.describe()}
    if args.describe_to:
      with open(args.describe_to + ".tmp", "w", encoding="utf-8") as f:
        f.write(json.dumps(description) + "\n")
      os.replace(args.describe_to + ".tmp", args.describe_to)
    _reply(description)
    stopped = _obey(deployment)
  except BrokenPipeError:
    _mute_stdout()  # The parent is gone: clean up quietly.
  finally:
    _ignore_stop_signals()
    if deployment is not None:
      deployment.stop()
  if stopped:
    try:
      _reply({"ok": True, "stopped": True})
    except BrokenPipeError:
      _mute_stdout()
  return 0


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
  commands = parser.add_subparsers(dest="command", required=True)
  serve = commands.add_parser("serve",
                              help="start a deployment, obey stdin commands")
  serve.add_argument("--mode", required=True,
                     choices=[m.mode for m in ConnectionMode])
  for flag in ("--password", "--acl-user", "--acl-password",
               "--sentinel-password"):
    serve.add_argument(flag)
  serve.add_argument("--master-name", default="mymaster")
  serve.add_argument("--masters", type=int, default=3, help="cluster masters")
  serve.add_argument("--replicas", type=int, default=1,
                     help="per master (cluster) or of the master (sentinel)")
  serve.add_argument("--sentinels", type=int, default=3)
  serve.add_argument("--module", action="append", default=[],
                     help="a Redis module every data node loads (repeatable)")
  serve.add_argument("--with-proxies", action="store_true",
                     help="a fault proxy in front of every data node")
  serve.add_argument("--tls", action="store_true",
                     help="data nodes also serve TLS (a private CA)")
  serve.add_argument("--persistence", choices=["aof"],
                     help="standalone: an AOF synced on every write")
  serve.add_argument("--describe-to", help="also write the first line here")
  return _serve(parser.parse_args(argv))


if __name__ == "__main__":
  sys.exit(main())
