"""Per-method verdicts from the records record_results_plugin.py wrote, and the report.

A method passes when pytest passed it and none of its graph/eager subtests failed
(pytest >= 9 reports subtests apart, and passes the method itself even when a
subtest failed). A method whose every mode skipped is a skip; anything else fails.
"""

import ast
import collections
import re

_RANK = {"failed": 3, "passed": 1, "skipped": 0}
_MODES = ("graph_mode", "eager_mode")
_FUNCTION_NODE = re.compile(r"\{\{function_node [^}]*\}\}\s*")
_OP_SUFFIX = re.compile(r"\s*\[Op:[^\]]*\].*$")


def method_names(path):
  """`Class::method` of every test method a file's classes define (AST, no import)."""
  with open(path, encoding="utf-8") as f:
    tree = ast.parse(f.read())
  names = []
  for node in tree.body:
    if isinstance(node, ast.ClassDef):
      names += [f"{node.name}::{item.name}" for item in node.body
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test")]
  return names


def first_error_line(message):
  """The line of an exception message that says what went wrong.

  Graph-mode TensorFlow errors bury it after a Python stack ("Node: 'x'" then the
  kernel's message); eager ones wrap it in "{{function_node ...}} ... [Op:...]".
  """
  lines = message.splitlines()
  if not lines:
    return ""
  head = lines[0]
  exc_type = head.split(":", 1)[0].rsplit(".", 1)[-1] if ":" in head else ""
  if "Graph execution error" in head:
    for i, line in enumerate(lines):
      if line.startswith("Node: ") and i + 1 < len(lines):
        original = re.search(r"originally returned (\w+)", message)
        shown = original.group(1) if original else exc_type
        return f"{shown} (graph): {lines[i + 1].strip()}"
  text = _OP_SUFFIX.sub("", _FUNCTION_NODE.sub("", head))
  if text.startswith("tensorflow.python.framework.errors_impl."):
    text = text[len("tensorflow.python.framework.errors_impl."):]
  return text.strip()


def verdicts(records, methods_per_file):
  """{nodeid: {"verdict", "graph", "eager", "error"}} for every expected method."""
  by_node = collections.defaultdict(list)
  for record in records:
    by_node[record["nodeid"]].append(record)
  collect_errors = {r["nodeid"]: r for r in records if r["when"] == "collect"}
  result = {}
  for file_name, methods in methods_per_file.items():
    for method in methods:
      nodeid = f"{file_name}::{method}"
      if file_name in collect_errors:
        error = _last_error_line(collect_errors[file_name]["message"])
        result[nodeid] = dict(verdict="error", graph="-", eager="-", error=error)
      else:
        result[nodeid] = _method_verdict(by_node.get(nodeid, []))
  for nodeid, node_records in by_node.items():  # Inherited ones: TestCase.test_session.
    if nodeid not in result and "::" in nodeid:
      result[nodeid] = _method_verdict(node_records)
  return result


def _last_error_line(text):
  lines = [l[2:].strip() for l in text.splitlines() if l.startswith("E ")]
  return lines[-1] if lines else text.strip().splitlines()[-1]


def _method_verdict(records):
  if not records:
    return dict(verdict="not run", graph="-", eager="-", error="")
  modes, item, errors = {}, set(), []
  for record in records:
    outcome, mode = record["outcome"], record["subtest"]
    if mode in _MODES:
      if _RANK[outcome] >= _RANK.get(modes.get(mode), -1):
        modes[mode] = outcome
    else:
      item.add(outcome)
    if outcome == "failed":
      prefix = {"graph_mode": "graph: ", "eager_mode": "eager: "}.get(mode, "")
      errors.append(prefix + first_error_line(record["message"]))
  if "failed" in item or "failed" in modes.values():
    verdict = "fail"
  elif "skipped" in item or (modes and set(modes.values()) == {"skipped"}):
    verdict = "skip"
  else:
    verdict = "pass"
  short = {"passed": "pass", "failed": "FAIL", "skipped": "skip"}
  return dict(verdict=verdict, graph=short.get(modes.get("graph_mode"), "-"),
              eager=short.get(modes.get("eager_mode"), "-"), error=" | ".join(errors))


def report(results, commit, note=""):
  """The printed table (one line per method) and the totals."""
  lines = [f"upstream commit {commit}{note}", f"{'verdict':7} {'graph':5} {'eager':5} test"]
  for nodeid, v in results.items():
    lines.append(f"{v['verdict']:7} {v['graph']:5} {v['eager']:5} {nodeid}")
    if v["error"]:
      lines.append(f"{'':19}{v['error'][:400]}")
  counts = collections.Counter(v["verdict"] for v in results.values())
  lines.append(f"total {len(results)} methods: " +
               ", ".join(f"{counts[k]} {k}" for k in ("pass", "fail", "skip", "error",
                                                        "not run") if counts[k]))
  return "\n".join(lines)
