"""pytest plugin for upstream's test files (copied next to them as conftest.py).

It changes no test: it records every report (the test method and, with pytest >= 9,
each `subTest` TensorFlow's run_in_graph_and_eager_modes opens: "graph_mode",
"eager_mode") with its outcome and the exception's message, and writes them as JSON to
$UPSTREAM_TESTS_RESULTS at the end of the session.
"""

import json
import os

_RECORDS = []


def _message(report):
  """The exception (failures) or the reason (skips) of a report, as text."""
  longrepr = report.longrepr
  if longrepr is None:
    return ""
  if isinstance(longrepr, tuple):  # A skip: (path, line, reason).
    return str(longrepr[2])
  crash = getattr(longrepr, "reprcrash", None)
  if crash is not None:
    return crash.message
  return str(longrepr)[-4000:]


def pytest_runtest_logreport(report):
  context = getattr(report, "context", None)
  if report.when != "call" and report.outcome == "passed":
    return  # Set-up and tear-down that went well say nothing.
  _RECORDS.append({
      "nodeid": report.nodeid,
      "when": report.when,
      "subtest": getattr(context, "msg", None),
      "outcome": report.outcome,
      "message": _message(report)[:6000],
      "duration_s": round(report.duration, 2),
  })


def pytest_collectreport(report):
  if report.failed:
    _RECORDS.append({"nodeid": report.nodeid, "when": "collect", "subtest": None,
                     "outcome": "failed", "message": str(report.longrepr)[-6000:],
                     "duration_s": 0.0})


def pytest_sessionfinish(session, exitstatus):  # pylint: disable=unused-argument
  path = os.environ.get("UPSTREAM_TESTS_RESULTS")
  if path:
    with open(path, "w") as f:
      json.dump(_RECORDS, f, indent=1)
