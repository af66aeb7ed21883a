"""Prints the public names of the installed tensorflow_recommenders_addons, one per line.

The list docs/api_parity.md starts from. Run it in upstream's virtualenv (TFRA 0.8.1,
whose `__init__.py` files are the same as the snapshot's HEAD) and in ours, then
compare:

    TF_USE_LEGACY_KERAS=1 ~/.cache/tfra081-venv/bin/python \\
        tools/upstream_tests/list_public_api.py > /tmp/upstream.txt
    PYTHONPATH=<staged package> .venv/bin/python \\
        tools/upstream_tests/list_public_api.py > /tmp/ours.txt
    diff /tmp/upstream.txt /tmp/ours.txt

A line is `<dotted name> <kind> <defining module>`; `tfra.` is the top-level
package, `de.` its dynamic_embedding. Names a module merely imported (e.g. `de`
inside `de.keras.models`, or TensorFlow classes) are left out.
"""

import importlib
import inspect
import types

_PACKAGE = "tensorflow_recommenders_addons"
# (prefix, module path) walked; submodules reached as attributes are listed, not walked.
_WALKED = [("tfra.", _PACKAGE), ("de.", _PACKAGE + ".dynamic_embedding")]
_ATTRIBUTES = ["keras", "keras.layers", "keras.models", "keras.callbacks", "train", "math",
               "data_flow", "shadow_ops"]
_IMPORTED = [("tfra.utils.check_platform.", _PACKAGE + ".utils.check_platform")]


def _kind(obj):
  if isinstance(obj, types.ModuleType):
    return "module", obj.__name__
  kind = "class" if inspect.isclass(obj) else (
      "function" if callable(obj) else type(obj).__name__)
  return kind, getattr(obj, "__module__", "") or ""


def _public(prefix, module, lines):
  # __all__ too: a name served by a module __getattr__ is not in dir().
  names = set(dir(module)) | set(getattr(module, "__all__", ()))
  for name in sorted(n for n in names if not n.startswith("_")):
    kind, where = _kind(getattr(module, name))
    if where.startswith(_PACKAGE):  # Defined by the package, not just imported from TF.
      lines.append(f"{prefix}{name} {kind} {where}")


def public_names():
  """Sorted lines `<dotted name> <kind> <defining module>` of the installed
  package; a name the walk expects but cannot reach is `<name> MISSING -`."""
  lines = []
  for prefix, path in _WALKED:
    _public(prefix, importlib.import_module(path), lines)
  de = importlib.import_module(_PACKAGE + ".dynamic_embedding")
  for dotted in _ATTRIBUTES:
    module = de
    try:
      for part in dotted.split("."):
        module = getattr(module, part)
    except AttributeError:
      lines.append(f"de.{dotted} MISSING -")
      continue
    _public(f"de.{dotted}.", module, lines)
  for prefix, path in _IMPORTED:
    try:
      _public(prefix, importlib.import_module(path), lines)
    except ImportError:
      lines.append(f"{prefix.rstrip('.')} MISSING -")
  return sorted(set(lines))


def main():
  print("\n".join(public_names()))


if __name__ == "__main__":
  main()
