"""results.py: per-method verdicts from pytest records, and TF's first error lines."""

import os
import sys
import textwrap

import pytest

from tools.upstream_tests import results

FILE = "t_test.py"
NODE = FILE + "::C::test_a"


def _record(outcome, subtest=None, message="", nodeid=NODE, when="call"):
  return {"nodeid": nodeid, "when": when, "subtest": subtest, "outcome": outcome,
          "message": message, "duration_s": 0.0}


def _verdict(records, methods=("C::test_a",)):
  return results.verdicts(records, {FILE: list(methods)})[NODE]


def test_method_passes_when_both_modes_pass():
  verdict = _verdict([_record("passed", "graph_mode"), _record("passed", "eager_mode"),
                      _record("passed")])
  assert (verdict["verdict"], verdict["graph"], verdict["eager"]) == ("pass", "pass", "pass")


def test_failed_subtest_fails_the_method_that_pytest_passed():
  verdict = _verdict([_record("failed", "graph_mode", "ValueError: bad"),
                      _record("passed", "eager_mode"), _record("passed")])
  assert (verdict["verdict"], verdict["graph"], verdict["eager"]) == ("fail", "FAIL", "pass")
  assert verdict["error"] == "graph: ValueError: bad"


def test_pass_in_one_mode_and_skip_in_the_other_is_a_pass():
  verdict = _verdict([_record("passed", "graph_mode"),
                      _record("skipped", "eager_mode", "skip eager test"), _record("passed")])
  assert (verdict["verdict"], verdict["eager"]) == ("pass", "skip")


def test_every_mode_skipped_is_a_skip():
  verdict = _verdict([_record("skipped", "graph_mode"), _record("skipped", "eager_mode"),
                      _record("passed")])
  assert verdict["verdict"] == "skip"


def test_method_without_records_was_not_run():
  assert _verdict([])["verdict"] == "not run"


def test_import_error_marks_every_method_of_the_file():
  collect = _record("failed", nodeid=FILE, when="collect",
                    message="E   ModuleNotFoundError: No module named 'x'\n")
  verdicts = results.verdicts([collect], {FILE: ["C::test_a", "C::test_b"]})
  assert {v["verdict"] for v in verdicts.values()} == {"error"}
  assert verdicts[NODE]["error"] == "ModuleNotFoundError: No module named 'x'"


def test_inherited_methods_with_records_are_listed():
  inherited = FILE + "::C::test_session"
  verdicts = results.verdicts([_record("skipped", nodeid=inherited)], {FILE: []})
  assert verdicts[inherited]["verdict"] == "skip"


def test_graph_error_line_is_the_kernel_message_and_its_original_type():
  message = textwrap.dedent("""\
      tensorflow.python.framework.errors_impl.InternalError: Graph execution error:

      Detected at node 't1' defined at (most recent call last):
          File "x.py", line 1, in <module>
      Node: 't1'
      connecting Redis table 't1': unavailable
      \t [[{{node t1}}]]
      Executing non-communication op <t1> originally returned UnavailableError, and was
      """)
  assert results.first_error_line(message) == (
      "UnavailableError (graph): connecting Redis table 't1': unavailable")


def test_eager_error_line_drops_function_node_and_op_suffix():
  message = ("tensorflow.python.framework.errors_impl.UnavailableError: {{function_node "
             "__wrapped__TFRA>RedisTableOfTensors_device_/job:localhost}} connecting "
             "Redis table 't1': unavailable [Op:TFRA>RedisTableOfTensors] name: t1")
  assert results.first_error_line(message) == (
      "UnavailableError: connecting Redis table 't1': unavailable")


def test_method_names_come_from_the_classes_of_a_file(tmp_path):
  source = tmp_path / FILE
  source.write_text(textwrap.dedent("""\
      class C:
        def test_a(self):
          def test_nested():
            pass
        def helper(self):
          pass
      def test_module_level():
        pass
      """))
  assert results.method_names(str(source)) == ["C::test_a"]


if __name__ == "__main__":
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__)))))
  sys.exit(pytest.main([__file__, "-v"]))
